"""Alembic environment of the CMMS database, driven by :mod:`qbo_sync.db.migrate` (no alembic.ini).

Online: uses the connection passed in ``config.attributes["connection"]`` (the caller owns the
transaction), or opens one from the ``sqlalchemy.url`` main option. Offline (``--sql``): renders
SQL for ``sqlalchemy.url``'s dialect. SQLite runs in batch mode so later ALTERs work there too.
The revision table is ``qbo_sync_alembic_version`` so it never collides with the CMMS
application's own migrations.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext

from qbo_sync.db.columns import UTCDateTime
from qbo_sync.db.migrate import VERSION_TABLE
from qbo_sync.db.schema import metadata

config = context.config


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Autogenerate plain SQLAlchemy types into revisions, so they never import product code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _options(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": metadata,
        "version_table": VERSION_TABLE,
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
        "render_item": render_item,
    }


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    dialect = sa.engine.make_url(url).get_dialect().name
    context.configure(url=url, literal_binds=True, **_options(dialect))
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, **_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
