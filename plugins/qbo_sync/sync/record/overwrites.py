"""Values the two-way merge overwrote: a field edited on both sides and settled by the mapping's
ownership rule (``owner: qbo`` or ``owner: cmms``) is not lost without notice.

:func:`detect` tells, for one merged record, which fields both sides changed (against the last
agreed base) and which side's value the owner rule replaced; the load writes them to
``sync_overwrites`` in the page's transaction (:func:`save_overwrites`), and the QuickBooks page
shows them with the record (:func:`read_overwrites`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import MergeResult, comparable
from qbo_sync.mapping.model import Mapping


@dataclass(frozen=True)
class Overwrite:
    cmms_id: int
    qb_id: str | None
    field: str
    overwritten_side: str  # "qbo": QuickBooks' value was replaced by the CMMS one; "cmms": the reverse
    qbo_value: Any
    cmms_value: Any
    base_value: Any


def detect(
    mapping: Mapping,
    base: dict[str, Any] | None,
    local: dict[str, Any],
    remote: dict[str, Any],
    result: MergeResult,
) -> list[Overwrite]:
    """Fields changed on both sides (differently) whose winner the owner rule chose."""
    if not base:
        return []
    lo, re_ = comparable(mapping, local), comparable(mapping, remote)
    out = []
    for side, fields in (("cmms", result.to_local), ("qbo", result.to_remote)):
        for col in fields:
            if col not in base or col not in lo or col not in re_:
                continue
            b = base[col]
            if lo[col] != b and re_[col] != b and lo[col] != re_[col]:
                # the values as each side holds them (the base exists only in comparable form)
                out.append(
                    Overwrite(int(local["id"]), remote.get("qb_id"), col, side, remote[col], local[col], b)
                )
    return out


def save_overwrites(
    conn: sa.Connection, entity: str, items: list[Overwrite], run_key: str | None, now: datetime
) -> None:
    if not items:
        return
    from qbo_sync.db.schema import sync_overwrites

    conn.execute(
        sa.insert(sync_overwrites),
        [
            {
                "entity": entity,
                "cmms_id": o.cmms_id,
                "qb_id": o.qb_id,
                "field": o.field,
                "overwritten_side": o.overwritten_side,
                "qbo_value": json.dumps(o.qbo_value, default=str),
                "cmms_value": json.dumps(o.cmms_value, default=str),
                "base_value": json.dumps(o.base_value, default=str),
                "run_key": run_key,
                "created_at": now,
            }
            for o in items
        ],
    )


def read_overwrites(engine: sa.Engine, entity: str, cmms_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The record's overwritten values, newest first, in words for the page."""
    from qbo_sync.db.schema import sync_overwrites as t

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t)
            .where(t.c.entity == entity, t.c.cmms_id == cmms_id)
            .order_by(t.c.id.desc())
            .limit(limit)
        ).all()
    return [
        {
            "field": r.field,
            "overwritten_side": r.overwritten_side,
            "lost": json.loads(r.qbo_value if r.overwritten_side == "qbo" else r.cmms_value),
            "kept": json.loads(r.cmms_value if r.overwritten_side == "qbo" else r.qbo_value),
            "qbo_value": json.loads(r.qbo_value),
            "cmms_value": json.loads(r.cmms_value),
            "base_value": json.loads(r.base_value),
            "at": r.created_at.isoformat(),
            "run_key": r.run_key,
        }
        for r in rows
    ]
