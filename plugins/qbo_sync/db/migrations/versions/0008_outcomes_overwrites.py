"""Run outcomes by direction and the values the two-way merge overwrote (issue 12).

- ``sync_runs.outcomes``: the run's counts by direction (from QuickBooks: new, updated,
  unchanged; to QuickBooks: created, updated, waiting, failed).
- ``sync_overwrites``: a field edited on both sides and settled by the mapping's ownership rule
  keeps the value it replaced (whose, what it was, what replaced it, when), shown with the record.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(
            sa.Column(
                "outcomes",
                JSON,
                nullable=True,
                comment="counts by direction: from_quickbooks / to_quickbooks",
            )
        )
    op.create_table(
        "sync_overwrites",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("cmms_id", ID, nullable=False),
        sa.Column("qb_id", sa.Text(), nullable=True),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column(
            "overwritten_side", sa.Text(), nullable=False, comment="qbo or cmms: whose value was replaced"
        ),
        sa.Column("qbo_value", sa.Text(), nullable=True, comment="JSON text: what QuickBooks had"),
        sa.Column("cmms_value", sa.Text(), nullable=True, comment="JSON text: what the CMMS had"),
        sa.Column("base_value", sa.Text(), nullable=True, comment="JSON text: the last agreed value"),
        sa.Column("run_key", sa.Text(), nullable=True),
        sa.Column("created_at", TS, server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.CheckConstraint(
            "overwritten_side IN ('qbo', 'cmms')", name=op.f("ck_sync_overwrites_overwritten_side")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_overwrites")),
    )
    op.create_index(
        op.f("ix_sync_overwrites_entity_cmms_id"), "sync_overwrites", ["entity", "cmms_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sync_overwrites_entity_cmms_id"), table_name="sync_overwrites")
    op.drop_table("sync_overwrites")
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("outcomes")
