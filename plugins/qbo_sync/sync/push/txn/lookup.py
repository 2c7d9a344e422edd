"""After an ambiguous outcome: find a transaction in QuickBooks by its natural key and decide
whether it is ours (design decision 6, qbo-api.md §1 and §11.13).

The key QuickBooks lets us filter on is ``DocNumber``; lookups are batched ``IN`` lists (≤ 30
values per query), never one per record. A found object is ours when its DocNumber, its customer
or vendor and the CMMS key in its ``PrivateNote`` all match (the note is read, never searched:
QuickBooks cannot filter on it). Same number and party but another note means someone else entered
that document: a clash reported readably, never adopted and never duplicated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.paging import quote

LOOKUP_CHUNK = 30
PARTY_REF = {"Invoice": "CustomerRef", "Bill": "VendorRef"}


def find_by_doc_numbers(client: QBOClient, entity: str, numbers: Iterable[str]) -> dict[str, list[dict]]:
    """QuickBooks objects per DocNumber (case-folded), for every number given."""
    values = sorted({n for n in numbers if n})
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(values), LOOKUP_CHUNK):
        chunk = values[start : start + LOOKUP_CHUNK]
        where = f"DocNumber IN ({', '.join(quote(v) for v in chunk)})"
        for obj in client.query(f"SELECT * FROM {entity} WHERE {where} MAXRESULTS 1000"):
            found.setdefault(str(obj.get("DocNumber", "")).casefold(), []).append(obj)
    return found


def carries_key(note: Any, key: str) -> bool:
    """``PrivateNote`` holds ``key`` (not as the start of a longer id: "id 1" is not in "id 12")."""
    return isinstance(note, str) and re.search(re.escape(key) + r"(?!\d)", note) is not None


def choose(
    entity: str, candidates: list[dict[str, Any]], party_qb_id: str | None, key: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(ours, clash)`` among objects with our DocNumber: ours to adopt, or another's to report."""
    party_ref = PARTY_REF.get(entity)
    same_party = [
        o
        for o in candidates
        if party_ref is None or str((o.get(party_ref) or {}).get("value")) == str(party_qb_id)
    ]
    ours = sorted(
        (o for o in same_party if carries_key(o.get("PrivateNote"), key)), key=lambda o: int(o["Id"])
    )
    if ours:
        return ours[0], None
    # A bill's number is unique per vendor; an invoice's or journal entry's across the company.
    others = candidates if entity != "Bill" else []
    clash = same_party[0] if same_party else (others[0] if others else None)
    return None, clash
