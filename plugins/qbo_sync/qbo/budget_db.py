"""The per-realm request budget shared by every worker of a deployment, kept in the CMMS database.

QBO's limits (500 requests/min, 10 in flight, 40 batch calls/min; qbo-api.md §4, §7) hold per
realm and app, across every process that talks to the realm. Airflow runs each task in its own
process, so a process-local :class:`~qbo_sync.qbo.budget.RequestBudget` cannot keep a deployment
under them. :class:`SharedBudget` keeps the budget in the CMMS database, the one place every worker
shares, with the same interface the transport uses (``acquire(kind)`` context manager, ``pause``):

- **Rate** (PostgreSQL): ``qbo_request_budget`` counts requests per realm, kind (``all`` /
  ``batch``) and bucket (``window / 60``, one second by default). Admission is one transaction under
  ``pg_advisory_xact_lock(realm)``: a single statement deletes buckets older than the window, sums
  the window's buckets, reads the realm's pause and, if there is room, increments the current
  bucket(s) (``INSERT ... ON CONFLICT DO UPDATE``). The sum covers the current bucket and the 60
  before it, so *any* 60 s interval holds at most the limit. The lock serialises admissions of one
  realm (a few per second at most), which makes the check-then-increment exact. The table holds at
  most 61 rows per realm and kind.
- **In flight**: slot ``i`` of ``max_in_flight`` is the session advisory lock ``(realm key, i)``,
  taken with ``pg_try_advisory_lock`` on the connection the request holds for its duration and
  released with ``pg_advisory_unlock``. A worker that dies loses its session and so its slot: no
  slot can leak. (Needs session-level connections: not through a transaction-mode pgbouncer.)
- **429**: :meth:`SharedBudget.pause` stores ``paused_until`` in ``qbo_request_pauses``; every
  admission of that realm, in any worker, waits until it has passed.

Times are the database server's clock (``clock_timestamp()``), the same for every worker whatever
its host's clock says; tests inject a clock, which is then read under the admission lock.

**SQLite** (the single-machine embedded default) falls back to the process-local
:func:`~qbo_sync.qbo.budget.budget_for`: SQLite has no advisory locks, and any lock or counter row
it could hold would outlive a crashed worker (leaked slots) and serialise behind the database's one
writer. There, ``QBO_BUDGET_FRACTION`` (1 / the ``qbo_api`` pool size) still splits the limits
between concurrent tasks; on PostgreSQL the limits are deployment-wide and the fraction is ignored.

Limits come from the constructor or the environment: ``QBO_BUDGET_PER_MINUTE`` (450),
``QBO_BUDGET_BATCH_PER_MINUTE`` (36), ``QBO_BUDGET_IN_FLIGHT`` (10).
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from qbo_sync.qbo.budget import (
    DEFAULT_BATCH_PER_MINUTE,
    DEFAULT_IN_FLIGHT,
    DEFAULT_PER_MINUTE,
    WINDOW_SECONDS,
    RequestBudget,
    budget_for,
)

log = logging.getLogger(__name__)

BUCKETS = 60  # buckets per window: one second each by default
SLOT_POLL_SECONDS = 0.05  # how often a worker retries for a free in-flight slot (jittered)
ENV_LIMITS = {
    "per_minute": ("QBO_BUDGET_PER_MINUTE", DEFAULT_PER_MINUTE),
    "batch_per_minute": ("QBO_BUDGET_BATCH_PER_MINUTE", DEFAULT_BATCH_PER_MINUTE),
    "max_in_flight": ("QBO_BUDGET_IN_FLIGHT", DEFAULT_IN_FLIGHT),
}

_DB_NOW = "EXTRACT(EPOCH FROM clock_timestamp())::double precision"
_TAKE_SLOT = sa.text(
    # Rows are filtered one at a time and LIMIT stops the scan at the first lock taken, so at most
    # one slot is locked (the lock call is in WHERE, not in the select list; see the tests).
    "SELECT s FROM generate_series(0, :slots - 1) AS s WHERE pg_try_advisory_lock(:key, s) LIMIT 1"
)
_FREE_SLOT = sa.text("SELECT pg_advisory_unlock(:key, :slot)")
_LOCK_REALM = sa.text("SELECT pg_advisory_xact_lock(:key)")
_ADMIT = sa.text(f"""
WITH cur AS (
    SELECT t AS now, FLOOR(t / :width)::bigint AS bucket
    FROM (SELECT COALESCE(CAST(:now AS double precision), {_DB_NOW}) AS t) AS clock
),
swept AS (
    DELETE FROM qbo_request_budget AS b USING cur
    WHERE b.realm_id = :realm AND b.bucket < cur.bucket - :buckets
),
used AS (
    SELECT COALESCE(SUM(b.requests) FILTER (WHERE b.kind = 'all'), 0) AS n_all,
           COALESCE(SUM(b.requests) FILTER (WHERE b.kind = 'batch'), 0) AS n_batch,
           MIN(b.bucket) FILTER (WHERE b.kind = 'all') AS first_all,
           MIN(b.bucket) FILTER (WHERE b.kind = 'batch') AS first_batch
    FROM qbo_request_budget AS b, cur
    WHERE b.realm_id = :realm AND b.bucket >= cur.bucket - :buckets
),
verdict AS (
    SELECT cur.now, cur.bucket, GREATEST(
        COALESCE((SELECT p.paused_until FROM qbo_request_pauses AS p WHERE p.realm_id = :realm), 0)
            - cur.now,
        CASE WHEN used.n_all >= :per_window
             THEN (used.first_all + :buckets + 1) * :width - cur.now ELSE 0 END,
        CASE WHEN :is_batch AND used.n_batch >= :batch_per_window
             THEN (used.first_batch + :buckets + 1) * :width - cur.now ELSE 0 END
    ) AS wait
    FROM cur, used
),
granted AS (
    INSERT INTO qbo_request_budget (realm_id, kind, bucket, requests)
    SELECT :realm, k.kind, v.bucket, 1
    FROM verdict AS v, (VALUES ('all'), ('batch')) AS k (kind)
    WHERE v.wait <= 0 AND (k.kind = 'all' OR :is_batch)
    ON CONFLICT (realm_id, kind, bucket) DO UPDATE SET requests = qbo_request_budget.requests + 1
    RETURNING 1
)
SELECT v.now, v.wait, EXISTS (SELECT 1 FROM granted) AS granted FROM verdict AS v
""")
_PAUSE = sa.text(f"""
INSERT INTO qbo_request_pauses (realm_id, paused_until)
VALUES (:realm, COALESCE(CAST(:now AS double precision), {_DB_NOW}) + :seconds)
ON CONFLICT (realm_id) DO UPDATE
SET paused_until = GREATEST(qbo_request_pauses.paused_until, EXCLUDED.paused_until)
""")
_PAUSED_UNTIL = sa.text("SELECT paused_until FROM qbo_request_pauses WHERE realm_id = :realm")
_SENT = sa.text(f"""
SELECT COALESCE(SUM(requests), 0) FROM qbo_request_budget
WHERE realm_id = :realm AND kind = :kind
  AND bucket >= FLOOR(COALESCE(CAST(:now AS double precision), {_DB_NOW}) / :width)::bigint - :buckets
""")
# pg_locks lists the advisory locks of every database on the server; only this database's count
# (two CMMS databases on one server, or a test beside a demo, must not see each other's slots).
_IN_FLIGHT = sa.text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = CAST(:key AS bigint)::oid AND objsubid = 2"
)


@dataclass(frozen=True)
class Grant:
    """What :meth:`SharedBudget.acquire` yields: when the request was counted and the slot it holds."""

    at: float
    slot: int
    waited: float


def limits_from_env() -> dict[str, int]:
    """``per_minute``, ``batch_per_minute`` and ``max_in_flight`` from the environment (or defaults)."""
    limits: dict[str, int] = {}
    for name, (var, default) in ENV_LIMITS.items():
        raw = os.environ.get(var, "").strip()
        try:
            value = int(raw) if raw else default
        except ValueError as exc:
            raise ValueError(f"{var} must be a positive whole number, got {raw!r}") from exc
        if value < 1:
            raise ValueError(f"{var} must be a positive whole number, got {value}")
        limits[name] = value
    return limits


def realm_key(realm_id: str, purpose: str, bits: int = 31) -> int:
    """A stable non-negative advisory-lock key for ``realm_id`` (``bits`` wide)."""
    digest = hashlib.blake2b(f"qbo-budget:{purpose}:{realm_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << bits) - 1)


class SharedBudget:
    """Admission control for one realm across every worker sharing the CMMS database (thread-safe)."""

    def __init__(
        self,
        engine: Engine,
        realm_id: str,
        *,
        per_minute: int | None = None,
        batch_per_minute: int | None = None,
        max_in_flight: int | None = None,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        slot_poll: float = SLOT_POLL_SECONDS,
    ) -> None:
        env = limits_from_env()
        self.per_minute = per_minute or env["per_minute"]
        self.batch_per_minute = batch_per_minute or env["batch_per_minute"]
        self.max_in_flight = max_in_flight or env["max_in_flight"]
        self.window = window
        self.realm_id = str(realm_id)
        self.engine = engine
        self._clock = clock  # None: the database server's clock
        self._sleep = sleep
        self._slot_poll = slot_poll
        self._width = window / BUCKETS
        self._slot_key = realm_key(self.realm_id, "slots")
        self._admit_key = realm_key(self.realm_id, "admit", bits=63)
        self.local: RequestBudget | None = None
        if engine.dialect.name != "postgresql":
            self.local = self._local_budget()

    def __repr__(self) -> str:
        where = "process-local" if self.local is not None else "database"
        return f"SharedBudget(realm_id={self.realm_id!r}, {where}, {self.per_minute}/window)"

    def _local_budget(self) -> RequestBudget:
        limits = {
            "per_minute": self.per_minute,
            "batch_per_minute": self.batch_per_minute,
            "max_in_flight": self.max_in_flight,
            "window": self.window,
        }
        if self._clock is None:
            return budget_for(self.realm_id, **limits)
        return RequestBudget(**limits, clock=self._clock, sleep=self._sleep)  # type: ignore[arg-type]

    def _params(self, **extra: object) -> dict[str, object]:
        now = None if self._clock is None else self._clock()
        return {"realm": self.realm_id, "now": now, "width": self._width, "buckets": BUCKETS, **extra}

    @contextmanager
    def acquire(self, kind: str = "read") -> Iterator[Grant | None]:
        """Hold an in-flight slot and a counted place in the window while the request runs."""
        if self.local is not None:
            with self.local.acquire(kind):
                yield None
            return
        with self.engine.connect() as conn:
            slot, waited = self._take_slot(conn)
            try:
                at, admit_wait = self._admit(conn, kind == "batch")
                yield Grant(at=at, slot=slot, waited=waited + admit_wait)
            finally:
                self._free_slot(conn, slot)

    def _take_slot(self, conn: sa.Connection) -> tuple[int, float]:
        waited = 0.0
        while True:
            slot = conn.execute(_TAKE_SLOT, {"key": self._slot_key, "slots": self.max_in_flight}).scalar()
            conn.commit()
            if slot is not None:
                return int(slot), waited
            pause = self._slot_poll * (0.5 + random.random())
            self._sleep(pause)
            waited += pause

    def _admit(self, conn: sa.Connection, is_batch: bool) -> tuple[float, float]:
        """Count the request in the window once there is room; return (time counted, time waited)."""
        waited = 0.0
        while True:
            with conn.begin():
                conn.execute(_LOCK_REALM, {"key": self._admit_key})
                row = conn.execute(
                    _ADMIT,
                    self._params(
                        is_batch=is_batch,
                        per_window=self.per_minute,
                        batch_per_window=self.batch_per_minute,
                    ),
                ).one()
            if row.granted:
                return float(row.now), waited
            wait = max(float(row.wait), 0.001)
            self._sleep(wait)
            waited += wait

    def _free_slot(self, conn: sa.Connection, slot: int) -> None:
        try:
            if conn.in_transaction():
                conn.rollback()
            conn.execute(_FREE_SLOT, {"key": self._slot_key, "slot": slot})
            conn.commit()
        except sa.exc.DBAPIError:
            log.warning("could not release QBO in-flight slot %s; closing its database session", slot)
            conn.invalidate()  # the session ends, and with it the advisory lock

    def pause(self, seconds: float) -> None:
        """After a 429: no worker of this realm is admitted for ``seconds`` (never shortened)."""
        if self.local is not None:
            self.local.pause(seconds)
            return
        with self.engine.begin() as conn:
            conn.execute(_PAUSE, {**self._params(), "seconds": max(0.0, float(seconds))})

    @property
    def paused_until(self) -> float:
        """The realm's pause end (budget clock; 0 when never paused)."""
        if self.local is not None:
            return self.local.paused_until
        with self.engine.connect() as conn:
            value = conn.execute(_PAUSED_UNTIL, {"realm": self.realm_id}).scalar()
        return float(value or 0.0)

    def sent_in_window(self, kind: str = "any") -> int:
        """How many requests (or batch calls) the realm's current window holds, deployment-wide."""
        if self.local is not None:
            return self.local.sent_in_window(kind)
        params = self._params(kind="batch" if kind == "batch" else "all")
        with self.engine.connect() as conn:
            return int(conn.execute(_SENT, params).scalar_one())

    @property
    def in_flight(self) -> int:
        """In-flight slots held for this realm right now, by every worker."""
        if self.local is not None:
            return self.local.in_flight
        with self.engine.connect() as conn:
            return int(conn.execute(_IN_FLIGHT, {"key": self._slot_key}).scalar_one())


__all__ = ["BUCKETS", "Grant", "SharedBudget", "limits_from_env", "realm_key"]
