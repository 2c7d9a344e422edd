"""The per-mapping plan behind ``qbo_to_row`` / ``comparable``: same answers as walking the mapping."""

from __future__ import annotations

from typing import Any

import pytest

from qbo_sync.mapping import Mapping, comparable, get_path, qbo_to_row
from qbo_sync.mapping.compiled import compiled, path_getter
from qbo_sync.mapping.transforms import TRANSFORMS

OBJECTS: list[Any] = [
    {},
    {"A": None},
    {"A": "x"},
    {"A": {"B": "y"}},
    {"A": {"B": {"C": 3}}},
    {"A": {"B": None}},
    {"A": ["B"]},
    {"A": {"B": {"C": {"D": 0}}}},
]


@pytest.mark.parametrize("path", ["A", "A.B", "A.B.C", "A.B.C.D"])
def test_path_getter_answers_like_get_path(path: str) -> None:
    get = path_getter(path)
    for obj in OBJECTS:
        assert get(obj) == get_path(obj, path)


def test_a_copied_mapping_gets_its_own_plan(mappings: dict[str, Mapping], resolver: Any) -> None:
    customers = mappings["customers"]
    assert compiled(customers) is compiled(customers)
    notes_push_only = customers.model_copy(
        update={
            "fields": [
                f.model_copy(update={"push_only": True}) if f.column == "notes" else f
                for f in customers.fields
            ]
        }
    )
    assert compiled(notes_push_only) is not compiled(customers)
    obj = {"Id": "7", "SyncToken": "0", "DisplayName": "Acme", "Notes": "gate code 12"}
    assert qbo_to_row(customers, obj, resolver)["notes"] == "gate code 12"
    assert "notes" not in qbo_to_row(notes_push_only, obj, resolver)


def _by_walking(mapping: Mapping, values: dict[str, Any]) -> dict[str, Any]:
    """``comparable`` the long way: every mapped column through its transform, in file order."""
    out = {}
    for item in mapping.mapped:
        if item.column in values:
            value = values[item.column]
            if hasattr(item, "table"):
                out[item.column] = None if value is None else int(value)
            else:
                out[item.column] = TRANSFORMS[item.transform or "str"].comparable(value)
    return out


def test_comparable_matches_the_transforms_for_every_shipped_mapping(mappings: dict[str, Mapping]) -> None:
    row = {
        "display_name": "  Acme ",
        "email": "Ops@Acme.COM",
        "phone": "+1 (555) 010-2000",
        "unit_price": "12.5",
        "qty_on_hand": 3,
        "inv_start_date": "2026-01-02",
        "taxable": True,
        "income_account_id": 4,
        "qb_id": "9",
    }
    for mapping in mappings.values():
        values = {k: v for k, v in row.items() if k in mapping.by_column()}
        assert comparable(mapping, values) == _by_walking(mapping, values)
    items = mappings["items"]
    assert comparable(items, {"unit_price": "12.5", "email": "x"}) == {"unit_price": "12.5000"}
