"""Token custody: qbo_tokens (encrypted OAuth tokens per realm) and qbo_oauth_states.

Revision ID: 0001
Revises: <base>
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from qbo_sync.db.migrations import _ddl

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types as this revision creates them (frozen here; never import them from the product's schema).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.text("CURRENT_TIMESTAMP")

UPDATED_AT_TABLES = ("qbo_tokens",)


def upgrade() -> None:
    _ddl.create_updated_at_function()
    op.create_table(
        "qbo_oauth_states",
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("realm_hint", sa.Text(), nullable=True),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_qbo_oauth_states")),
    )
    op.create_table(
        "qbo_tokens",
        sa.Column("realm_id", sa.Text(), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True, comment="Fernet-encrypted"),
        sa.Column("refresh_token", sa.Text(), nullable=True, comment="Fernet-encrypted"),
        sa.Column("access_token_expires_at", TS, nullable=True),
        sa.Column("refresh_token_expires_at", TS, nullable=True),
        sa.Column("status", sa.Text(), server_default="connected", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("refresh_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refreshed_at", TS, nullable=True),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.Column("updated_at", TS, server_default=NOW, nullable=False),
        sa.CheckConstraint("status IN ('connected', 'reconnect_needed')", name=op.f("ck_qbo_tokens_status")),
        sa.PrimaryKeyConstraint("realm_id", name=op.f("pk_qbo_tokens")),
    )
    for table in UPDATED_AT_TABLES:
        _ddl.add_updated_at_trigger(table)


def downgrade() -> None:
    for table in UPDATED_AT_TABLES:
        _ddl.drop_updated_at_trigger(table)
    op.drop_table("qbo_tokens")
    op.drop_table("qbo_oauth_states")
    _ddl.drop_updated_at_function()
