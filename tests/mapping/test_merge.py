"""Three-way merge of two-way records: one side wins, same change is no conflict, owner decides."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_sync.mapping import Conflict, Mapping, comparable, merge

BASE_ROW: dict[str, Any] = {
    "display_name": "Amy's Bird Sanctuary",
    "company_name": "Amy's Bird Sanctuary",
    "given_name": "Amy",
    "family_name": "Lauterbach",
    "email": "birds@intuit.com",
    "phone": "(650) 555-3311",
    "bill_line1": "4581 Finch St.",
    "bill_line2": None,
    "bill_city": "Bayshore",
    "bill_region": "CA",
    "bill_postal_code": "94326",
    "bill_country": None,
    "taxable": True,
    "active": True,
    "notes": None,
}


def rows(**local_changes: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return dict(BASE_ROW), {**BASE_ROW, **local_changes}, dict(BASE_ROW)


def test_nothing_changed(mappings: dict[str, Mapping]) -> None:
    m = mappings["customers"]
    result = merge(m, comparable(m, BASE_ROW), dict(BASE_ROW), dict(BASE_ROW))
    assert result.in_sync
    assert result.snapshot == comparable(m, BASE_ROW)


def test_change_on_one_side_wins(mappings: dict[str, Mapping]) -> None:
    m = mappings["customers"]
    base = comparable(m, BASE_ROW)
    local = {**BASE_ROW, "bill_city": "Palo Alto"}
    remote = {**BASE_ROW, "notes": "Prefers mornings", "taxable": False}
    result = merge(m, base, local, remote)
    assert result.to_remote == {"bill_city": "Palo Alto"}
    assert result.to_local == {"notes": "Prefers mornings", "taxable": False}
    assert result.conflicts == []
    assert result.snapshot["bill_city"] == "Palo Alto" and result.snapshot["notes"] == "Prefers mornings"


def test_same_change_on_both_sides_is_no_conflict(mappings: dict[str, Mapping]) -> None:
    m = mappings["customers"]
    local = {**BASE_ROW, "display_name": "Amy's Bird Sanctuary LLC", "email": "Amy@Birds.test"}
    remote = {**BASE_ROW, "display_name": "Amy's Bird Sanctuary LLC", "email": "amy@birds.test"}
    result = merge(m, comparable(m, BASE_ROW), local, remote)
    assert result.in_sync
    assert result.snapshot["email"] == "amy@birds.test"


def test_both_changed_owner_cmms_wins(mappings: dict[str, Mapping]) -> None:
    m = mappings["customers"]
    local = {**BASE_ROW, "phone": "650-555-0001"}
    remote = {**BASE_ROW, "phone": "650-555-0002"}
    result = merge(m, comparable(m, BASE_ROW), local, remote)
    assert result.to_remote == {"phone": "650-555-0001"}
    assert result.to_local == {}
    assert result.snapshot["phone"] == "6505550001"


def test_both_changed_owner_qbo_wins(mappings: dict[str, Mapping]) -> None:
    m = mappings["customers"]
    base = comparable(m, {**BASE_ROW, "active": None})
    result = merge(m, base, {**BASE_ROW, "active": False}, {**BASE_ROW, "active": True})
    assert result.to_local == {"active": True}
    assert result.to_remote == {}


def test_both_changed_owner_conflict_is_queued_and_left_alone(mappings: dict[str, Mapping]) -> None:
    m = mappings["customers"]
    base = comparable(m, BASE_ROW)
    local = {**BASE_ROW, "display_name": "Amy's Birds", "bill_city": "Palo Alto"}
    remote = {**BASE_ROW, "display_name": "Amy Bird Sanctuary Inc"}
    result = merge(m, base, local, remote)
    assert result.conflicts == [
        Conflict("display_name", "Amy's Bird Sanctuary", "Amy's Birds", "Amy Bird Sanctuary Inc")
    ]
    assert "display_name" not in result.to_local and "display_name" not in result.to_remote
    assert result.to_remote == {"bill_city": "Palo Alto"}
    assert result.snapshot["display_name"] == "Amy's Bird Sanctuary"  # stays a conflict next time


def test_no_base_fills_blanks_then_follows_owner(mappings: dict[str, Mapping]) -> None:
    m = mappings["customers"]
    local = {**BASE_ROW, "notes": "Gate code 1234", "phone": "650-555-0001", "email": None,
             "taxable": False, "display_name": "Amy's Birds"}  # fmt: skip
    remote = {**BASE_ROW, "phone": "650-555-0002"}
    result = merge(m, None, local, remote)
    assert result.to_remote == {"notes": "Gate code 1234", "phone": "650-555-0001"}
    assert result.to_local == {"email": "birds@intuit.com", "taxable": True}
    assert result.conflicts == [Conflict("display_name", None, "Amy's Birds", "Amy's Bird Sanctuary")]
    assert "display_name" not in result.snapshot


def test_item_create_only_and_references(mappings: dict[str, Mapping]) -> None:
    m = mappings["items"]
    base_row = {"name": "Hex Bolt M8", "item_type": "inventory", "qty_on_hand": Decimal("500"),
                "unit_price": Decimal("0.35"), "income_account_id": 10, "sku": "HB-M8"}  # fmt: skip
    local = {**base_row, "qty_on_hand": Decimal("480"), "item_type": "service", "income_account_id": 13,
             "sku": "HB-M8-Z"}  # fmt: skip
    remote = {**base_row, "qty_on_hand": Decimal("450.0000"), "income_account_id": 14,
              "unit_price": 0.40}  # fmt: skip
    result = merge(m, comparable(m, base_row), local, remote)
    # QuickBooks is the truth for quantity and type after creation; the account follows owner qbo
    assert result.to_local == {"qty_on_hand": Decimal("450.0000"), "item_type": "inventory",
                               "income_account_id": 14, "unit_price": 0.40}  # fmt: skip
    assert result.to_remote == {"sku": "HB-M8-Z"}
    assert result.conflicts == []
    assert result.snapshot["unit_price"] == "0.4000"


def test_price_changed_on_both_sides_is_a_conflict(mappings: dict[str, Mapping]) -> None:
    m = mappings["items"]
    base_row = {"name": "Hex Bolt M8", "unit_price": Decimal("0.35")}
    result = merge(m, comparable(m, base_row), {**base_row, "unit_price": Decimal("0.40")},
                   {**base_row, "unit_price": Decimal("0.45")})  # fmt: skip
    assert result.conflicts == [Conflict("unit_price", "0.3500", "0.4000", "0.4500")]
    assert result.to_local == {} and result.to_remote == {}


def test_pull_only_entities_always_take_quickbooks(mappings: dict[str, Mapping]) -> None:
    m = mappings["accounts"]
    base_row = {"name": "Inventory Asset", "active": True, "current_balance": Decimal("10")}
    local = {**base_row, "name": "Stock"}
    remote = {**base_row, "current_balance": Decimal("12.5")}
    result = merge(m, comparable(m, base_row), local, remote)
    assert result.to_local == {"name": "Inventory Asset", "current_balance": Decimal("12.5")}
    assert result.to_remote == {} and result.conflicts == []
