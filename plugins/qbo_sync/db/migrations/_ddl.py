"""DDL helpers the revisions share: the ``updated_at`` triggers, for PostgreSQL and SQLite.

The contract says every writer sets ``updated_at`` on every change, and the migrations install a
trigger so no writer can forget:

- PostgreSQL: one plpgsql function ``qbo_set_updated_at()`` and a ``BEFORE UPDATE`` trigger per
  table that sets ``NEW.updated_at = now()``.
- SQLite: an ``AFTER UPDATE`` trigger per table that sets ``updated_at`` of that rowid to the
  current UTC time (SQLite's ``recursive_triggers`` is off by default, so it does not re-fire).

Revisions are history: once released, change behaviour here only by adding new functions.
"""

from __future__ import annotations

from alembic import op

PG_FUNCTION = "qbo_set_updated_at"
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _dialect() -> str:
    name = op.get_context().dialect.name
    if name not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"qbo-sync migrations support PostgreSQL and SQLite, not {name}")
    return name


def trigger_name(table: str) -> str:
    return f"trg_{table}_updated_at"


def create_updated_at_function() -> None:
    """Install the PostgreSQL trigger function (no-op on SQLite)."""
    if _dialect() == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN NEW.updated_at = now(); RETURN NEW; END; $$"
        )


def drop_updated_at_function() -> None:
    if _dialect() == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")


def add_updated_at_trigger(table: str) -> None:
    """Make every UPDATE of ``table`` set its ``updated_at`` to the current time."""
    name = trigger_name(table)
    if _dialect() == "postgresql":
        op.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW BEGIN "
            f"UPDATE {table} SET updated_at = {SQLITE_NOW} WHERE rowid = NEW.rowid; END"
        )


def drop_updated_at_trigger(table: str) -> None:
    name = trigger_name(table)
    if _dialect() == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
