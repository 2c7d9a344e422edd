"""The send journal (``sync_sends``) and the ``abandoned`` run status (issue 6).

``sync_sends`` records what was sent to QuickBooks before it is sent (the CMMS key, the name and
the requestid as sent, when), so a send whose answer never arrived is resolved by what was sent;
see :mod:`qbo_sync.sync.push.outbox`. ``sync_runs.status`` may now be ``abandoned``: a run whose worker
died, marked so by the next run of the entity.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types as this revision creates them (frozen here; never import them from the product's schema).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

RUN_STATUSES = ("running", "success", "partial", "failed", "skipped")


def _run_status_check(statuses: tuple[str, ...]) -> None:
    allowed = ", ".join(f"'{s}'" for s in statuses)
    with op.batch_alter_table("sync_runs", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_sync_runs_status"), type_="check")
        batch.create_check_constraint(op.f("ck_sync_runs_status"), sa.text(f"status IN ({allowed})"))


def upgrade() -> None:
    op.create_table(
        "sync_sends",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("realm_id", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("cmms_id", ID, nullable=False),
        sa.Column("operation", sa.Text(), nullable=False, comment="create"),
        sa.Column(
            "name_sent", sa.Text(), nullable=True, comment="the natural key as sent (DisplayName / Name)"
        ),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("sent_values", JSON, nullable=False, comment="comparable values as sent"),
        sa.Column("run_key", sa.Text(), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("status", sa.Text(), server_default="sent", nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("qb_id", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True, comment="how an unfinished send was resolved"),
        sa.CheckConstraint("status IN ('sent', 'answered', 'resolved')", name=op.f("ck_sync_sends_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_sends")),
    )
    op.create_index(op.f("ix_sync_sends_entity_status"), "sync_sends", ["entity", "status"], unique=False)
    _run_status_check((*RUN_STATUSES, "abandoned"))


def downgrade() -> None:
    op.execute("UPDATE sync_runs SET status = 'failed' WHERE status = 'abandoned'")
    _run_status_check(RUN_STATUSES)
    op.drop_index(op.f("ix_sync_sends_entity_status"), table_name="sync_sends")
    op.drop_table("sync_sends")
