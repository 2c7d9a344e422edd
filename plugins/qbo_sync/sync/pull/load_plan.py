"""What one page of pulled objects needs written, and writing it in the caller's transaction.

:class:`PagePlanner` decides per object (match by ``qb_id``, link by natural key, insert; merge or
overwrite) and adds the writes to a :class:`PagePlan`; :func:`write_plan` writes a plan. Pull-only
entities take QuickBooks' values. Two-way entities merge base (the last agreed snapshot) / local /
remote (``mapping.merge``): remote-only changes are written, local-only changes are left for the
push (the snapshot keeps QuickBooks' value, so the push sees the difference), both-changed fields
follow the owner or open a conflict. Unchanged objects (same SyncToken) cost no write at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import Conflict, MergeResult, RecordError, SkipRecord, comparable, merge
from qbo_sync.sync import store
from qbo_sync.sync.context import SyncContext
from qbo_sync.sync.pull.extract import last_updated
from qbo_sync.sync.pull.linking import NaturalKeyLinks
from qbo_sync.sync.push.agreed import agreed_matches
from qbo_sync.sync.record import messages
from qbo_sync.sync.record.overwrites import Overwrite, save_overwrites
from qbo_sync.sync.record.overwrites import detect as detect_overwrites
from qbo_sync.sync.record.recorder import RecordFailure, unreadable

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


def local_id(obj: dict[str, Any], existing: dict[str, dict[str, Any]]) -> int | None:
    """The CMMS id of the row already holding ``obj``'s QuickBooks Id, if any."""
    local = existing.get(str(obj.get("Id")))
    return int(local["id"]) if local else None


class PagePlanner:
    """The per-object decisions of one entity run's pull, and what they leave behind: the counts,
    the natural-key links made and the oldest record that failed (the watermark stays before it)."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.oldest_failed: datetime | None = None
        self.links = NaturalKeyLinks(ctx)
        # NOT NULL columns with a server default: an insert leaves them out rather than send NULL
        self._defaulted = [c.name for c in ctx.table.c if not c.nullable and c.server_default is not None]

    def plan(
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
            self.fail(obj, unreadable(ctx.mapping, obj, local_id(obj, existing), result))
            return None
        if not isinstance(result, RecordError):
            raise result
        if isinstance(result, SkipRecord):
            ctx.counts.skipped += 1
            ctx.recorder.said("skipped", str(result))
        else:
            qb_id = str(obj.get("Id"))
            failure = messages.unmappable(ctx.mapping, result, local_id(obj, existing), qb_id, push=False)
            self.fail(obj, failure)
        return None

    def fail(self, obj: dict[str, Any], failure: RecordFailure) -> None:
        self.ctx.counts.failed += 1
        self.ctx.recorder.fail_record(failure)
        self._note_failed(obj)

    def _note_failed(self, obj: dict[str, Any]) -> None:
        """The watermark must not move past a record that failed to load."""
        moment = last_updated(obj)
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
        elif (
            remote["qb_sync_token"] == local.get("qb_sync_token")
            and int(local["id"]) in snaps
            # a full refresh compares values too: a snapshot agreed on before QuickBooks' defaults were
            # stored back must not stay wrong just because the SyncToken has not moved
            and (
                not self.ctx.full_refresh or agreed_matches(self.ctx.mapping, snaps[int(local["id"])], remote)
            )
        ):
            self.ctx.counts.unchanged += 1
        else:
            base = snaps.get(int(local["id"]))
            result = merge(self.ctx.mapping, base, local, remote)
            plan.overwrites.extend(detect_overwrites(self.ctx.mapping, base, local, remote, result))
            self._merge(plan, local, remote, result, open_.get(int(local["id"]), set()), False)

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
