"""The send journal: record what is sent to QuickBooks before sending it, and resolve sends whose
answer never arrived by what was sent (issue 6, defect 2).

A create whose answer is lost (the worker killed between QuickBooks' commit and the CMMS commit, a
timeout after QuickBooks committed) leaves a record in QuickBooks that the CMMS row does not know.
Looking it up by the row's *current* name fails if the name changed in between (renamed in the CMMS
before the rerun): the pull would import the QuickBooks record as a second CMMS row and the push
would create the renamed row a second time in QuickBooks. So before every create batch,
:func:`record_sends` writes one ``sync_sends`` row per record (CMMS id, the natural key and the
``requestid`` as sent, the comparable values as sent, when, by which run) and commits it; once the
batch is answered :func:`mark_answered` closes them.

At the start of the next real run of the entity (before its pull), :func:`resolve_unfinished`
looks the still-``sent`` records up in QuickBooks by the names *as sent* (``IN`` lists of ≤ 30,
inactive ones included):

- found, and not linked to another CMMS row: the CMMS row is linked to it and merged three-way with
  the values as sent as the base (a rename in the CMMS since is a local edit, pushed as an update;
  QuickBooks' defaults are a remote change, written to the CMMS);
- not found: QuickBooks never created it; the row stays unlinked and is created as usual;
- the row was linked meanwhile, or deleted: nothing to do.

Each send is then marked ``resolved`` with its outcome, so it is resolved once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.mapping import RecordError, comparable, get_path, merge, qbo_to_row
from qbo_sync.mapping.keys import normalize_key
from qbo_sync.qbo.errors import FatalError
from qbo_sync.qbo.paging import quote
from qbo_sync.sync import store
from qbo_sync.sync.context import SyncContext
from qbo_sync.sync.pull.load_plan import PagePlan, write_plan

log = logging.getLogger("qbo_sync.sync")

LOOKUP_CHUNK = 30


@dataclass(frozen=True)
class Send:
    """One record about to be sent: its CMMS row, the body and the requestid as sent."""

    row: dict[str, Any]
    body: dict[str, Any]
    request_id: str


def _key_part(ctx: SyncContext) -> Any:
    parts = [p for p in ctx.mapping.natural_key if not p.optional]
    return parts[0] if parts else None


def record_sends(ctx: SyncContext, sends: list[Send], operation: str = "create") -> None:
    """Write (and commit) the journal rows of ``sends`` before they are sent."""
    if ctx.dry_run or not sends:
        return
    part = _key_part(ctx)
    rows = [
        {
            "realm_id": ctx.realm_id,
            "entity": ctx.mapping.entity,
            "cmms_id": int(s.row["id"]),
            "operation": operation,
            "name_sent": str(get_path(s.body, part.qbo)) if part and get_path(s.body, part.qbo) else None,
            "request_id": s.request_id,
            "sent_values": comparable(ctx.mapping, s.row),
            "run_key": ctx.recorder.run_key,
            "sent_at": ctx.now,
            "status": "sent",
        }
        for s in sends
    ]
    with ctx.engine.begin() as conn:
        conn.execute(sa.insert(schema.sync_sends), rows)


def mark_answered(ctx: SyncContext, sends: list[Send]) -> None:
    """QuickBooks answered these sends (created, or refused): the journal rows are closed."""
    if ctx.dry_run or not sends:
        return
    t = schema.sync_sends
    with ctx.engine.begin() as conn:
        conn.execute(
            sa.update(t)
            .where(t.c.entity == ctx.mapping.entity, t.c.status == "sent")
            .where(t.c.request_id.in_([s.request_id for s in sends]))
            .values(status="answered", resolved_at=ctx.now)
        )


def _unfinished(conn: sa.Connection, ctx: SyncContext) -> list[sa.Row]:
    t = schema.sync_sends
    stmt = (
        sa.select(t)
        .where(t.c.entity == ctx.mapping.entity, t.c.realm_id == ctx.realm_id, t.c.status == "sent")
        .order_by(t.c.id)
    )
    return list(conn.execute(stmt))


def _lookup(ctx: SyncContext, names: list[str]) -> list[dict[str, Any]]:
    """The QuickBooks records with these names; a chunk QuickBooks refuses to search (an odd name)
    is searched name by name, and a name it still refuses is left unresolved (logged)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(names), LOOKUP_CHUNK):
        chunk = names[start : start + LOOKUP_CHUNK]
        try:
            found.extend(_search(ctx, chunk))
        except FatalError:
            for name in chunk:
                try:
                    found.extend(_search(ctx, [name]))
                except FatalError as exc:
                    log.warning(
                        "%s: could not search QuickBooks for %r sent earlier: %s",
                        ctx.mapping.entity,
                        name,
                        exc,
                    )
    return found


def _search(ctx: SyncContext, names: list[str]) -> list[dict[str, Any]]:
    where = f"{_key_part(ctx).qbo} IN ({', '.join(quote(v) for v in names)})"
    pages = ctx.client.iter_pages(ctx.mapping.qbo_entity, where, include_inactive=True)
    return [obj for page in pages for obj in page]


def resolve_unfinished(ctx: SyncContext) -> int:
    """Resolve the entity's sends that were never answered; returns how many were linked."""
    if ctx.dry_run or _key_part(ctx) is None:
        return 0
    with ctx.engine.connect() as conn:
        pending = _unfinished(conn, ctx)
        rows = store.rows_by_id(conn, ctx.table, [p.cmms_id for p in pending]) if pending else {}
    if not pending:
        return 0
    outcomes: dict[int, tuple[str, str | None]] = {}
    open_sends = []
    for p in pending:
        row = rows.get(int(p.cmms_id))
        if row is None:
            outcomes[p.id] = ("the CMMS record was deleted since", None)
        elif row.get("qb_id") is not None:
            outcomes[p.id] = (f"the CMMS record was linked since (QuickBooks Id {row['qb_id']})", None)
        else:
            open_sends.append(p)
    names = sorted({p.name_sent for p in open_sends if p.name_sent})
    by_key = _index(ctx, _lookup(ctx, names)) if names else {}
    linked = _link(ctx, open_sends, rows, by_key, outcomes)
    _close(ctx, outcomes)
    return linked


def _index(ctx: SyncContext, objects: list[dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    part = _key_part(ctx)
    return {normalize_key(part, get_path(o, part.qbo)): o for o in objects}


def _link(
    ctx: SyncContext,
    sends: list[sa.Row],
    rows: dict[int, dict[str, Any]],
    by_key: dict[str | None, dict[str, Any]],
    outcomes: dict[int, tuple[str, str | None]],
) -> int:
    """Link the rows whose send QuickBooks executed, in one transaction; returns how many."""
    part = _key_part(ctx)
    plan = PagePlan()
    linked = 0
    with ctx.engine.begin() as conn:
        taken = store.rows_by_qb_id(conn, ctx.table, [str(o.get("Id")) for o in by_key.values()])
        for send in sends:
            obj = by_key.get(normalize_key(part, send.name_sent))
            if obj is None:
                outcomes[send.id] = ("not found in QuickBooks: it was never created; created again", None)
                continue
            qb_id = str(obj.get("Id"))
            if qb_id in taken:
                other = taken[qb_id]["id"]
                outcomes[send.id] = (f"QuickBooks Id {qb_id} is linked to CMMS record #{other}", None)
                continue
            row = rows[int(send.cmms_id)]
            if _plan_link(ctx, plan, send, row, obj):
                taken[qb_id] = row
                outcomes[send.id] = (f"found in QuickBooks by the name sent; linked to Id {qb_id}", qb_id)
                linked += 1
            else:
                outcomes[send.id] = (f"found as QuickBooks Id {qb_id} but it cannot be read", qb_id)
        write_plan(ctx, conn, plan)
    return linked


def _plan_link(
    ctx: SyncContext, plan: PagePlan, send: sa.Row, row: dict[str, Any], obj: dict[str, Any]
) -> bool:
    """Merge ``obj`` into ``row`` with the values as sent as the base (see the module docstring)."""
    try:
        remote = qbo_to_row(ctx.mapping, obj, ctx.refs)
    except RecordError:
        return False
    base = send.sent_values if isinstance(send.sent_values, dict) else dict(send.sent_values)
    result = merge(ctx.mapping, base, row, remote)
    snapshot = dict(result.snapshot)
    remote_cmp = comparable(ctx.mapping, remote)
    for col in result.to_remote:  # the push sends these: QuickBooks' value is the agreed one
        if col in remote_cmp:
            snapshot[col] = remote_cmp[col]
    cid = int(row["id"])
    update = {
        "id": cid,
        **result.to_local,
        "qb_id": remote["qb_id"],
        "qb_sync_token": remote["qb_sync_token"],
        "qb_last_updated_at": remote["qb_last_updated_at"],
        "qb_synced_at": ctx.now,
        "qb_status": "synced",
        "qb_error": None,
    }
    if result.conflicts:
        update["qb_status"] = "conflict"
        update["qb_error"] = ctx.conflict_text({**row, **result.to_local}, result.conflicts)
        plan.conflicts.extend((cid, remote["qb_id"], c) for c in result.conflicts)
        ctx.counts.conflicts += 1
    plan.updates.append(update)
    plan.snapshots.append((cid, remote["qb_id"], remote["qb_sync_token"], snapshot))
    ctx.counts.linked += 1
    sent = f" as '{send.name_sent}'" if send.name_sent != row.get(ctx.mapping.title_column) else ""
    ctx.recorder.said(
        "linked",
        f"{ctx.who(row)}: its create of {_when(send.sent_at)}{sent} was never answered; QuickBooks has "
        f"it (Id {remote['qb_id']}), so it was linked, not created again",
    )
    return True


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "an earlier run"


def _close(ctx: SyncContext, outcomes: dict[int, tuple[str, str | None]]) -> None:
    if not outcomes:
        return
    t = schema.sync_sends
    stmt = (
        sa.update(t)
        .where(t.c.id == sa.bindparam("b_id"))
        .values(status="resolved", resolved_at=ctx.now, outcome=sa.bindparam("b_outcome"))
        .values(qb_id=sa.bindparam("b_qb_id"))
    )
    with ctx.engine.begin() as conn:
        conn.execute(
            stmt,
            [{"b_id": i, "b_outcome": text, "b_qb_id": qb} for i, (text, qb) in outcomes.items()],
        )
    for text, _ in outcomes.values():
        log.info("%s: unanswered send resolved: %s", ctx.mapping.entity, text)
