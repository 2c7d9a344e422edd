"""The integration's sync state: watermarks, runs, record errors, conflicts, snapshots, staging.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from qbo_sync.db.migrations import _ddl

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types as this revision creates them (frozen here; never import them from the product's schema).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.text("CURRENT_TIMESTAMP")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

UPDATED_AT_TABLES = ("sync_snapshots", "sync_watermarks")


def upgrade() -> None:
    op.create_table(
        "sync_conflicts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("cmms_id", ID, nullable=False),
        sa.Column("qb_id", sa.Text(), nullable=True),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("base_value", sa.Text(), nullable=True, comment="JSON text"),
        sa.Column("cmms_value", sa.Text(), nullable=True, comment="JSON text"),
        sa.Column("qbo_value", sa.Text(), nullable=True, comment="JSON text"),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'resolved_cmms', 'resolved_qbo')", name=op.f("ck_sync_conflicts_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
    )
    op.create_index(
        "uq_sync_conflicts_open",
        "sync_conflicts",
        ["entity", "cmms_id", "field"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_key", sa.Text(), nullable=False, comment="Airflow dag_id/run_id/task_id"),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False),
        sa.Column("started_at", TS, server_default=NOW, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("status", sa.Text(), server_default="running", nullable=False),
        sa.Column("dry_run", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("pulled", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("linked", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("conflicts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'success', 'partial', 'failed', 'skipped')",
            name=op.f("ck_sync_runs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_index(
        op.f("ix_sync_runs_entity_started_at"), "sync_runs", ["entity", "started_at"], unique=False
    )
    op.create_index(op.f("ix_sync_runs_run_key"), "sync_runs", ["run_key"], unique=False)
    op.create_table(
        "sync_snapshots",
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("cmms_id", ID, autoincrement=False, nullable=False),
        sa.Column("qb_id", sa.Text(), nullable=True),
        sa.Column("qb_sync_token", sa.Text(), nullable=True),
        sa.Column("snapshot", JSON, nullable=False, comment="last agreed field values"),
        sa.Column("updated_at", TS, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("entity", "cmms_id", name=op.f("pk_sync_snapshots")),
    )
    op.create_table(
        "sync_watermarks",
        sa.Column("realm_id", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False, comment="pull or push"),
        sa.Column(
            "watermark", TS, nullable=True, comment="changes up to here are loaded (moved after commit)"
        ),
        sa.Column("mode", sa.Text(), nullable=True, comment="how the last read was done"),
        sa.Column("updated_at", TS, server_default=NOW, nullable=False),
        sa.CheckConstraint("mode IN ('full', 'cdc', 'query')", name=op.f("ck_sync_watermarks_mode")),
        sa.PrimaryKeyConstraint("realm_id", "entity", "direction", name=op.f("pk_sync_watermarks")),
    )
    op.create_table(
        "sync_record_errors",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("cmms_id", ID, nullable=True),
        sa.Column("qb_id", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False, comment="readable by a bookkeeper"),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("intuit_tid", sa.Text(), nullable=True),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_runs.id"], name=op.f("fk_sync_record_errors_run_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_record_errors")),
    )
    op.create_index(
        op.f("ix_sync_record_errors_entity_cmms_id"),
        "sync_record_errors",
        ["entity", "cmms_id"],
        unique=False,
    )
    op.create_index(op.f("ix_sync_record_errors_run_id"), "sync_record_errors", ["run_id"], unique=False)
    op.create_table(
        "sync_staging",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("qb_id", sa.Text(), nullable=True),
        sa.Column("qb_sync_token", sa.Text(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.Text(), server_default="staged", nullable=False),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_runs.id"], name=op.f("fk_sync_staging_run_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_staging")),
    )
    op.create_index(op.f("ix_sync_staging_entity_status"), "sync_staging", ["entity", "status"], unique=False)
    op.create_index(op.f("ix_sync_staging_run_id"), "sync_staging", ["run_id"], unique=False)
    for table in UPDATED_AT_TABLES:
        _ddl.add_updated_at_trigger(table)


def downgrade() -> None:
    for table in UPDATED_AT_TABLES:
        _ddl.drop_updated_at_trigger(table)
    op.drop_index(op.f("ix_sync_staging_run_id"), table_name="sync_staging")
    op.drop_index(op.f("ix_sync_staging_entity_status"), table_name="sync_staging")
    op.drop_table("sync_staging")
    op.drop_index(op.f("ix_sync_record_errors_run_id"), table_name="sync_record_errors")
    op.drop_index(op.f("ix_sync_record_errors_entity_cmms_id"), table_name="sync_record_errors")
    op.drop_table("sync_record_errors")
    op.drop_table("sync_watermarks")
    op.drop_table("sync_snapshots")
    op.drop_index(op.f("ix_sync_runs_run_key"), table_name="sync_runs")
    op.drop_index(op.f("ix_sync_runs_entity_started_at"), table_name="sync_runs")
    op.drop_table("sync_runs")
    op.drop_index(
        "uq_sync_conflicts_open",
        table_name="sync_conflicts",
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )
    op.drop_table("sync_conflicts")
