"""The deployment-wide QBO request budget: per-realm request counters and 429 pauses.

``qbo_request_budget`` counts requests per realm, kind (``all`` / ``batch``) and time bucket (a
sixtieth of the budget window, one second by default); old buckets are deleted as new ones are
written, so it holds at most 61 rows per realm and kind. On PostgreSQL it is UNLOGGED: counters need
no crash safety (after a crash the table starts empty, forgetting at most one window), and commits
that touch only unlogged tables do not wait for a WAL flush (an admission costs ~0.1 ms, not ~3 ms).
``qbo_request_pauses`` holds one "admit nothing until" time per realm, set after a 429. See
:mod:`qbo_sync.qbo.budget_db`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qbo_request_budget",
        sa.Column("realm_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False, comment="all or batch"),
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False, comment="floor(t / width)"),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('all', 'batch')", name=op.f("ck_qbo_request_budget_kind")),
        sa.PrimaryKeyConstraint("realm_id", "kind", "bucket", name=op.f("pk_qbo_request_budget")),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE qbo_request_budget SET UNLOGGED")
    op.create_table(
        "qbo_request_pauses",
        sa.Column("realm_id", sa.Text(), nullable=False),
        sa.Column(
            "paused_until", sa.Float(), nullable=False, comment="seconds since the epoch (budget clock)"
        ),
        sa.PrimaryKeyConstraint("realm_id", name=op.f("pk_qbo_request_pauses")),
    )


def downgrade() -> None:
    op.drop_table("qbo_request_pauses")
    op.drop_table("qbo_request_budget")
