"""Payment runs: ``payment_batches`` (one audited batch per run) and ``payment_links_not_applied``.

See :mod:`qbo_sync.payments`. Only new tables of the integration's own; the CMMS contract tables
(``payments``, ``payment_applications``, ``invoices``) are used as they are.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types as this revision creates them (frozen here; never import them from the product's schema).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.text("CURRENT_TIMESTAMP")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
MONEY = sa.Numeric(18, 2)


def upgrade() -> None:
    op.create_table(
        "payment_batches",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("realm_id", sa.Text(), nullable=False),
        sa.Column("window_start", TS, nullable=True, comment="read changes from here"),
        sa.Column("window_end", TS, nullable=True, comment="up to here (exclusive)"),
        sa.Column("mode", sa.Text(), nullable=False, comment="cdc or query"),
        sa.Column("status", sa.Text(), server_default="staged", nullable=False),
        sa.Column(
            "report", sa.Text(), nullable=True, comment="what failed, for a person (quarantined batches)"
        ),
        sa.Column("validation", JSON, nullable=True, comment="Great Expectations validation results"),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('staged', 'published', 'quarantined')", name=op.f("ck_payment_batches_status")
        ),
        sa.CheckConstraint("mode IN ('cdc', 'query', 'full')", name=op.f("ck_payment_batches_mode")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_runs.id"], name=op.f("fk_payment_batches_run_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_batches")),
    )
    op.create_index(op.f("ix_payment_batches_run_id"), "payment_batches", ["run_id"], unique=False)
    op.create_index(
        op.f("ix_payment_batches_status_created_at"),
        "payment_batches",
        ["status", "created_at"],
        unique=False,
    )
    op.create_table(
        "payment_links_not_applied",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("qb_txn_id", sa.Text(), nullable=False, comment="the QuickBooks transaction the line pays"),
        sa.Column("txn_type", sa.Text(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_links_not_applied_payment_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_links_not_applied")),
    )
    op.create_index(
        op.f("ix_payment_links_not_applied_payment_id"),
        "payment_links_not_applied",
        ["payment_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_links_not_applied_payment_id"), table_name="payment_links_not_applied")
    op.drop_table("payment_links_not_applied")
    op.drop_index(op.f("ix_payment_batches_status_created_at"), table_name="payment_batches")
    op.drop_index(op.f("ix_payment_batches_run_id"), table_name="payment_batches")
    op.drop_table("payment_batches")
