"""Transaction pushes (issue 8): QuickBooks' totals stored back, invoice discount, bill AP account,
the ``waiting`` run count, and ``sync_txn_state`` (agreed revision and open sends per transaction).

Only columns and a table of the integration's own are added; no contract column changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types as this revision creates them (frozen here; never import them from the product's schema).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(18, 2)

ADDED = {
    "invoices": [
        sa.Column("discount_amount", MONEY, nullable=True, comment="invoice-level discount sent to QBO"),
        sa.Column("qb_total_amt", MONEY, nullable=True, comment="QuickBooks TotalAmt"),
        sa.Column("qb_total_tax", MONEY, nullable=True, comment="QuickBooks TxnTaxDetail.TotalTax"),
        sa.Column("qb_balance", MONEY, nullable=True, comment="QuickBooks Balance"),
    ],
    "purchase_invoices": [
        sa.Column("ap_account_id", ID, nullable=True, comment="accounts.id; empty: the default AP account"),
        sa.Column("qb_total_amt", MONEY, nullable=True, comment="QuickBooks TotalAmt"),
        sa.Column("qb_balance", MONEY, nullable=True, comment="QuickBooks Balance"),
    ],
    "sync_runs": [
        sa.Column(
            "waiting", sa.Integer(), nullable=False, server_default="0", comment="waiting for a reference"
        ),
    ],
}


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild, so SQLite keeps the tables' updated_at triggers).
    for table, columns in ADDED.items():
        for column in columns:
            op.add_column(table, column.copy())
    op.create_table(
        "sync_txn_state",
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("cmms_id", ID, autoincrement=False, nullable=False),
        sa.Column(
            "doc_number", sa.Text(), nullable=True, comment="DocNumber sent to QuickBooks (the lookup key)"
        ),
        sa.Column(
            "agreed_revision", sa.Text(), nullable=True, comment="hash of the body QuickBooks last accepted"
        ),
        sa.Column("sent_revision", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("sending_since", TS, nullable=True, comment="set while a write's outcome is unknown"),
        sa.Column("voided", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("entity", "cmms_id", name=op.f("pk_sync_txn_state")),
    )


def downgrade() -> None:
    op.drop_table("sync_txn_state")
    for table, columns in ADDED.items():
        for column in columns:
            op.drop_column(table, column.name)
