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
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import (
    Conflict,
    MergeResult,
    RecordError,
    SkipRecord,
    comparable,
    get_path,
    matches_natural_key,
    merge,
    qbo_to_row,
)
from qbo_sync.mapping.keys import normalize_key
from qbo_sync.sync import messages, store
from qbo_sync.sync.context import SyncContext
from qbo_sync.sync.extract import _last_updated
from qbo_sync.sync.record import RecordFailure, _db_reason, db_rejected, unreadable

log = logging.getLogger("qbo_sync.sync")

# What the database says when one record does not fit (NUMERIC overflow, too long, CHECK, NOT NULL)
DB_REFUSALS = (sa.exc.IntegrityError, sa.exc.DataError)
# What a converter may raise for a bad value when the mapping did not wrap it in a FieldValueError
UNREADABLE = (ValueError, TypeError, ArithmeticError)

# One object of a page after mapping: its CMMS values, or why it could not be mapped.
Mapped = dict[str, Any] | Exception


@dataclass
class PagePlan:
    """The writes one page needs."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[tuple[int, str | None, str | None, dict]] = field(default_factory=list)
    conflicts: list[tuple[int, str | None, Conflict]] = field(default_factory=list)
    settled: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Page:
    """What one page's records are matched against (read once per page)."""

    existing: dict[str, dict[str, Any]]
    snaps: dict[int, dict[str, Any]]
    open_: dict[int, set[str]]


@dataclass
class _Mark:
    """In-memory state to return to when a transaction or savepoint is rolled back."""

    counts: dict[str, int]
    recorder: tuple[list[RecordFailure], dict[str, int]]
    oldest_failed: datetime | None
    popped: int


def _local_id(obj: dict[str, Any], existing: dict[str, dict[str, Any]]) -> int | None:
    local = existing.get(str(obj.get("Id")))
    return int(local["id"]) if local else None


class PullLoader:
    """Loads pages of QuickBooks objects for one entity run."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.oldest_failed: datetime | None = None
        self._index: dict[tuple[str | None, ...], list[dict[str, Any]]] | None = None
        self._popped: list[tuple[tuple[str | None, ...], int, dict[str, Any]]] = []  # links made
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
            page = _Page(existing, snaps, open_)
            if by_record:
                for obj, result in zip(objects, mapped, strict=True):
                    self._load_one(conn, page, obj, result)
            else:
                plan = PagePlan()
                for obj, result in zip(objects, mapped, strict=True):
                    self._plan(conn, plan, page, obj, result)
                if not ctx.dry_run:
                    self._write(conn, plan)
            ctx.recorder.flush(conn, ctx.table, ctx.now)

    def _plan(
        self, conn: sa.Connection, plan: PagePlan, page: _Page, obj: dict[str, Any], result: Mapped
    ) -> dict[str, Any] | None:
        remote = self._map(obj, result, page.existing)
        if remote is not None:
            local = page.existing.get(remote["qb_id"])
            self._one(conn, plan, obj, remote, local, page.snaps, page.open_)
        return remote

    def _load_one(self, conn: sa.Connection, page: _Page, obj: dict[str, Any], result: Mapped) -> None:
        """One record under a savepoint; a database refusal becomes its per-record error."""
        mark = self._checkpoint()
        plan = PagePlan()
        remote: dict[str, Any] | None = None
        try:
            with conn.begin_nested():
                remote = self._plan(conn, plan, page, obj, result)
                if not self.ctx.dry_run:
                    self._write(conn, plan)
        except DB_REFUSALS as exc:
            self._rewind(mark)
            self._refused(obj, remote or {}, page.existing, exc)

    def _refused(
        self, obj: dict[str, Any], remote: dict[str, Any], existing: dict[str, dict[str, Any]], exc: Exception
    ) -> None:
        self.ctx.counts.pulled += 1
        remote = remote or {"qb_id": str(obj.get("Id"))}
        self._fail(obj, db_rejected(self.ctx.mapping, self.ctx.table, remote, _local_id(obj, existing), exc))

    # --- undo of a rolled-back attempt ---------------------------------------------------------

    def _checkpoint(self) -> _Mark:
        ctx = self.ctx
        return _Mark(
            counts=ctx.counts.as_dict(),
            recorder=ctx.recorder.checkpoint(),
            oldest_failed=self.oldest_failed,
            popped=len(self._popped),
        )

    def _rewind(self, mark: _Mark) -> None:
        """Undo the in-memory effects of a rolled-back attempt: counts, queued failures, the
        oldest failure, and natural-key links (the rows go back into the index)."""
        ctx = self.ctx
        for name, value in mark.counts.items():
            setattr(ctx.counts, name, value)
        ctx.recorder.rewind(mark.recorder)
        self.oldest_failed = mark.oldest_failed
        while len(self._popped) > mark.popped:
            key, i, row = self._popped.pop()
            ctx.linked_in_memory.discard(int(row["id"]))
            if self._index is not None:
                self._index.setdefault(key, []).insert(i, row)

    # --- mapping results -----------------------------------------------------------------------

    def _map(
        self, obj: dict[str, Any], result: Mapped, existing: dict[str, dict[str, Any]]
    ) -> dict[str, Any] | None:
        ctx = self.ctx
        ctx.counts.pulled += 1
        if isinstance(result, dict):
            return result
        if isinstance(result, UNREADABLE) and not isinstance(result, RecordError):
            self._fail(obj, unreadable(ctx.mapping, obj, _local_id(obj, existing), result))
            return None
        if not isinstance(result, RecordError):
            raise result
        if isinstance(result, SkipRecord):
            ctx.counts.skipped += 1
            ctx.recorder.said("skipped", str(result))
        else:
            qb_id = str(obj.get("Id"))
            failure = messages.unmappable(ctx.mapping, result, _local_id(obj, existing), qb_id, push=False)
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
            local = self._link_candidate(conn, obj)
            linking = local is not None
        if local is None:
            self._insert(plan, remote)
        elif not self.ctx.two_way:
            self._overwrite(plan, local, remote, linking)
        elif linking:
            result = merge(self.ctx.mapping, self._link_base(local), local, remote)
            self._merge(plan, local, remote, result, set(), True)
        elif remote["qb_sync_token"] == local.get("qb_sync_token") and int(local["id"]) in snaps:
            self.ctx.counts.unchanged += 1
        else:
            base = snaps.get(int(local["id"]))
            result = merge(self.ctx.mapping, base, local, remote)
            self._merge(plan, local, remote, result, open_.get(int(local["id"]), set()), False)

    # --- natural-key linking -------------------------------------------------------------------

    def _key_of_obj(self, obj: dict[str, Any]) -> tuple[str | None, ...]:
        parts = [p for p in self.ctx.mapping.natural_key if not p.optional]
        return tuple(normalize_key(p, get_path(obj, p.qbo)) for p in parts)

    def _key_of_row(self, row: dict[str, Any]) -> tuple[str | None, ...]:
        parts = [p for p in self.ctx.mapping.natural_key if not p.optional]
        return tuple(normalize_key(p, row.get(p.cmms)) for p in parts)

    def _link_candidate(self, conn: sa.Connection, obj: dict[str, Any]) -> dict[str, Any] | None:
        mapping = self.ctx.mapping
        if not mapping.natural_key:
            return None
        if self._index is None:
            self._index = {}
            for row in store.unlinked_rows(conn, self.ctx.table):
                self._index.setdefault(self._key_of_row(row), []).append(row)
        key = self._key_of_obj(obj)
        if None in key:
            return None
        candidates = self._index.get(key, [])
        for i, row in enumerate(candidates):
            if matches_natural_key(mapping, row, obj):
                self.ctx.linked_in_memory.add(int(row["id"]))
                self._popped.append((key, i, row))
                return candidates.pop(i)
        return None

    def _link_base(self, local: dict[str, Any]) -> dict[str, Any]:
        """The base of a first link: the natural key matched, so QuickBooks' spelling of it wins
        (``'acme '`` in the CMMS becomes ``'Acme'``) instead of looking like a conflict."""
        mapping = self.ctx.mapping
        current = comparable(mapping, local)
        return {p.cmms: current[p.cmms] for p in mapping.natural_key if p.cmms in current}

    def forget_linked(self, cmms_ids: set[int]) -> None:
        """Drop rows linked elsewhere (by the push's lookup) from the natural-key index."""
        if self._index:
            for key, rows in self._index.items():
                self._index[key] = [r for r in rows if int(r["id"]) not in cmms_ids]

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

    # --- writes --------------------------------------------------------------------------------

    def _write(self, conn: sa.Connection, plan: PagePlan) -> None:
        ctx = self.ctx
        entity = ctx.mapping.entity
        new_ids = store.insert_rows(conn, ctx.table, plan.inserts) if plan.inserts else {}
        store.update_rows(conn, ctx.table, plan.updates)
        if ctx.two_way:
            for row in plan.inserts:
                cid = new_ids.get(str(row["qb_id"]))
                if cid is not None:
                    snap = comparable(ctx.mapping, row)
                    plan.snapshots.append((cid, row["qb_id"], row["qb_sync_token"], snap))
            store.save_snapshots(conn, entity, plan.snapshots, ctx.now)
            store.save_conflicts(conn, entity, plan.conflicts, ctx.now)
            store.resolve_conflicts(conn, entity, plan.settled, ctx.now)
