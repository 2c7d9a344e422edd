"""CMMS-side reads and writes of the engine, set-based (a few statements per page).

Rows are read as plain dicts. Writes go through :mod:`qbo_sync.db.upsert`, which never rewrites a
row whose values are already there (so ``updated_at`` only moves on a real change).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.db.upsert import bulk_update, bulk_upsert
from qbo_sync.mapping import Conflict

CHUNK = 1000


def _chunks(values: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def rows_by_qb_id(
    conn: sa.Connection, table: sa.Table, qb_ids: Iterable[str], *, lock: bool = True
) -> dict[str, dict[str, Any]]:
    """The linked rows of ``qb_ids``; on PostgreSQL (with ``lock``) locked until the transaction ends.

    A page of pulled objects is merged with these rows and written back in the same transaction.
    Read without a lock (READ COMMITTED), a CMMS edit committed in between would be overwritten by
    the page's write, and the snapshot would record the pulled value as agreed: the edit would be
    lost without a conflict. ``FOR UPDATE`` makes such an edit wait for the page to commit; it then
    lands on top and the next merge sees it as a local edit (pushed, or a conflict). Rows are
    locked in ``id`` order (the sort runs below the row locks), the order every other multi-row
    writer of the engine uses; a page holds at most 1000 objects, one chunk. Pull and push of one
    entity never run at the same time anyway (:mod:`.run_lock`). SQLite has no row locks; there a
    page whose read came before another writer's commit is refused its write (``SQLITE_BUSY``)
    rather than overwriting the edit.
    """
    out: dict[str, dict[str, Any]] = {}
    for_update = lock and conn.dialect.name == "postgresql"
    for chunk in _chunks(sorted(set(qb_ids))):
        stmt = sa.select(table).where(table.c.qb_id.in_(chunk)).order_by(table.c.id)
        if for_update:
            stmt = stmt.with_for_update()
        for row in conn.execute(stmt):
            out[str(row.qb_id)] = dict(row._mapping)
    return out


def rows_by_id(conn: sa.Connection, table: sa.Table, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in conn.execute(sa.select(table).where(table.c.id.in_(chunk))):
            out[int(row.id)] = dict(row._mapping)
    return out


def unlinked_rows(conn: sa.Connection, table: sa.Table) -> list[dict[str, Any]]:
    stmt = sa.select(table).where(table.c.qb_id.is_(None)).order_by(table.c.id)
    return [dict(r._mapping) for r in conn.execute(stmt)]


_SNAPSHOT = "_qbo_sync_snapshot"


def linked_rows_with_snapshots(
    conn: sa.Connection, table: sa.Table, entity: str, after_id: int | None, limit: int = CHUNK
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """``(row, snapshot or None)`` of up to ``limit`` linked rows with ``id > after_id`` (from the
    first with None), by id.

    One keyset page (callers walk the table a page at a time instead of holding all of it). The
    snapshot is a correlated lookup by primary key per returned row, not a join, so a page never
    costs a pass over every snapshot of the entity.
    """
    t = schema.sync_snapshots
    snap = (
        sa.select(t.c.snapshot)
        .where(t.c.entity == entity, t.c.cmms_id == table.c.id)
        .scalar_subquery()
        .label(_SNAPSHOT)
    )
    stmt = sa.select(table, snap).where(table.c.qb_id.is_not(None)).order_by(table.c.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(table.c.id > after_id)
    out: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for r in conn.execute(stmt):
        row = dict(r._mapping)
        value = row.pop(_SNAPSHOT)
        if value is not None:
            value = json.loads(value) if isinstance(value, str) else dict(value)
        out.append((row, value))
    return out


def insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new linked rows; returns ``{qb_id: id}``."""
    done = bulk_upsert(conn, table, rows, key_cols=["qb_id"], update_cols=[], returning=["id", "qb_id"])
    return {str(r["qb_id"]): int(r["id"]) for r in done}


def update_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Update rows by ``id`` (each row carries ``id`` and only the columns to set)."""
    if rows:
        bulk_update(conn, table, rows, "id")


# --- snapshots ----------------------------------------------------------------------------------


def snapshots(
    conn: sa.Connection, entity: str, ids: Iterable[int] | None = None
) -> dict[int, dict[str, Any]]:
    t = schema.sync_snapshots
    base = sa.select(t.c.cmms_id, t.c.snapshot).where(t.c.entity == entity)
    out: dict[int, dict[str, Any]] = {}
    if ids is None:
        chunks: Iterable[Any] = [None]
    else:
        chunks = _chunks(sorted(set(ids)))
    for chunk in chunks:
        stmt = base if chunk is None else base.where(t.c.cmms_id.in_(chunk))
        for row in conn.execute(stmt):
            snap = row.snapshot
            out[int(row.cmms_id)] = json.loads(snap) if isinstance(snap, str) else dict(snap)
    return out


def save_snapshots(
    conn: sa.Connection, entity: str, items: list[tuple[int, str | None, str | None, dict]]
) -> None:
    """Upsert ``(cmms_id, qb_id, qb_sync_token, snapshot)`` of the records that now agree."""
    if not items:
        return
    rows = [
        {
            "entity": entity,
            "cmms_id": cid,
            "qb_id": qb,
            "qb_sync_token": tok,
            "snapshot": snap,
        }
        for cid, qb, tok, snap in items
    ]
    bulk_upsert(
        conn,
        schema.sync_snapshots,
        rows,
        key_cols=["entity", "cmms_id"],
        update_cols=["qb_id", "qb_sync_token", "snapshot"],
    )


# --- conflicts ----------------------------------------------------------------------------------


def open_conflicts(conn: sa.Connection, entity: str, ids: Iterable[int] | None = None) -> dict[int, set[str]]:
    t = schema.sync_conflicts
    stmt = sa.select(t.c.cmms_id, t.c.field).where(t.c.entity == entity, t.c.status == "open")
    out: dict[int, set[str]] = {}
    chunks: Iterable[Any] = [None] if ids is None else _chunks(sorted(set(ids)))
    for chunk in chunks:
        query = stmt if chunk is None else stmt.where(t.c.cmms_id.in_(chunk))
        for row in conn.execute(query):
            out.setdefault(int(row.cmms_id), set()).add(row.field)
    return out


def _text(value: Any) -> str:
    return json.dumps(value, default=str)


def save_conflicts(
    conn: sa.Connection, entity: str, items: list[tuple[int, str | None, Conflict]], now: datetime
) -> None:
    """Open a conflict per (record, field), or refresh the values of the one already open."""
    if not items:
        return
    t = schema.sync_conflicts
    existing = open_conflicts(conn, entity, [cid for cid, _, _ in items])
    fresh, refresh = [], []
    for cid, qb_id, c in items:
        values = {"base_value": _text(c.base), "cmms_value": _text(c.local), "qbo_value": _text(c.remote)}
        if c.field in existing.get(cid, set()):
            refresh.append({"b_cid": cid, "b_field": c.field, **{f"b_{k}": v for k, v in values.items()}})
        else:
            fresh.append(
                {
                    "entity": entity,
                    "cmms_id": cid,
                    "qb_id": qb_id,
                    "field": c.field,
                    "created_at": now,
                    **values,
                }
            )
    if fresh:
        conn.execute(sa.insert(t), fresh)
    if refresh:
        stmt = (
            sa.update(t)
            .where(t.c.entity == entity, t.c.status == "open")
            .where(t.c.cmms_id == sa.bindparam("b_cid"), t.c.field == sa.bindparam("b_field"))
            .values(
                base_value=sa.bindparam("b_base_value"),
                cmms_value=sa.bindparam("b_cmms_value"),
                qbo_value=sa.bindparam("b_qbo_value"),
            )
        )
        conn.execute(stmt, refresh)


def resolve_conflicts(
    conn: sa.Connection, entity: str, settled: list[tuple[int, str]], now: datetime
) -> None:
    """Close open conflicts whose field now has the same value on both sides."""
    if not settled:
        return
    t = schema.sync_conflicts
    stmt = (
        sa.update(t)
        .where(t.c.entity == entity, t.c.status == "open")
        .where(t.c.cmms_id == sa.bindparam("b_cid"), t.c.field == sa.bindparam("b_field"))
        .values(status="resolved_cmms", resolved_at=now)
    )
    conn.execute(stmt, [{"b_cid": cid, "b_field": f} for cid, f in settled])


# --- watermarks ---------------------------------------------------------------------------------


def watermark(conn: sa.Connection, realm_id: str, entity: str) -> datetime | None:
    t = schema.sync_watermarks
    stmt = sa.select(t.c.watermark).where(
        t.c.realm_id == realm_id, t.c.entity == entity, t.c.direction == "pull"
    )
    return conn.execute(stmt).scalar_one_or_none()


def save_watermark(conn: sa.Connection, realm_id: str, entity: str, value: datetime, mode: str) -> None:
    row = {
        "realm_id": realm_id,
        "entity": entity,
        "direction": "pull",
        "watermark": value,
        "mode": mode,
    }
    bulk_upsert(
        conn,
        schema.sync_watermarks,
        [row],
        key_cols=["realm_id", "entity", "direction"],
        update_cols=["watermark", "mode"],
    )


def misfit(table: sa.Table, row: dict[str, Any]) -> tuple[str, Any] | None:
    """``(column, value)`` of the first value that cannot fit its column (NUMERIC precision,
    string length), to name the field in a database refusal; None when none can be told."""
    for name, value in row.items():
        col = table.c.get(name)
        if col is not None and value is not None and _too_big(col.type, value):
            return name, value
    return None


def _too_big(kind: sa.types.TypeEngine[Any], value: Any) -> bool:
    if isinstance(kind, sa.Numeric) and kind.precision is not None and isinstance(value, int | Decimal):
        return abs(Decimal(value)) >= Decimal(10) ** (kind.precision - (kind.scale or 0))
    length = getattr(kind, "length", None)
    return isinstance(value, str) and isinstance(length, int) and len(value) > length
