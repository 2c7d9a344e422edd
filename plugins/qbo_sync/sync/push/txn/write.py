"""Recording what QuickBooks answered for pushed transactions: the record's sync columns and
QuickBooks' own figures (``TotalAmt``, ``TotalTax``, ``Balance``), its push state, and a readable
status when QuickBooks' total differs from the CMMS total by more than a cent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.mapping import Mapping, get_path
from qbo_sync.mapping.transforms import TRANSFORMS
from qbo_sync.sync.push.txn.source import save_states
from qbo_sync.sync.record.recorder import RecordFailure

CENT = Decimal("0.01")
_to_utc = TRANSFORMS["datetime_utc"].to_cmms
_to_date = TRANSFORMS["date"].to_cmms


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT)


def total_mismatch(mapping: Mapping, row: dict[str, Any], obj: dict[str, Any]) -> RecordFailure | None:
    """QuickBooks' ``TotalAmt`` against the CMMS total: more than a cent apart is reported."""
    txn = mapping.transaction
    if txn is None or not txn.total or obj.get("TotalAmt") is None:
        return None
    ours, theirs = _money(row.get(txn.total)) or Decimal(0), _money(obj["TotalAmt"]) or Decimal(0)
    if abs(ours - theirs) <= CENT:
        return None
    label = mapping.label.lower()
    return RecordFailure(
        message=(
            f"{mapping.describe(row)}: QuickBooks' total is {theirs:.2f} but the CMMS total is {ours:.2f} "
            f"(difference {theirs - ours:+.2f}). The {label} is in QuickBooks (Id {obj.get('Id')}) and "
            f"QuickBooks' figures are stored next to the CMMS ones; neither total was taken over. Check the "
            f"tax code, discount and line amounts of the {label} in the CMMS, correct them and run the "
            "sync again."
        ),
        code="total_differs",
        cmms_id=int(row["id"]),
        qb_id=str(obj.get("Id")),
        detail=f"QuickBooks TotalAmt {theirs:.2f}, CMMS {txn.total} {ours:.2f}",
    )


@dataclass
class Agreed:
    """Rows, states and failures of one batch, written in one transaction."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)
    failures: list[RecordFailure] = field(default_factory=list)


def agree(
    batch: Agreed,
    mapping: Mapping,
    row: dict[str, Any],
    obj: dict[str, Any],
    state: dict[str, Any],
    now: datetime,
    *,
    check_total: bool = True,
) -> None:
    """Queue the record's sync columns after a successful write of ``obj`` and its new state
    (``check_total=False``: an adopted object about to be updated in the same run)."""
    txn = mapping.transaction
    assert txn is not None
    mismatch = None if state.get("voided") or not check_total else total_mismatch(mapping, row, obj)
    values: dict[str, Any] = {
        "id": int(row["id"]),
        "qb_id": str(obj["Id"]),
        "qb_sync_token": str(obj.get("SyncToken")),
        "qb_last_updated_at": _to_utc(get_path(obj, "MetaData.LastUpdatedTime")),
        "qb_synced_at": now,
        "qb_status": "error" if mismatch else "synced",
        "qb_error": mismatch.message if mismatch else None,
    }
    for column, path in txn.store.items():
        values[column] = _money(get_path(obj, path))
    for column, path in txn.fill.items():
        if row.get(column) is None and get_path(obj, path) is not None:
            values[column] = _to_date(get_path(obj, path))
    batch.rows.append(values)
    batch.states.append({**state, "cmms_id": int(row["id"]), "sending_since": None})
    if mismatch:
        batch.failures.append(mismatch)


def write(conn: sa.Connection, mapping: Mapping, batch: Agreed) -> None:
    table = schema.metadata.tables[mapping.cmms_table]
    for values in batch.rows:
        conn.execute(sa.update(table).where(table.c.id == values["id"]).values(values))
    save_states(conn, mapping.entity, batch.states)


def mark_waiting(conn: sa.Connection, mapping: Mapping, waiting: dict[int, str]) -> None:
    """Records that wait for a reference: still not synced, with the reason on the record."""
    if not waiting:
        return
    table = schema.metadata.tables[mapping.cmms_table]
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"))
        .values(qb_status="not_synced", qb_error=sa.bindparam("b_error"))
    )
    conn.execute(stmt, [{"b_id": cid, "b_error": text} for cid, text in waiting.items()])


def mark_synced(conn: sa.Connection, mapping: Mapping, ids: list[int]) -> None:
    """Linked records whose reported total difference was corrected in the CMMS."""
    if not ids:
        return
    table = schema.metadata.tables[mapping.cmms_table]
    conn.execute(sa.update(table).where(table.c.id.in_(ids)).values(qb_status="synced", qb_error=None))
