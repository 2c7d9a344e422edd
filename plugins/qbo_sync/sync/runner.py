"""One entity run: extract → map → validate → load → record (design decisions 5-7, 10, 11).

:class:`EntitySync` runs any mapping. Pull (direction ``pull``/``both``): read QuickBooks (in full,
by CDC or by ``LastUpdatedTime`` query, see :mod:`.extract`) and load page by page (:mod:`.load`);
the watermark moves only after every page committed. When a change check made for the whole run
(:mod:`.changes`) found nothing changed for the entity (``checked``), nothing is read.
Push (direction ``both``/``push``): create and update in QuickBooks what changed in the CMMS
(:mod:`.push`).

Runs of one entity and realm never overlap (:mod:`.run_lock`).

One bad record never stops the rest: per-record problems are counted, logged and written to
``sync_record_errors``, and the run ends ``partial`` (``success`` when nothing failed). Only
transport-level failures (auth, fatal, retries exhausted) fail the run, after recording what was
done. A dry run reads both sides and reports what would be created, updated or linked, and writes
nothing to the CMMS tables or QuickBooks.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa

from qbo_sync.mapping import Mapping
from qbo_sync.qbo.client import QBOClient
from qbo_sync.sync import store
from qbo_sync.sync.context import SyncContext
from qbo_sync.sync.pull.changes import Verdict
from qbo_sync.sync.pull.extract import Extract, plan_mode
from qbo_sync.sync.pull.load import PullLoader
from qbo_sync.sync.push import outbox
from qbo_sync.sync.push.pusher import Pusher
from qbo_sync.sync.record.counts import SyncCounts
from qbo_sync.sync.record.recorder import PARTIAL, RunRecorder
from qbo_sync.sync.refs import RefMaps, load_accounts, referenced_tables
from qbo_sync.sync.run_lock import entity_run_lock

log = logging.getLogger("qbo_sync.sync")


class EntitySync:
    """Sync one mapped entity between the CMMS database and one QuickBooks company."""

    def __init__(
        self,
        mapping: Mapping,
        client: QBOClient,
        engine: sa.Engine,
        *,
        realm_id: str,
        run_key: str,
        dry_run: bool = False,
        full_refresh: bool = False,
        now: datetime | None = None,
        checked: Verdict | None = None,
    ) -> None:
        self.mapping = mapping
        self.client = client
        self.engine = engine
        self.realm_id = str(realm_id)
        self.run_key = run_key
        self.dry_run = dry_run
        self.full_refresh = full_refresh
        self.now = now or datetime.now(UTC)
        # what the run's change check found (qbo_sync.sync.pull.changes); a full refresh reads anyway
        self.checked = None if full_refresh else checked
        self.recorder = RunRecorder(engine, mapping.entity, mapping.direction, run_key, dry_run)

    def __repr__(self) -> str:
        return f"EntitySync({self.mapping.entity!r}, realm_id={self.realm_id!r}, dry_run={self.dry_run})"

    def run(self) -> SyncCounts:
        """Sync the entity and return its counts (also stored in ``sync_runs``).

        Raises :class:`~qbo_sync.sync.run_lock.SyncAlreadyRunning`, having done nothing, while
        another run of the entity for the realm holds its lock. A dry run takes no lock: it writes
        neither CMMS records nor QuickBooks, so it may run beside a real one."""
        if self.dry_run:
            return self._run()
        with entity_run_lock(self.engine, self.realm_id, self.mapping.entity):
            return self._run()

    def _run(self) -> SyncCounts:
        self.recorder.start(self.now)
        ctx = self._context()
        try:
            if self.mapping.direction != "pull":
                outbox.resolve_unfinished(ctx)  # before the pull, so it does not import them anew
            pulled_everything = self._pull(ctx) if self.mapping.direction != "push" else False
            if self.mapping.direction != "pull":
                Pusher(ctx, self._loader, pulled_everything=pulled_everything).run()
        except Exception as exc:
            self._finish(ctx, "failed", f"stopped: {exc}")
            log.error("%s: sync stopped (%s); %s", self.mapping.entity, exc, ctx.counts.summary())
            raise
        status = PARTIAL if ctx.counts.failed else "success"
        message = (
            f"{ctx.counts.failed} record(s) failed; see sync_record_errors" if ctx.counts.failed else None
        )
        self._finish(ctx, status, message)
        return ctx.counts

    def _context(self) -> SyncContext:
        with self.engine.connect() as conn:
            refs = RefMaps.load(conn, referenced_tables(self.mapping))
            accounts = load_accounts(conn, self.mapping)
        ctx = SyncContext(
            mapping=self.mapping,
            client=self.client,
            engine=self.engine,
            realm_id=self.realm_id,
            recorder=self.recorder,
            refs=refs,
            accounts=accounts,
            now=self.now,
            dry_run=self.dry_run,
            full_refresh=self.full_refresh,
        )
        checked = self.checked
        if checked and checked.absent_upto_id is not None and checked.absent_as_of is not None:
            ctx.names_absent = (checked.absent_upto_id, checked.absent_as_of)
        self._loader = PullLoader(ctx)
        return ctx

    def _pull(self, ctx: SyncContext) -> bool:
        """Read and load what changed in QuickBooks; True when every object was read."""
        entity = self.mapping.entity
        with self.engine.connect() as conn:
            mark = store.watermark(conn, self.realm_id, entity)
        mode = plan_mode(self.mapping, mark, self.full_refresh, self.now)
        quiet = self.checked.quiet_since if self.checked and mark is not None else None
        extract = Extract(self.mapping, self.client, mark, mode, quiet_since=quiet)
        if quiet is not None:
            log.info("%s: nothing changed in QuickBooks since %s (change check)", entity, mark.isoformat())
        else:
            log.info("%s: reading QuickBooks %s (%s)", entity, self.mapping.qbo_entity, _describe(mode, mark))
        for page, mapped in self._loader.mapped_pages(extract.pages()):
            self._loader.load_page(page, mapped)
        new_mark = extract.next_watermark(self._loader.oldest_failed)
        if not self.dry_run and new_mark is not None and new_mark != mark:
            with self.engine.begin() as conn:
                store.save_watermark(conn, self.realm_id, entity, new_mark, extract.mode)
        return mode == "full" and quiet is None

    def _finish(self, ctx: SyncContext, status: str, message: str | None) -> None:
        self.recorder.log_overflow()
        self.recorder.finish(status, ctx.counts, datetime.now(UTC), message)
        prefix = "[dry run] " if self.dry_run else ""
        line = f"{prefix}{self.mapping.entity}: {ctx.counts.summary()}"
        if ctx.counts.failed:
            log.warning("%s. Failed records are listed in sync_record_errors with the reason.", line)
        else:
            log.info("%s", line)


def _describe(mode: str, mark: datetime | None) -> str:
    if mode == "full":
        return "every record, inactive ones too"
    return f"changes since {mark.isoformat() if mark else '-'} by {'CDC' if mode == 'cdc' else 'query'}"
