"""The document-number index behind QBO's duplicate-number refusal (6140).

QBO refuses a second transaction with a DocNumber already used by the same transaction type when
the company warns about duplicate numbers (D-commonerr "Duplicate Document Number Error"; issue 7's
audit: Invoice and JournalEntry company-wide, Bill per vendor). ``include=allowduplicatedocnum`` on
the request bypasses it. Numbers compare trimmed and case-folded (UNCONFIRMED: QBO's comparison).
"""

from __future__ import annotations

from typing import Any

# Transaction type -> the party field that scopes its numbers (None: company-wide).
SCOPES: dict[str, str | None] = {"Invoice": None, "JournalEntry": None, "Bill": "VendorRef"}
DocKey = tuple[str, str, str]  # (entity, scope id, folded number)


class DocNumberIndex:
    """Which transaction owns each (type, scope, DocNumber)."""

    def __init__(self) -> None:
        self._owners: dict[DocKey, set[str]] = {}

    @staticmethod
    def key(entity: str, obj: dict[str, Any]) -> DocKey | None:
        if entity not in SCOPES:
            return None
        doc = str(obj.get("DocNumber") or "").strip().casefold()
        if not doc:
            return None
        scope_field = SCOPES[entity]
        scope = (obj.get(scope_field) or {}).get("value", "") if scope_field else ""
        return (entity, str(scope), doc)

    def add(self, entity: str, obj: dict[str, Any]) -> None:
        key = self.key(entity, obj)
        if key is not None:
            self._owners.setdefault(key, set()).add(obj["Id"])

    def remove(self, entity: str, obj: dict[str, Any]) -> None:
        key = self.key(entity, obj)
        if key is not None:
            self._owners.get(key, set()).discard(obj["Id"])

    def owner(self, entity: str, obj: dict[str, Any], own_id: str | None) -> str | None:
        """The Id of another ``entity`` holding ``obj``'s number (lowest Id), or None."""
        key = self.key(entity, obj)
        if key is None:
            return None
        others = [i for i in self._owners.get(key, ()) if i != own_id]
        return min(others, key=lambda i: (len(i), i)) if others else None
