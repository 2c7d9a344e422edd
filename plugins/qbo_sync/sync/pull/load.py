"""Loading pulled QuickBooks objects into the CMMS, one page per transaction.

:class:`PullLoader` is one object composed of parts, each in its own module:

- the natural-key index of first-sync links (:class:`~qbo_sync.sync.pull.linking.NaturalKeyLinks`),
- the per-object decisions and the page's writes (:class:`~qbo_sync.sync.pull.load_plan.PagePlanner`,
  :func:`~qbo_sync.sync.pull.load_plan.write_plan`),
- the record-by-record redo with its in-memory undo (:class:`~qbo_sync.sync.pull.load_redo.SavepointRedo`).

Per object: matched by ``qb_id``; else linked to an unlinked CMMS row with the same natural key
(first sync); else inserted. The rows, their snapshots and conflicts are written in the same
transaction, so a pulled value never looks like a local edit.

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
from datetime import datetime
from typing import Any

from qbo_sync.mapping import qbo_to_row
from qbo_sync.sync import store
from qbo_sync.sync.context import SyncContext
from qbo_sync.sync.pull.load_plan import Mapped, PagePlan, PagePlanner, PageRows, write_plan
from qbo_sync.sync.pull.load_redo import DB_REFUSALS, SavepointRedo
from qbo_sync.sync.record.recorder import db_reason

log = logging.getLogger("qbo_sync.sync")


class PullLoader:
    """Loads pages of QuickBooks objects for one entity run (see the module docstring)."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.planner = PagePlanner(ctx)
        self.redo = SavepointRedo(ctx, self.planner)

    @property
    def oldest_failed(self) -> datetime | None:
        """The ``LastUpdatedTime`` of the oldest record that failed to load (None: none failed)."""
        return self.planner.oldest_failed

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
        mark = self.redo.checkpoint()
        try:
            self._load(objects, mapped, by_record=False)
        except DB_REFUSALS as exc:
            self.redo.rewind(mark)
            log.warning(
                "%s: the CMMS database refused a page of %d record(s) (%s); loading them one by one",
                self.ctx.mapping.entity,
                len(objects),
                db_reason(exc),
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
                    self.redo.load_one(conn, page, obj, result)
            else:
                plan = PagePlan()
                for obj, result in zip(objects, mapped, strict=True):
                    self.planner.plan(conn, plan, page, obj, result)
                if not ctx.dry_run:
                    write_plan(ctx, conn, plan)
            ctx.recorder.flush(conn, ctx.table, ctx.now)
