"""One payment publish per realm at a time: the sync's PostgreSQL advisory lock, waited for.

A backfill run of ``qbo_payments`` can run beside a scheduled one (Airflow's ``max_active_runs``
does not hold backfills back in every case). Both may stage, audit and read QuickBooks at once;
their publishes take :func:`~qbo_sync.sync.run_lock.entity_run_lock` on ``(realm, "payments
publish")`` so they never interleave: the second waits (polling the try-lock, logging once who
holds it), then publishes against what the first committed, where the version checks of
:mod:`~qbo_sync.payments.prepare` see it. After :data:`WAIT_LIMIT` it gives up with
:class:`PublishBusy` (the task fails and Airflow retries it). SQLite takes no lock (one writer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from qbo_sync.sync.run_lock import SyncAlreadyRunning, entity_run_lock

log = logging.getLogger("qbo_sync.payments")

LOCK_ENTITY = "payments publish"
WAIT_LIMIT = timedelta(minutes=10)
POLL_SECONDS = 0.2


class PublishBusy(RuntimeError):
    """Another publish of the realm held the lock for longer than :data:`WAIT_LIMIT`."""


@contextmanager
def publish_lock(engine: sa.Engine, realm_id: str, batch_id: int) -> Iterator[None]:
    """Hold the realm's publish lock for the block, waiting for another publish to finish."""
    deadline = time.monotonic() + WAIT_LIMIT.total_seconds()
    told = False
    while True:
        try:
            with entity_run_lock(engine, realm_id, LOCK_ENTITY):
                if told:
                    log.info("payments: batch %s: the other publish finished; publishing now", batch_id)
                yield
                return
        except SyncAlreadyRunning as exc:
            if time.monotonic() >= deadline:
                raise PublishBusy(
                    f"payment batch {batch_id} was not published: another payment publish of realm "
                    f"{realm_id} held the lock for over {int(WAIT_LIMIT.total_seconds() // 60)} minutes "
                    f"({exc}). Nothing was applied; the task's retry publishes it."
                ) from None
            if not told:
                log.info(
                    "payments: batch %s waits to publish: another payment batch of realm %s is being "
                    "published; this one follows when it has finished",
                    batch_id,
                    realm_id,
                )
                told = True
            time.sleep(POLL_SECONDS)
