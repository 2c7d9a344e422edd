"""Redoing a page the database refused, one record per savepoint.

When the CMMS database refuses a page (NUMERIC overflow, CHECK, length, NOT NULL), the page's
transaction is rolled back and its records are loaded again one at a time, each under a savepoint:
the good records load, each refused one becomes a per-record error. A rolled-back attempt leaves
no trace in memory either: counts, queued failures, the oldest failure and natural-key links go
back to an :class:`UndoMark` taken before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.sync.context import SyncContext
from qbo_sync.sync.pull.load_plan import Mapped, PagePlan, PagePlanner, PageRows, local_id, write_plan
from qbo_sync.sync.record.recorder import RecordFailure, db_rejected

# What the database says when one record does not fit (NUMERIC overflow, too long, CHECK, NOT NULL)
DB_REFUSALS = (sa.exc.IntegrityError, sa.exc.DataError)


@dataclass
class UndoMark:
    """In-memory state to return to when a transaction or savepoint is rolled back."""

    counts: dict[str, int]
    recorder: tuple[list[RecordFailure], dict[str, int]]
    oldest_failed: datetime | None
    links: int


class SavepointRedo:
    """The record-by-record path of one entity run's pull, and the undo of rolled-back attempts.

    Works on the run's :class:`~qbo_sync.sync.pull.load_plan.PagePlanner` (its decisions, failures and
    links); the loader owns both."""

    def __init__(self, ctx: SyncContext, planner: PagePlanner) -> None:
        self.ctx = ctx
        self.planner = planner

    def checkpoint(self) -> UndoMark:
        ctx = self.ctx
        return UndoMark(
            counts=ctx.counts.as_dict(),
            recorder=ctx.recorder.checkpoint(),
            oldest_failed=self.planner.oldest_failed,
            links=self.planner.links.mark(),
        )

    def rewind(self, mark: UndoMark) -> None:
        """Undo the in-memory effects of a rolled-back attempt: counts, queued failures, the
        oldest failure, and natural-key links (the rows go back into the index)."""
        ctx = self.ctx
        for name, value in mark.counts.items():
            setattr(ctx.counts, name, value)
        ctx.recorder.rewind(mark.recorder)
        self.planner.oldest_failed = mark.oldest_failed
        self.planner.links.rewind(mark.links)

    def load_one(self, conn: sa.Connection, page: PageRows, obj: dict[str, Any], result: Mapped) -> None:
        """One record under a savepoint; a database refusal becomes its per-record error."""
        mark = self.checkpoint()
        plan = PagePlan()
        remote: dict[str, Any] | None = None
        try:
            with conn.begin_nested():
                remote = self.planner.plan(conn, plan, page, obj, result)
                if not self.ctx.dry_run:
                    write_plan(self.ctx, conn, plan)
        except DB_REFUSALS as exc:
            self.rewind(mark)
            self._refused(obj, remote or {}, page.existing, exc)

    def _refused(
        self, obj: dict[str, Any], remote: dict[str, Any], existing: dict[str, dict[str, Any]], exc: Exception
    ) -> None:
        ctx = self.ctx
        ctx.counts.pulled += 1
        remote = remote or {"qb_id": str(obj.get("Id"))}
        self.planner.fail(obj, db_rejected(ctx.mapping, ctx.table, remote, local_id(obj, existing), exc))
