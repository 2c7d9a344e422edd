"""Bring the CMMS database to the schema this version of qbo-sync expects, or say it is not there.

Alembic runs programmatically (no ``alembic.ini``): :func:`alembic_config` points
``script_location`` at ``qbo_sync/db/migrations``. Revisions are recorded in
``qbo_sync_alembic_version`` so they never collide with the CMMS application's own migrations.

- :func:`upgrade` applies every pending revision in one transaction (PostgreSQL: under an advisory
  lock, so two workers starting at once do not race). Running it again does nothing.
- :func:`assert_migrated` is what pipelines call before touching the database: it raises
  :class:`DatabaseNotMigrated` with the database, the current and the expected revision, and the
  command that fixes it.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy.engine import Engine, make_url

from qbo_sync.db.engine import create_engine, redact

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
VERSION_TABLE = "qbo_sync_alembic_version"
FIX_COMMAND = "`qbo-sync migrate` (or `make migrate`)"
_PG_LOCK_KEY = 0x51B0_5C1  # pg_advisory_xact_lock key shared by every qbo-sync migrator


class DatabaseNotMigrated(RuntimeError):
    """The CMMS database is not at the revision this code expects; the message says what to run."""

    def __init__(self, url: str, current: str | None, expected: str, known: bool = True) -> None:
        self.url, self.current, self.expected = url, current, expected
        if current is None:
            state = "has no qbo-sync schema yet (revision: none)"
        elif known:
            state = f"is at revision {current}"
        else:
            state = (
                f"is at revision {current}, which this version of qbo-sync does not know "
                "(the database is newer than the code: upgrade the qbo-sync package)"
            )
        super().__init__(
            f"CMMS database {url} {state}; this version of qbo-sync expects revision {expected}. "
            f"Run {FIX_COMMAND} to bring it up to date."
        )


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` for the packaged migrations (``url`` only for offline / CLI use)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The revision the code expects (the single head of the packaged migrations)."""
    head = _script().get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(bind: Engine | sa.Connection) -> str | None:
    """The revision the database is at, or None when qbo-sync never migrated it."""
    if isinstance(bind, sa.Connection):
        context = MigrationContext.configure(bind, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()
    sqlite_file = _sqlite_file(bind.url)
    if sqlite_file is not None and not sqlite_file.exists():
        return None  # not created yet; connecting would create an empty file
    with bind.connect() as conn:
        return current_revision(conn)


def _sqlite_file(url: str | sa.URL) -> Path | None:
    """The file of a file-backed SQLite URL, else None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):
        return None
    return Path(parsed.database).expanduser()


def _prepare_sqlite_file(url: str) -> None:
    """Create the parent folder of a SQLite database file, so a first run just works."""
    path = _sqlite_file(url)
    if path is not None:
        path.resolve().parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str, revision: str = "head") -> None:
    """Apply all pending migrations to the database at ``url`` (idempotent)."""
    _prepare_sqlite_file(url)
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    config = alembic_config(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def assert_migrated(engine: Engine) -> None:
    """Raise :class:`DatabaseNotMigrated` unless the database is at :func:`head_revision`."""
    current = current_revision(engine)
    expected = head_revision()
    if current == expected:
        return
    raise DatabaseNotMigrated(redact(engine.url), current, expected, known=_is_known(current))


def _is_known(revision: str | None) -> bool:
    if revision is None:
        return True
    try:
        return _script().get_revision(revision) is not None
    except (RevisionError, CommandError):
        return False
