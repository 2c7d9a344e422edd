"""What one page of pulled objects needs written, and writing it in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import Conflict, comparable
from qbo_sync.sync import store
from qbo_sync.sync.context import SyncContext
from qbo_sync.sync.overwrites import Overwrite, save_overwrites

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
    overwrites: list[Overwrite] = field(default_factory=list)  # values the owner rule replaced


@dataclass
class PageRows:
    """What one page's records are matched against (read once per page)."""

    existing: dict[str, dict[str, Any]]
    snaps: dict[int, dict[str, Any]]
    open_: dict[int, set[str]]


def write_plan(ctx: SyncContext, conn: sa.Connection, plan: PagePlan) -> None:
    """Insert and update the rows; for two-way entities also the snapshots (new rows start from
    what was inserted), the conflicts opened and the conflicts settled."""
    entity = ctx.mapping.entity
    new_ids = store.insert_rows(conn, ctx.table, plan.inserts) if plan.inserts else {}
    store.update_rows(conn, ctx.table, plan.updates)
    if ctx.two_way:
        for row in plan.inserts:
            cid = new_ids.get(str(row["qb_id"]))
            if cid is not None:
                snap = comparable(ctx.mapping, row)
                plan.snapshots.append((cid, row["qb_id"], row["qb_sync_token"], snap))
        store.save_snapshots(conn, entity, plan.snapshots)
        store.save_conflicts(conn, entity, plan.conflicts, ctx.now)
        store.resolve_conflicts(conn, entity, plan.settled, ctx.now)
        save_overwrites(conn, entity, plan.overwrites, ctx.recorder.run_key, ctx.now)
