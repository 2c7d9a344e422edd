"""Pre-send validation gives bookkeeper-readable messages before QuickBooks would reject a record."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from qbo_sync.mapping import AccountInfo, Mapping, validate_for_push

ACCOUNTS: dict[int, tuple[Any, ...]] = {
    10: AccountInfo("Income", "SalesOfProductIncome", True, "Sales of Product Income"),
    11: AccountInfo("Cost of Goods Sold", "SuppliesMaterialsCogs", True, "Cost of Goods Sold"),
    12: AccountInfo("Other Current Asset", "Inventory", True, "Inventory Asset"),
    20: AccountInfo("Expense", "OfficeGeneralAdministrativeExpenses", True, "Office Supplies"),
    21: AccountInfo("Other Current Asset", "PrepaidExpenses", True, "Prepaid Expenses"),
    22: AccountInfo("Income", "ServiceFeeIncome", False, "Fees Billed"),
    23: ("Other Income", "OtherMiscellaneousIncome", True),  # plain 3-tuple, no name
}

GOOD_ITEM: dict[str, Any] = {
    "id": 5,
    "name": "Hex Bolt M8",
    "item_type": "inventory",
    "unit_price": Decimal("0.35"),
    "qty_on_hand": Decimal("500"),
    "inv_start_date": date(2024, 1, 1),
    "income_account_id": 10,
    "expense_account_id": 11,
    "asset_account_id": 12,
}


def item(**changes: Any) -> dict[str, Any]:
    return {**GOOD_ITEM, **changes}


def test_a_good_inventory_item_passes(mappings: dict[str, Mapping]) -> None:
    assert validate_for_push(mappings["items"], GOOD_ITEM, ACCOUNTS) == []


def test_asset_account_of_the_wrong_type(mappings: dict[str, Mapping]) -> None:
    assert validate_for_push(mappings["items"], item(asset_account_id=20), ACCOUNTS) == [
        "Item 'Hex Bolt M8': inventory items need an Inventory Asset account (Other Current Asset); "
        "'Office Supplies' is an Expense account."
    ]


def test_asset_account_of_the_wrong_subtype(mappings: dict[str, Mapping]) -> None:
    assert validate_for_push(mappings["items"], item(asset_account_id=21), ACCOUNTS) == [
        "Item 'Hex Bolt M8': inventory items need an Inventory Asset account (Other Current Asset); "
        "'Prepaid Expenses' is an Other Current Asset account of subtype PrepaidExpenses."
    ]


def test_income_and_expense_accounts(mappings: dict[str, Mapping]) -> None:
    problems = validate_for_push(
        mappings["items"], item(income_account_id=20, expense_account_id=12), ACCOUNTS
    )
    assert problems == [
        "Item 'Hex Bolt M8': every item needs an income account (Income or Other Income); "
        "'Office Supplies' is an Expense account.",
        "Item 'Hex Bolt M8': inventory items need a Cost of Goods Sold expense account; "
        "'Inventory Asset' is an Other Current Asset account.",
    ]
    # QuickBooks takes only a Cost of Goods Sold account as an inventory item's expense account
    assert validate_for_push(mappings["items"], item(expense_account_id=20), ACCOUNTS) == [
        "Item 'Hex Bolt M8': inventory items need a Cost of Goods Sold expense account; "
        "'Office Supplies' is an Expense account."
    ]


def test_service_and_non_inventory_items_need_an_income_account(mappings: dict[str, Mapping]) -> None:
    for kind in ("service", "non_inventory"):
        row = {"id": 7, "name": "Callout fee", "item_type": kind, "expense_account_id": 20}
        assert validate_for_push(mappings["items"], row, ACCOUNTS) == [
            "Item 'Callout fee': every item needs an income account (Income or Other Income); none is set."
        ]
        row["income_account_id"] = 20
        assert validate_for_push(mappings["items"], row, ACCOUNTS) == [
            "Item 'Callout fee': every item needs an income account (Income or Other Income); "
            "'Office Supplies' is an Expense account."
        ]
        row["income_account_id"] = 23  # Other Income; an Expense account is fine for these types
        assert validate_for_push(mappings["items"], row, ACCOUNTS) == []


def test_missing_inactive_and_unknown_accounts(mappings: dict[str, Mapping]) -> None:
    row = item(income_account_id=22, expense_account_id=None, asset_account_id=99)
    assert validate_for_push(mappings["items"], row, ACCOUNTS) == [
        "Item 'Hex Bolt M8': every item needs an income account (Income or Other Income); "
        "'Fees Billed' is inactive in QuickBooks.",
        "Item 'Hex Bolt M8': inventory items need a Cost of Goods Sold expense account; none is set.",
        "Item 'Hex Bolt M8': inventory items need an Inventory Asset account (Other Current Asset); "
        "account #99 is not in the CMMS accounts list (choose one of the accounts that came from "
        "QuickBooks).",
    ]


def test_inventory_needs_quantity_and_start_date(mappings: dict[str, Mapping]) -> None:
    assert validate_for_push(mappings["items"], item(qty_on_hand=None, inv_start_date=None), ACCOUNTS) == [
        "Item 'Hex Bolt M8': quantity on hand is required when item type is inventory.",
        "Item 'Hex Bolt M8': inventory start date is required when item type is inventory.",
    ]


def test_service_items_need_no_inventory_fields(mappings: dict[str, Mapping]) -> None:
    row = {"id": 6, "name": "Callout fee", "item_type": "service", "income_account_id": 23,
           "asset_account_id": 20}  # fmt: skip
    assert validate_for_push(mappings["items"], row, ACCOUNTS) == []
    row["expense_account_id"] = 12
    assert validate_for_push(mappings["items"], row, ACCOUNTS) == [
        "Item 'Callout fee': an item's expense account must be a Cost of Goods Sold, Expense or "
        "Other Expense account; 'Inventory Asset' is an Other Current Asset account."
    ]


def test_item_name_rules(mappings: dict[str, Mapping]) -> None:
    assert validate_for_push(mappings["items"], item(name=None), ACCOUNTS) == ["Item #5: name is required."]
    assert validate_for_push(mappings["items"], item(name="B" * 101), ACCOUNTS) == [
        f"Item '{'B' * 101}': name is 101 characters long; QuickBooks allows at most 100."
    ]
    assert validate_for_push(mappings["items"], item(name="Bolts:M8"), ACCOUNTS) == [
        "Item 'Bolts:M8': name 'Bolts:M8' cannot contain a colon, tab or line break."
    ]
    assert validate_for_push(mappings["items"], item(item_type="widget"), ACCOUNTS) == [
        "Item 'Hex Bolt M8': item type 'widget' is not one of inventory, non_inventory, service.",
    ]


def test_values_that_cannot_be_sent(mappings: dict[str, Mapping]) -> None:
    assert validate_for_push(
        mappings["items"], item(unit_price="abc", inv_start_date="1/1/24"), ACCOUNTS
    ) == [
        "Item 'Hex Bolt M8': sales price: expected a number (got 'abc').",
        "Item 'Hex Bolt M8': inventory start date: expected a date as yyyy-MM-dd (got '1/1/24').",
    ]


def test_customer_and_vendor_rules(mappings: dict[str, Mapping]) -> None:
    assert validate_for_push(mappings["customers"], {"id": 9, "display_name": "  "}, {}) == [
        "Customer #9: display name is required."
    ]
    long_name = "C" * 501
    assert validate_for_push(mappings["vendors"], {"display_name": long_name, "email": "ap(at)acme"}, {}) == [
        f"Vendor '{long_name}': display name is 501 characters long; QuickBooks allows at most 500.",
        "Vendor '" + long_name + "': email 'ap(at)acme' is not a valid email address.",
    ]
    ok = {"display_name": "C" * 500, "email": "ap@acme.test", "phone": "650 555 0000"}
    assert validate_for_push(mappings["vendors"], ok, {}) == []


def test_pull_only_entities_are_never_sent(mappings: dict[str, Mapping]) -> None:
    assert validate_for_push(mappings["accounts"], {"id": 1, "name": "Checking"}, {}) == [
        "Account 'Checking': accounts come from QuickBooks and are never sent to it."
    ]
