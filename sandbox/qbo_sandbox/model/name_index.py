"""The name index: QBO's rule that a display name is unique within its name list.

Customers, vendors and employees share one list ("party"); items and accounts have their own.
Names compare trimmed and case-folded. Which field holds the name, and which list it belongs to,
come from :attr:`EntitySpec.unique <qbo_sandbox.model.entities.EntitySpec>`.
"""

from __future__ import annotations

from typing import Any

from qbo_sandbox import faults
from qbo_sandbox.model.entities import EntitySpec

NameKey = tuple[str, str]  # (name list, folded name)


class NameIndex:
    """Which object owns each name; callers hold the company lock."""

    def __init__(self) -> None:
        self._names: dict[NameKey, tuple[str, str]] = {}  # -> (entity, Id) owning the name

    def _name_key(self, spec: EntitySpec, obj: dict[str, Any]) -> NameKey | None:
        if spec.unique is None or not isinstance(obj.get(spec.unique[0]), str):
            return None
        return (spec.unique[1], obj[spec.unique[0]].strip().casefold())

    def add(self, spec: EntitySpec, obj: dict[str, Any]) -> None:
        key = self._name_key(spec, obj)
        if key is not None:
            self._names[key] = (spec.name, obj["Id"])

    def remove(self, spec: EntitySpec, obj: dict[str, Any]) -> None:
        key = self._name_key(spec, obj)
        if key is not None and self._names.get(key) == (spec.name, obj["Id"]):
            del self._names[key]

    def check_unique(self, spec: EntitySpec, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        """Raise QBO's duplicate-name fault when another object of the same list owns the name."""
        key = self._name_key(spec, obj)
        if key is None:
            return
        owner = self._names.get(key)
        if owner is not None and (old is None or owner != (spec.name, old["Id"])):
            kinds = {
                "party": "customer, vendor or employee",
                "Item": "item",
                "Account": "account",
                "Term": "term",
                "PaymentMethod": "payment method",
            }
            kind = kinds[key[0]]
            raise faults.duplicate_name(kind)
