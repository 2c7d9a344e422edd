"""Clearing a field in the CMMS: text is sent as "", kinds QuickBooks cannot clear fail readably."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from qbo_sync.mapping import CannotClear, Mapping, RecordError, row_to_qbo

LINKED_ITEM: dict[str, Any] = {
    "id": 5,
    "qb_id": "19",
    "qb_sync_token": "2",
    "name": "Hex Bolt M8",
    "item_type": "service",
    "description": "Zinc plated",
    "unit_price": Decimal("0.35"),
    "purchase_cost": Decimal("0.10"),
    "taxable": True,
    "income_account_id": 10,
    "expense_account_id": 11,
}


def item(**changes: Any) -> dict[str, Any]:
    return {**LINKED_ITEM, **changes}


def test_a_cleared_price_is_not_sent_as_an_empty_update(mappings: dict[str, Mapping], resolver) -> None:
    with pytest.raises(CannotClear) as caught:
        row_to_qbo(mappings["items"], item(unit_price=None), resolver, fields={"unit_price"})
    assert isinstance(caught.value, RecordError)
    assert str(caught.value) == (
        "QuickBooks cannot clear the sales price of Item 'Hex Bolt M8'; set a sales price instead "
        "(QuickBooks keeps its current value until then)."
    )
    assert [f.column for f in caught.value.fields] == ["unit_price"]


def test_every_field_that_cannot_be_cleared_is_named_once(mappings: dict[str, Mapping], resolver) -> None:
    row = item(unit_price=None, taxable=None, expense_account_id=None, description=None)
    fields = {"unit_price", "taxable", "expense_account_id", "description"}
    with pytest.raises(CannotClear) as caught:
        row_to_qbo(mappings["items"], row, resolver, fields=fields)
    assert str(caught.value) == (
        "QuickBooks cannot clear the sales price and taxable and expense account of Item 'Hex Bolt M8'; "
        "set a sales price instead; set taxable to yes or no instead; choose an expense account instead "
        "(QuickBooks keeps its current value until then)."
    )


def test_a_cleared_text_field_is_sent_empty(mappings: dict[str, Mapping], resolver) -> None:
    body = row_to_qbo(mappings["items"], item(description=None), resolver, fields={"description"})
    assert body == {"Id": "19", "SyncToken": "2", "sparse": True, "Description": ""}
    cust = {"id": 3, "qb_id": "5", "qb_sync_token": "0", "display_name": "Acme", "email": None}
    body = row_to_qbo(mappings["customers"], cust, resolver, fields={"email"})
    assert body["PrimaryEmailAddr"] == {"Address": ""}


def test_a_set_value_and_a_create_are_unaffected(mappings: dict[str, Mapping], resolver) -> None:
    body = row_to_qbo(mappings["items"], item(unit_price=Decimal("0")), resolver, fields={"unit_price"})
    assert body == {"Id": "19", "SyncToken": "2", "sparse": True, "UnitPrice": 0}
    created = row_to_qbo(mappings["items"], item(qb_id=None, unit_price=None, purchase_cost=None), resolver)
    assert "UnitPrice" not in created and "PurchaseCost" not in created
    assert created["Name"] == "Hex Bolt M8"


def test_unreadable_values_from_quickbooks_are_field_errors() -> None:
    from qbo_sync.mapping import FieldValueError, load_mappings, qbo_to_row
    from qbo_sync.mapping.transforms import TRANSFORMS

    class NoRefs:
        def to_qb_id(self, table: str, cmms_id: int) -> str | None:
            return None

        def to_cmms_id(self, table: str, qb_id: str) -> int | None:
            return None

    customers = load_mappings()["customers"]
    bad_time = {
        "Id": "7",
        "SyncToken": "0",
        "DisplayName": "Acme",
        "MetaData": {"LastUpdatedTime": "not a time"},
    }
    with pytest.raises(FieldValueError, match=r"MetaData\.LastUpdatedTime"):
        qbo_to_row(customers, bad_time, NoRefs())
    with pytest.raises(ValueError, match="number too large"):
        TRANSFORMS["qty"].to_cmms(Decimal("1e30"))
