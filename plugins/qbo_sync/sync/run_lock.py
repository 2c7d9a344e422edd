"""One run per entity and realm at a time: a PostgreSQL session advisory lock held by the run.

Two runs of the same entity must not overlap (a retried task while the old process still pushes;
``airflow dags test`` beside a scheduled run): both would pull and push the same records and could
create duplicates in QuickBooks. :func:`entity_run_lock` takes ``pg_try_advisory_lock(key)`` on a
dedicated autocommit connection for the run's duration (key: a stable 64-bit hash of realm and
entity; the single-key form, so it never meets the request budget's two-key locks). A run that
finds it taken fails at once with :class:`SyncAlreadyRunning`, before writing anything. A process
that dies loses its session and so the lock: nothing can leak. (Needs session-level connections:
not through a transaction-mode pgbouncer.)

**SQLite** takes no lock: it is the single-machine embedded setup, where one process writes at a
time anyway, and a lock row would outlive a killed worker with no way to tell it is stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from qbo_sync.db import schema

_TRY = sa.text("SELECT pg_try_advisory_lock(:key)")
_FREE = sa.text("SELECT pg_advisory_unlock(:key)")
_HOLDER = sa.text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = CAST((CAST(:key AS bigint) >> 32) & 4294967295 AS bigint)::oid "
    "AND objid = CAST(CAST(:key AS bigint) & 4294967295 AS bigint)::oid LIMIT 1"
)


class SyncAlreadyRunning(RuntimeError):
    """Another run of the same entity and realm holds the run lock; nothing was done.

    Not worth retrying soon: the other run may take a while. The message says which run and what
    to do."""


def run_lock_key(realm_id: str, entity: str) -> int:
    """A stable signed 64-bit key for ``(realm, entity)`` (the same in every process)."""
    digest = hashlib.blake2b(f"qbo_sync.run:{realm_id}:{entity}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def entity_run_lock(engine: sa.Engine, realm_id: str, entity: str) -> Iterator[None]:
    """Hold the run lock of ``(realm, entity)`` for the block, or raise :class:`SyncAlreadyRunning`."""
    if engine.dialect.name != "postgresql":
        yield
        return
    key = run_lock_key(realm_id, entity)
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    released = True
    try:
        if not conn.execute(_TRY, {"key": key}).scalar():
            raise SyncAlreadyRunning(_busy_message(conn, key, realm_id, entity))
        released = False
        try:
            yield
        finally:
            released = bool(conn.execute(_FREE, {"key": key}).scalar())
    finally:
        if not released:
            conn.invalidate()  # end the session, so a lock it may still hold goes with it
        conn.close()


def _busy_message(conn: sa.Connection, key: int, realm_id: str, entity: str) -> str:
    pid = conn.execute(_HOLDER, {"key": key}).scalar()
    t = schema.sync_runs
    started = conn.execute(
        sa.select(sa.func.max(t.c.started_at)).where(
            t.c.entity == entity, t.c.status == "running", t.c.dry_run.is_(False)
        )
    ).scalar()
    when = f"started {started.isoformat(timespec='seconds')}" if started else "start time unknown"
    who = f", PostgreSQL backend pid {pid}" if pid is not None else ""
    return f"another sync of {entity} for realm {realm_id} is running ({when}{who}); wait for it or stop it"
