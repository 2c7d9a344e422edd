"""Column types, naming convention and column factories shared by every table.

The contract fixes the storage types: money ``NUMERIC(18,2)``, quantities and unit prices
``NUMERIC(18,4)``, tax rates ``NUMERIC(9,4)``, timestamps timezone-aware in UTC, dates plain.
These helpers keep the table definitions in :mod:`qbo_sync.db.schema` short and identical on
PostgreSQL and SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, Column, ForeignKey
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

MONEY = sa.Numeric(18, 2)
QTY = sa.Numeric(18, 4)
RATE = sa.Numeric(9, 4)
# BIGINT on PostgreSQL; plain INTEGER on SQLite, where only "INTEGER PRIMARY KEY" auto-increments.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# JSONB on PostgreSQL (has equality, so upserts can skip unchanged rows); JSON text on SQLite.
JSON = sa.JSON().with_variant(JSONB(), "postgresql")
# Server-side "now" that both dialects understand (UTC on SQLite, timestamptz on PostgreSQL).
NOW = sa.text("CURRENT_TIMESTAMP")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC and always read back aware, in UTC.

    PostgreSQL stores ``TIMESTAMP WITH TIME ZONE``; SQLite has no such type, so the value is stored
    as UTC text and the UTC zone is re-attached on read. A naive datetime is taken to be UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # a value written by a trigger or a default on SQLite
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


TIMESTAMP = UTCDateTime()


NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

QB_STATUSES = ("not_synced", "synced", "error", "conflict")
SYNC_COLUMNS = (
    "qb_id",
    "qb_sync_token",
    "qb_status",
    "qb_error",
    "qb_synced_at",
    "qb_last_updated_at",
    "updated_at",
)
TRUE = sa.text("true")
FALSE = sa.text("false")


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (named ``ck_<table>_<column>``)."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


def updated_at() -> Column:
    return Column("updated_at", TIMESTAMP, nullable=False, server_default=NOW)


def created_at() -> Column:
    return Column("created_at", TIMESTAMP, nullable=False, server_default=NOW)


def sync_columns() -> list[sa.SchemaItem]:
    """The contract's sync columns, for every table marked *synced*."""
    return [
        Column("qb_id", sa.Text, unique=True),
        Column("qb_sync_token", sa.Text),
        Column("qb_status", sa.Text, nullable=False, server_default="not_synced"),
        Column("qb_error", sa.Text),
        Column("qb_synced_at", TIMESTAMP),
        Column("qb_last_updated_at", TIMESTAMP),
        updated_at(),
        one_of("qb_status", QB_STATUSES),
    ]


def pk() -> Column:
    return Column("id", ID, primary_key=True, autoincrement=True)


def fk(name: str, target: str, *, nullable: bool = True, ondelete: str | None = None) -> Column:
    return Column(name, ID, ForeignKey(target, ondelete=ondelete), nullable=nullable)


def active() -> Column:
    return Column("active", sa.Boolean, nullable=False, server_default=TRUE)


def address(prefix: str = "bill") -> list[Column]:
    parts = ("line1", "line2", "city", "region", "postal_code", "country")
    return [Column(f"{prefix}_{part}", sa.Text) for part in parts]
