"""Loading pulled QuickBooks objects into the CMMS, one page per transaction.

Per object: matched by ``qb_id``; else linked to an unlinked CMMS row with the same natural key
(first sync); else inserted. Pull-only entities take QuickBooks' values. Two-way entities merge
base (the last agreed snapshot) / local / remote (``mapping.merge``): remote-only changes are
written, local-only changes are left for the push (the snapshot keeps QuickBooks' value, so the
push sees the difference), both-changed fields follow the owner or open a conflict. The rows, their
snapshots and conflicts are written in the same transaction, so a pulled value never looks like a
local edit. Unchanged objects (same SyncToken) cost no write at all.

One bad record never stops the rest: an object that cannot be mapped (a bad value, even one the
mapping did not wrap, like a malformed ``LastUpdatedTime``) is a per-record error; a page the
database refuses (NUMERIC overflow, CHECK, length) is rolled back and redone one record per
savepoint, each refused record becoming a per-record error. Either way the watermark stays before
the failed record.

Pieces kept in their own modules: the natural-key index (:mod:`qbo_sync.sync.linking`), the page's
writes (:mod:`qbo_sync.sync.load_plan`) and the record-by-record redo with its in-memory undo
(:mod:`qbo_sync.sync.load_redo`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import MergeResult, RecordError, SkipRecord, comparable, merge, qbo_to_row
from qbo_sync.sync import messages, store
from qbo_sync.sync.context import SyncContext
from qbo_sync.sync.extract import _last_updated
from qbo_sync.sync.linking import NaturalKeyLinks
from qbo_sync.sync.load_plan import Mapped, PagePlan, PageRows, write_plan
from qbo_sync.sync.load_redo import DB_REFUSALS, SavepointRedo, local_id
from qbo_sync.sync.overwrites import detect as detect_overwrites
from qbo_sync.sync.record import RecordFailure, _db_reason, unreadable

log = logging.getLogger("qbo_sync.sync")

# What a converter may raise for a bad value when the mapping did not wrap it in a FieldValueError
UNREADABLE = (ValueError, TypeError, ArithmeticError)


class PullLoader(SavepointRedo):
    """Loads pages of QuickBooks objects for one entity run."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.oldest_failed: datetime | None = None
        self.links = NaturalKeyLinks(ctx)
        table = ctx.table
        # NOT NULL columns with a server default: an insert leaves them out rather than send NULL
        self._defaulted = [c.name for c in table.c if not c.nullable and c.server_default is not None]

    # --- entry point ---------------------------------------------------------------------------

    def prepare(self, objects: list[dict[str, Any]]) -> list[Mapped]:
        """Map a page (pure: no database, no counters), one result per object in order."""
        ctx = self.ctx
        out: list[Mapped] = []
        for obj in objects:
            try:
                out.append(qbo_to_row(ctx.mapping, obj, ctx.refs))
            except Exception as exc:  # kept in place: raised (or recorded) when its turn comes
                out.append(exc)
        return out

    def mapped_pages(
        self, pages: Iterable[list[dict[str, Any]]]
    ) -> Iterator[tuple[list[dict[str, Any]], list[Mapped]]]:
        """``(page, prepare(page))`` in order, the next page mapped in a helper thread while the
        caller loads the current one (its database round trips release the GIL). At most two
        pages are held here. A failure to read a page is raised after the pages read before it
        were handed out, as when reading one page at a time."""
        it = iter(pages)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qbo-sync-map") as pool:
            pending: tuple[list[dict[str, Any]], Future[list[Mapped]]] | None = None
            failure: BaseException | None = None
            while True:
                try:
                    page = next(it)
                except StopIteration:
                    break
                except Exception as exc:
                    failure = exc
                    break
                ahead = (page, pool.submit(self.prepare, page))
                if pending is not None:
                    yield pending[0], pending[1].result()
                pending = ahead
            if pending is not None:
                yield pending[0], pending[1].result()
        if failure is not None:
            raise failure

    def load_page(self, objects: list[dict[str, Any]], mapped: list[Mapped] | None = None) -> None:
        """Load one page in one transaction (``mapped``: the page's :meth:`prepare`, if done).

        If the database refuses the page (a value too large or too long for its column, a CHECK
        constraint), it is rolled back and loaded again one record at a time, each under a
        savepoint: the good records load, each refused one becomes a per-record error."""
        if mapped is None:
            mapped = self.prepare(objects)
        mark = self._checkpoint()
        try:
            self._load(objects, mapped, by_record=False)
        except DB_REFUSALS as exc:
            self._rewind(mark)
            log.warning(
                "%s: the CMMS database refused a page of %d record(s) (%s); loading them one by one",
                self.ctx.mapping.entity,
                len(objects),
                _db_reason(exc),
            )
            self._load(objects, mapped, by_record=True)

    def _load(self, objects: list[dict[str, Any]], mapped: list[Mapped], by_record: bool) -> None:
        ctx = self.ctx
        with ctx.engine.begin() as conn:
            existing = store.rows_by_qb_id(conn, ctx.table, [str(o.get("Id")) for o in objects])
            ids = [int(r["id"]) for r in existing.values()]
            snaps = store.snapshots(conn, ctx.mapping.entity, ids) if ctx.two_way else {}
            open_ = store.open_conflicts(conn, ctx.mapping.entity, ids) if ctx.two_way else {}
            page = PageRows(existing, snaps, open_)
            if by_record:
                for obj, result in zip(objects, mapped, strict=True):
                    self._load_one(conn, page, obj, result)
            else:
                plan = PagePlan()
                for obj, result in zip(objects, mapped, strict=True):
                    self._plan(conn, plan, page, obj, result)
                if not ctx.dry_run:
                    write_plan(ctx, conn, plan)
            ctx.recorder.flush(conn, ctx.table, ctx.now)

    def _plan(
        self, conn: sa.Connection, plan: PagePlan, page: PageRows, obj: dict[str, Any], result: Mapped
    ) -> dict[str, Any] | None:
        remote = self._map(obj, result, page.existing)
        if remote is not None:
            local = page.existing.get(remote["qb_id"])
            self._one(conn, plan, obj, remote, local, page.snaps, page.open_)
        return remote

    # --- mapping results -----------------------------------------------------------------------

    def _map(
        self, obj: dict[str, Any], result: Mapped, existing: dict[str, dict[str, Any]]
    ) -> dict[str, Any] | None:
        ctx = self.ctx
        ctx.counts.pulled += 1
        if isinstance(result, dict):
            return result
        if isinstance(result, UNREADABLE) and not isinstance(result, RecordError):
            self._fail(obj, unreadable(ctx.mapping, obj, local_id(obj, existing), result))
            return None
        if not isinstance(result, RecordError):
            raise result
        if isinstance(result, SkipRecord):
            ctx.counts.skipped += 1
            ctx.recorder.said("skipped", str(result))
        else:
            qb_id = str(obj.get("Id"))
            failure = messages.unmappable(ctx.mapping, result, local_id(obj, existing), qb_id, push=False)
            self._fail(obj, failure)
        return None

    def _fail(self, obj: dict[str, Any], failure: RecordFailure) -> None:
        self.ctx.counts.failed += 1
        self.ctx.recorder.fail_record(failure)
        self._note_failed(obj)

    def _note_failed(self, obj: dict[str, Any]) -> None:
        """The watermark must not move past a record that failed to load."""
        moment = _last_updated(obj)
        if moment is not None and (self.oldest_failed is None or moment < self.oldest_failed):
            self.oldest_failed = moment

    def _one(
        self,
        conn: sa.Connection,
        plan: PagePlan,
        obj: dict[str, Any],
        remote: dict[str, Any],
        local: dict[str, Any] | None,
        snaps: dict[int, dict[str, Any]],
        open_: dict[int, set[str]],
    ) -> None:
        linking = False
        if local is None:
            local = self.links.candidate(conn, obj)
            linking = local is not None
        if local is None:
            self._insert(plan, remote)
        elif not self.ctx.two_way:
            self._overwrite(plan, local, remote, linking)
        elif linking:
            result = merge(self.ctx.mapping, self.links.base(local), local, remote)
            self._merge(plan, local, remote, result, set(), True)
        elif remote["qb_sync_token"] == local.get("qb_sync_token") and int(local["id"]) in snaps:
            self.ctx.counts.unchanged += 1
        else:
            base = snaps.get(int(local["id"]))
            result = merge(self.ctx.mapping, base, local, remote)
            plan.overwrites.extend(detect_overwrites(self.ctx.mapping, base, local, remote, result))
            self._merge(plan, local, remote, result, open_.get(int(local["id"]), set()), False)

    def forget_linked(self, cmms_ids: set[int]) -> None:
        """Drop rows linked elsewhere (by the push's lookup) from the natural-key index."""
        self.links.forget(cmms_ids)

    # --- decisions -----------------------------------------------------------------------------

    def _sync_columns(self, remote: dict[str, Any]) -> dict[str, Any]:
        return {
            "qb_id": remote["qb_id"],
            "qb_sync_token": remote["qb_sync_token"],
            "qb_last_updated_at": remote["qb_last_updated_at"],
            "qb_synced_at": self.ctx.now,
            "qb_status": "synced",
            "qb_error": None,
        }

    def _insert(self, plan: PagePlan, remote: dict[str, Any]) -> None:
        ctx = self.ctx
        row = {**remote, **self._sync_columns(remote)}
        for col in self._defaulted:  # a NOT NULL column with a default takes the default, not NULL
            if col in row and row[col] is None:
                del row[col]
        plan.inserts.append(row)
        ctx.counts.created += 1
        ctx.recorder.said(
            "created", f"{ctx.who(remote)}: added to the CMMS from QuickBooks (Id {remote['qb_id']})"
        )

    def _overwrite(
        self, plan: PagePlan, local: dict[str, Any], remote: dict[str, Any], linking: bool
    ) -> None:
        """Pull-only entities: QuickBooks' values win."""
        ctx = self.ctx
        same = (
            comparable(ctx.mapping, {k: local.get(k) for k in remote}) == comparable(ctx.mapping, remote)
            and local.get("qb_sync_token") == remote["qb_sync_token"]
            and local.get("qb_status") == "synced"
        )
        if same and not linking:
            ctx.counts.unchanged += 1
            return
        plan.updates.append({"id": local["id"], **remote, **self._sync_columns(remote)})
        if linking:
            ctx.counts.linked += 1
            ctx.recorder.said("linked", f"{ctx.who(local)}: linked to QuickBooks Id {remote['qb_id']}")
        else:
            ctx.counts.updated += 1
            ctx.recorder.said("updated", f"{ctx.who(remote)}: updated from QuickBooks")

    def _merge(
        self,
        plan: PagePlan,
        local: dict[str, Any],
        remote: dict[str, Any],
        result: MergeResult,
        open_fields: set[str],
        linking: bool,
    ) -> None:
        ctx = self.ctx
        cid = int(local["id"])
        snapshot = dict(result.snapshot)
        remote_cmp = comparable(ctx.mapping, remote)
        for col in result.to_remote:  # the push sends these: keep QuickBooks' value as agreed
            if col in remote_cmp:
                snapshot[col] = remote_cmp[col]
        conflicted = {c.field for c in result.conflicts}
        plan.settled.extend((cid, f) for f in sorted(open_fields - conflicted))
        row = {"id": cid, **result.to_local, **self._sync_columns(remote)}
        if result.conflicts:
            row["qb_status"] = "conflict"
            row["qb_error"] = ctx.conflict_text({**local, **result.to_local}, result.conflicts)
            plan.conflicts.extend((cid, remote["qb_id"], c) for c in result.conflicts)
            ctx.counts.conflicts += 1
            ctx.recorder.warn(row["qb_error"])
        plan.updates.append(row)
        plan.snapshots.append((cid, remote["qb_id"], remote["qb_sync_token"], snapshot))
        self._count_merge(local, remote, result, linking)

    def _count_merge(
        self, local: dict[str, Any], remote: dict[str, Any], result: MergeResult, linking: bool
    ) -> None:
        ctx = self.ctx
        who = ctx.who({**local, **result.to_local})
        if linking:
            ctx.counts.linked += 1
            ctx.recorder.said("linked", f"{who}: linked to QuickBooks Id {remote['qb_id']} (same name)")
        elif result.to_local:
            ctx.counts.updated += 1
            fields = ", ".join(sorted(result.to_local))
            ctx.recorder.said("updated", f"{who}: updated from QuickBooks ({fields})")
        elif not result.to_remote and not result.conflicts:
            ctx.counts.unchanged += 1
