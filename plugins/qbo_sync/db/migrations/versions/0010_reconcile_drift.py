"""Reconciliation: the ``sync_drift`` table (differences between the CMMS and QuickBooks).

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from qbo_sync.db.migrations import _ddl

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types as this revision creates them (frozen here; never import them from the product's schema).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    op.create_table(
        "sync_drift",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("realm_id", sa.Text(), nullable=False),
        sa.Column("check_name", sa.Text(), nullable=False, comment="e.g. invoice.balance, customer_balance"),
        sa.Column(
            "subject", sa.Text(), nullable=False, comment="what differs: invoice INV-1001, customer 12"
        ),
        sa.Column(
            "entity", sa.Text(), nullable=True, comment="CMMS table of the record, when one is concerned"
        ),
        sa.Column("cmms_id", sa.BigInteger(), nullable=True),
        sa.Column("qb_id", sa.Text(), nullable=True),
        sa.Column("cmms_value", sa.Text(), nullable=True),
        sa.Column("qbo_value", sa.Text(), nullable=True),
        sa.Column("amount_at_stake", sa.Numeric(18, 2), server_default="0", nullable=False),
        sa.Column("cause", sa.Text(), nullable=False, comment="the likely cause, in words"),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("healed_at", TS, nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("run_id", sa.Text(), nullable=True, comment="the Airflow run that last saw it"),
        sa.Column("updated_at", TS, server_default=NOW, nullable=False),
        sa.CheckConstraint("status IN ('open', 'healed', 'resolved')", name=op.f("ck_sync_drift_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_drift")),
    )
    op.create_index(
        "uq_sync_drift_open",
        "sync_drift",
        ["realm_id", "check_name", "subject"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )
    _ddl.add_updated_at_trigger("sync_drift")


def downgrade() -> None:
    _ddl.drop_updated_at_trigger("sync_drift")
    op.drop_index("uq_sync_drift_open", table_name="sync_drift")
    op.drop_table("sync_drift")
