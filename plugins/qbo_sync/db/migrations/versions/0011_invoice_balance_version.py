"""Which QuickBooks version of an invoice's Balance the payment run last published (issue 9).

Two payment runs can publish beside each other (a backfill next to a scheduled run); a batch read
earlier must not pass off its older copy of an invoice as QuickBooks' current one. The payment
run stores the ``SyncToken`` and ``MetaData.LastUpdatedTime`` of the QuickBooks invoice whose
``Balance`` it last published (``invoices.qb_balance`` holds that Balance), and compares a
batch's copy with them. Its own columns: the push's ``qb_sync_token`` / ``qb_last_updated_at``
keep meaning "the version the CMMS last sent or agreed".

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types as this revision creates them (frozen here; never import them from the product's schema).
TS = sa.DateTime(timezone=True)

ADDED = [
    sa.Column(
        "qb_balance_sync_token",
        sa.Text(),
        nullable=True,
        comment="SyncToken of the QuickBooks invoice whose Balance the payment run last published",
    ),
    sa.Column(
        "qb_balance_updated_at",
        TS,
        nullable=True,
        comment="its MetaData.LastUpdatedTime",
    ),
]


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild, so SQLite keeps the table's updated_at trigger).
    for column in ADDED:
        op.add_column("invoices", column.copy())


def downgrade() -> None:
    for column in ADDED:
        op.drop_column("invoices", column.name)
