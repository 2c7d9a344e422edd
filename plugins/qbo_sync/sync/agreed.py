"""Is the last agreed snapshot still what QuickBooks holds? (a full refresh compares values).

An unchanged SyncToken means QuickBooks did not change the record since the snapshot was taken, but
not that the snapshot recorded QuickBooks' values: a snapshot written by an older version (which
stored the CMMS values as agreed after a create, not QuickBooks' defaults such as ``Taxable``) stays
wrong until the record changes in QuickBooks. A full refresh therefore compares the pulled values
with the snapshot and merges the records where they differ.
"""

from __future__ import annotations

from typing import Any

from qbo_sync.mapping import Mapping, comparable


def agreed_matches(mapping: Mapping, snapshot: dict[str, Any], remote: dict[str, Any]) -> bool:
    """True when every pulled field of ``remote`` equals its value in ``snapshot``."""
    remote_cmp = comparable(mapping, remote)
    for item in mapping.mapped:
        col = item.column
        if col in remote_cmp and mapping.pulls(item) and snapshot.get(col) != remote_cmp[col]:
            return False
    return True
