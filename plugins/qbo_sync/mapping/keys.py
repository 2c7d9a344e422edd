"""Natural keys: how a CMMS row and a QuickBooks object are recognised as the same record the
first time they are linked (later they are linked by ``qb_id``).

A mapping lists key parts (``natural_key``). Required parts must be equal; an ``optional``
part (e.g. an item's SKU) is compared only when both sides have a value. Accounts and tax
codes/rates have no natural key: they are linked by Id only.
"""

from __future__ import annotations

from typing import Any

from qbo_sync.mapping.apply import get_path
from qbo_sync.mapping.model import KeyPart, Mapping
from qbo_sync.mapping.names import name_key, normalize_name


def normalize_key(part: KeyPart, value: Any) -> str | None:
    """The form in which one key part is compared (None when empty)."""
    if value is None:
        return None
    text = str(value)
    if part.normalize == "exact":
        return text or None
    if part.normalize == "casefold_strip":  # the same name to QuickBooks and to a person
        return name_key(text)
    return normalize_name(text)


def matches_natural_key(mapping: Mapping, row: dict[str, Any], obj: dict[str, Any]) -> bool:
    """True when ``row`` and the QuickBooks ``obj`` are the same record by natural key."""
    if not mapping.natural_key:
        return False
    for part in mapping.natural_key:
        local = normalize_key(part, row.get(part.cmms))
        remote = normalize_key(part, get_path(obj, part.qbo))
        if part.optional and (local is None or remote is None):
            continue
        if local is None or local != remote:
            return False
    return True


def natural_key_filter(mapping: Mapping, row: dict[str, Any]) -> str | None:
    """A QBO query condition that finds candidates for ``row`` (``DisplayName = 'Amy\\'s'``).

    Only the required parts are used (QBO compares string values case-insensitively); filter the
    result with ``matches_natural_key``. None when the mapping has no natural key or a required
    value is empty.
    """
    clauses = []
    for part in mapping.natural_key:
        if part.optional:
            continue
        value = row.get(part.cmms)
        if value is None or not str(value).strip():
            return None
        escaped = str(value).strip().replace("\\", "\\\\").replace("'", "\\'")
        clauses.append(f"{part.qbo} = '{escaped}'")
    return " AND ".join(clauses) or None
