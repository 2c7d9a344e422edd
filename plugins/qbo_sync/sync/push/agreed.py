"""What is agreed after a write, and whether the agreed snapshot is still what QuickBooks holds.

:func:`after_write`: after every create and update, what QuickBooks answered is the truth to store,
in the row and in the snapshot: its defaults for fields that were not sent (a customer created
without ``Taxable`` is ``Taxable: true`` there; an item without ``PurchaseCost`` gets 0) and its
spelling of those that were. Fields waiting in the conflict queue are left alone.

:func:`agreed_matches` (a full refresh compares values, not only SyncTokens):

An unchanged SyncToken means QuickBooks did not change the record since the snapshot was taken, but
not that the snapshot recorded QuickBooks' values: a snapshot written by an older version (which
stored the CMMS values as agreed after a create, not QuickBooks' defaults such as ``Taxable``) stays
wrong until the record changes in QuickBooks. A full refresh therefore compares the pulled values
with the snapshot and merges the records where they differ.
"""

from __future__ import annotations

from typing import Any

from qbo_sync.mapping import Mapping, RecordError, comparable, qbo_to_row
from qbo_sync.sync.context import SyncContext


def agreed_matches(mapping: Mapping, snapshot: dict[str, Any], remote: dict[str, Any]) -> bool:
    """True when every pulled field of ``remote`` equals its value in ``snapshot``."""
    remote_cmp = comparable(mapping, remote)
    for item in mapping.mapped:
        col = item.column
        if col in remote_cmp and mapping.pulls(item) and snapshot.get(col) != remote_cmp[col]:
            return False
    return True


def after_write(
    ctx: SyncContext,
    row: dict[str, Any],
    sent: list[str],
    obj: dict[str, Any],
    old: dict[str, Any],
    still_open: set[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The row's columns to write after QuickBooks accepted ``row`` (``sent``: the columns sent)
    and answered ``obj``, and the new agreed snapshot (from ``old``)."""
    m = ctx.mapping
    try:
        remote = qbo_to_row(m, obj, ctx.refs)
    except RecordError:
        remote = {}
    update: dict[str, Any] = {
        "id": int(row["id"]),
        "qb_id": str(obj.get("Id")),
        "qb_sync_token": str(obj.get("SyncToken")),
        "qb_last_updated_at": remote.get("qb_last_updated_at") or row.get("qb_last_updated_at"),
        "qb_synced_at": ctx.now,
        "qb_status": "conflict" if still_open else "synced",
        "qb_error": row.get("qb_error") if still_open else None,
    }
    local_cmp, remote_cmp = comparable(m, row), comparable(m, remote)
    snap = dict(old)
    for item in m.mapped:
        col = item.column
        if col in still_open:
            continue  # waits for a person; neither side's value is agreed yet
        if col in remote and m.pulls(item):
            snap[col] = remote_cmp.get(col)
            if remote_cmp.get(col) != local_cmp.get(col):
                update[col] = remote[col]
        elif m.pushes(item) and not item.create_only and (col in sent or col not in snap):
            snap[col] = local_cmp.get(col)
    return update, snap
