"""Conflicts for the QuickBooks page: fields edited differently on both sides that the mapping
leaves to a person, with the last agreed value, and the person's choice of winner.

Choosing a winner works through the two-way merge's own base (``sync_snapshots``), so the
sync engine applies it without special cases:

- **CMMS wins**: the agreed base of that field becomes QuickBooks' value, so the next run sees a
  change on the CMMS side only and sends the CMMS value to QuickBooks.
- **QuickBooks wins**: QuickBooks' value is written into the CMMS record now and becomes the
  agreed base, so nothing is sent back.

The conflict is closed (``resolved_cmms`` / ``resolved_qbo``) in the same transaction; the record's
``qb_status`` returns to ``synced`` when it has no other open conflict.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema

WINNERS = {"cmms": "resolved_cmms", "qbo": "resolved_qbo"}
TABLE_OF = {"customers": "customers", "items": "items", "vendors": "vendors"}


class ConflictNotOpen(LookupError):
    """The conflict does not exist or was already resolved."""


def _value(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def open_conflicts(engine: sa.Engine, limit: int = 200) -> list[dict[str, Any]]:
    """The open conflicts, oldest first, with the record's name."""
    k = schema.sync_conflicts
    with engine.connect() as conn:
        rows = conn.execute(sa.select(k).where(k.c.status == "open").order_by(k.c.id).limit(limit)).all()
        names = _names(conn, rows)
    return [
        {
            "id": r.id,
            "entity": r.entity,
            "cmms_id": r.cmms_id,
            "qb_id": r.qb_id,
            "record": names.get((r.entity, r.cmms_id)),
            "field": r.field,
            "base": _value(r.base_value),
            "cmms": _value(r.cmms_value),
            "qbo": _value(r.qbo_value),
            "since": r.created_at.isoformat() if r.created_at else None,
        }
        for r in rows
    ]


def _names(conn: sa.Connection, rows: list[sa.Row]) -> dict[tuple[str, int], str]:
    out: dict[tuple[str, int], str] = {}
    for entity in {r.entity for r in rows}:
        table = schema.metadata.tables.get(TABLE_OF.get(entity, ""))
        if table is None:
            continue
        col = table.c.display_name if "display_name" in table.c else table.c.name
        ids = [r.cmms_id for r in rows if r.entity == entity]
        for cid, name in conn.execute(sa.select(table.c.id, col).where(table.c.id.in_(ids))):
            out[(entity, cid)] = name
    return out


def resolve(engine: sa.Engine, conflict_id: int, winner: str) -> dict[str, Any]:
    """Settle one open conflict in favour of ``winner`` (``cmms`` or ``qbo``); see the module doc."""
    if winner not in WINNERS:
        raise ValueError(f"winner must be 'cmms' or 'qbo' (got {winner!r})")
    k, snaps = schema.sync_conflicts, schema.sync_snapshots
    now = datetime.now(UTC)
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(k).where(k.c.id == conflict_id, k.c.status == "open").with_for_update()
        ).one_or_none()
        if row is None:
            raise ConflictNotOpen(f"conflict {conflict_id} is not open (already resolved, or unknown)")
        table = schema.metadata.tables[TABLE_OF[row.entity]]
        snap_row = conn.execute(
            sa.select(snaps.c.snapshot).where(snaps.c.entity == row.entity, snaps.c.cmms_id == row.cmms_id)
        ).one_or_none()
        snapshot = dict(snap_row.snapshot) if snap_row else {}
        # either way QuickBooks' value becomes the agreed base (see the module docstring)
        snapshot[row.field] = _value(row.qbo_value)
        if winner == "qbo":
            conn.execute(
                sa.update(table).where(table.c.id == row.cmms_id).values({row.field: _value(row.qbo_value)})
            )
        conn.execute(
            sa.update(snaps)
            .where(snaps.c.entity == row.entity, snaps.c.cmms_id == row.cmms_id)
            .values(snapshot=snapshot)
        )
        conn.execute(
            sa.update(k).where(k.c.id == conflict_id).values(status=WINNERS[winner], resolved_at=now)
        )
        still_open = conn.execute(
            sa.select(sa.func.count())
            .select_from(k)
            .where(k.c.entity == row.entity, k.c.cmms_id == row.cmms_id, k.c.status == "open")
        ).scalar_one()
        if not still_open:
            conn.execute(
                sa.update(table).where(table.c.id == row.cmms_id).values(qb_status="synced", qb_error=None)
            )
    return {"id": conflict_id, "status": WINNERS[winner], "field": row.field, "entity": row.entity}
