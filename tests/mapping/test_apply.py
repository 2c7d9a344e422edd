"""QuickBooks object ⇄ CMMS row for every shipped mapping, using recorded QuickBooks objects."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from qbo_sync.mapping import (
    FieldValueError,
    Mapping,
    RefResolver,
    SkipRecord,
    UnresolvedReference,
    comparable,
    qbo_to_row,
    row_to_qbo,
)


class _NoLinks:
    def to_qb_id(self, table: str, cmms_id: int) -> str | None:
        return None

    def to_cmms_id(self, table: str, qb_id: str) -> int | None:
        return None


Recorded = Callable[[str, str], list[dict[str, Any]]]
NO_LINKS: RefResolver = _NoLinks()
META = {"CreateTime": "2024-01-01T09:00:00-08:00", "LastUpdatedTime": "2024-06-01T10:30:00-07:00"}

INVENTORY_ITEM: dict[str, Any] = {
    "Name": "Hex Bolt M8",
    "Sku": "HB-M8",
    "Description": "Zinc plated hex bolt, M8 x 40",
    "Active": True,
    "FullyQualifiedName": "Hex Bolt M8",
    "Taxable": True,
    "UnitPrice": 0.35,
    "Type": "Inventory",
    "IncomeAccountRef": {"value": "79", "name": "Sales of Product Income"},
    "PurchaseCost": 0.12,
    "ExpenseAccountRef": {"value": "80", "name": "Cost of Goods Sold"},
    "AssetAccountRef": {"value": "81", "name": "Inventory Asset"},
    "TrackQtyOnHand": True,
    "QtyOnHand": 500,
    "InvStartDate": "2024-01-01",
    "domain": "QBO",
    "sparse": False,
    "Id": "19",
    "SyncToken": "2",
    "MetaData": META,
}


def strip_sync(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "qb_last_updated_at"}


def round_trip(mapping: Mapping, obj: dict[str, Any], refs: RefResolver) -> tuple[dict, dict, dict]:
    row = qbo_to_row(mapping, obj, refs)
    body = row_to_qbo(mapping, row, refs)
    again = qbo_to_row(mapping, json.loads(json.dumps(body)), refs)
    return row, body, again


def test_customer_from_recorded_query(mappings: dict[str, Mapping], recorded: Recorded) -> None:
    amy = recorded("all__customers.json", "Customer")[0]
    row = qbo_to_row(mappings["customers"], amy, NO_LINKS)
    assert row == {
        "qb_id": "1",
        "qb_sync_token": "0",
        "qb_last_updated_at": datetime(2020, 9, 29, 13, 2, 35, tzinfo=UTC),
        "display_name": "Amy's Bird Sanctuary",
        "company_name": "Amy's Bird Sanctuary",
        "given_name": "Amy",
        "family_name": "Lauterbach",
        "email": "Birds@Intuit.com",
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


def test_customer_round_trip(mappings: dict[str, Mapping], recorded: Recorded) -> None:
    refs = NO_LINKS
    for obj in recorded("all__customers.json", "Customer")[:10]:
        row, body, again = round_trip(mappings["customers"], obj, refs)
        assert strip_sync(again) == strip_sync(row)
        assert body["Id"] == obj["Id"] and body["SyncToken"] == obj["SyncToken"]
        assert "sparse" not in body
        assert "Balance" not in body and "Lat" not in json.dumps(body)
        assert set(body.get("BillAddr", {})) <= {"Line1", "City", "CountrySubDivisionCode", "PostalCode"}


def test_vendor_round_trip_keeps_account_number(mappings: dict[str, Mapping], recorded: Recorded) -> None:
    vendors = recorded("all__vendors_by_5.json", "Vendor")
    robertson = next(v for v in vendors if v["DisplayName"] == "Robertson & Associates")
    row, body, again = round_trip(mappings["vendors"], robertson, NO_LINKS)
    assert row["account_number"] == "000005641"
    assert row["bill_line1"] == "P.O. Box 147"
    assert body["AcctNum"] == "000005641"
    assert body["BillAddr"] == {
        "Line1": "P.O. Box 147",
        "City": "Bayshore",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94326",
    }
    assert strip_sync(again) == strip_sync(row)


def test_new_vendor_body_has_no_id(mappings: dict[str, Mapping]) -> None:
    row = {"id": 4, "display_name": "Acme Fasteners", "email": "ap@acme.test", "active": True, "qb_id": None}
    body = row_to_qbo(mappings["vendors"], row, NO_LINKS)
    assert body == {
        "DisplayName": "Acme Fasteners",
        "PrimaryEmailAddr": {"Address": "ap@acme.test"},
        "Active": True,
    }


def test_account_from_recorded_read(mappings: dict[str, Mapping], recorded: Recorded) -> None:
    account = recorded("deactivate__account.json", "Account")[0]
    row = qbo_to_row(mappings["accounts"], account, NO_LINKS)
    assert row["name"] == "Fees Billed"
    assert row["account_type"] == "Income"
    assert row["account_sub_type"] == "ServiceFeeIncome"
    assert row["classification"] == "Revenue"
    assert row["active"] is False
    assert row["current_balance"] == Decimal("0.00")
    assert row["account_number"] is None
    assert row["qb_last_updated_at"] == datetime(2018, 1, 5, 20, 15, 34, tzinfo=UTC)
    # pull-only: nothing but the link goes back, and asking for a field is an error
    assert row_to_qbo(mappings["accounts"], row, NO_LINKS) == {"Id": "5", "SyncToken": "1"}
    with pytest.raises(ValueError, match="name is never sent to QuickBooks"):
        row_to_qbo(mappings["accounts"], row, NO_LINKS, fields={"name"})


def test_tax_code_and_rate(mappings: dict[str, Mapping]) -> None:
    code = {"Name": "California", "Description": "California", "Active": True, "Taxable": True,
            "TaxGroup": True, "Id": "2", "SyncToken": "0", "MetaData": META}  # fmt: skip
    rate = {"Name": "California", "Description": "State tax", "RateValue": 8.25, "Active": True,
            "AgencyRef": {"value": "1", "name": "California Department of Tax"}, "Id": "3",
            "SyncToken": "0", "MetaData": META}  # fmt: skip
    code_row = qbo_to_row(mappings["tax_codes"], code, NO_LINKS)
    assert {k: code_row[k] for k in ("name", "taxable", "tax_group", "active")} == {
        "name": "California",
        "taxable": True,
        "tax_group": True,
        "active": True,
    }
    rate_row = qbo_to_row(mappings["tax_rates"], rate, NO_LINKS)
    assert rate_row["rate_value"] == Decimal("8.2500")
    assert rate_row["agency_name"] == "California Department of Tax"
    assert comparable(mappings["tax_rates"], rate_row)["rate_value"] == "8.2500"


def test_inventory_item_round_trip(mappings: dict[str, Mapping], resolver: RefResolver) -> None:
    row, body, again = round_trip(mappings["items"], INVENTORY_ITEM, resolver)
    assert row["item_type"] == "inventory"
    assert row["qty_on_hand"] == Decimal("500.0000")
    assert row["inv_start_date"] == date(2024, 1, 1)
    assert row["unit_price"] == Decimal("0.3500")
    assert (row["income_account_id"], row["expense_account_id"], row["asset_account_id"]) == (10, 11, 12)
    assert body["Type"] == "Inventory"
    assert body["TrackQtyOnHand"] is True
    assert body["IncomeAccountRef"] == {"value": "79"}
    assert body["AssetAccountRef"] == {"value": "81"}
    assert body["QtyOnHand"] == 500 and body["InvStartDate"] == "2024-01-01"
    assert body["UnitPrice"] == 0.35
    assert strip_sync(again) == strip_sync(row)


def test_service_item_sends_no_inventory_fields(mappings: dict[str, Mapping], resolver: RefResolver) -> None:
    row = {"id": 7, "name": "Callout fee", "item_type": "service", "unit_price": Decimal("85"),
           "qty_on_hand": Decimal("3"), "asset_account_id": 12, "income_account_id": 13,
           "active": True}  # fmt: skip
    body = row_to_qbo(mappings["items"], row, resolver)
    assert body == {
        "Name": "Callout fee",
        "Type": "Service",
        "UnitPrice": 85,
        "Active": True,
        "IncomeAccountRef": {"value": "7"},
    }


def test_sparse_update_sends_only_the_given_fields(mappings: dict[str, Mapping], recorded: Recorded) -> None:
    amy = recorded("all__customers.json", "Customer")[0]
    row = qbo_to_row(mappings["customers"], amy, NO_LINKS)
    row.update(email=None, phone="650 555 0000", notes="Gate code 1234")
    body = row_to_qbo(mappings["customers"], row, NO_LINKS, fields={"email", "phone", "Notes"})
    assert body == {
        "Id": "1",
        "SyncToken": "0",
        "sparse": True,
        "PrimaryEmailAddr": {"Address": ""},
        "PrimaryPhone": {"FreeFormNumber": "650 555 0000"},
        "Notes": "Gate code 1234",
    }
    with pytest.raises(ValueError, match="unknown field"):
        row_to_qbo(mappings["customers"], row, NO_LINKS, fields={"fax"})


def test_sparse_update_sends_a_nested_address_whole(mappings: dict[str, Mapping], recorded: Recorded) -> None:
    amy = recorded("all__customers.json", "Customer")[0]
    row = qbo_to_row(mappings["customers"], amy, NO_LINKS)
    row["bill_city"] = "Palo Alto"
    body = row_to_qbo(mappings["customers"], row, NO_LINKS, fields={"bill_city"})
    assert body == {
        "Id": "1",
        "SyncToken": "0",
        "sparse": True,
        "BillAddr": {
            "Line1": "4581 Finch St.",
            "Line2": "",
            "City": "Palo Alto",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94326",
            "Country": "",
        },
    }


def test_sparse_item_update_has_no_create_constants(
    mappings: dict[str, Mapping], resolver: RefResolver
) -> None:
    row = qbo_to_row(mappings["items"], INVENTORY_ITEM, resolver)
    body = row_to_qbo(mappings["items"], row, resolver, fields={"expense_account_id"})
    assert body == {"Id": "19", "SyncToken": "2", "sparse": True, "ExpenseAccountRef": {"value": "80"}}


def test_unresolved_reference_on_push(mappings: dict[str, Mapping], resolver: RefResolver) -> None:
    row = {"id": 3, "name": "Hex Bolt M8", "item_type": "inventory", "income_account_id": 99,
           "expense_account_id": 11, "asset_account_id": 98}  # fmt: skip
    with pytest.raises(UnresolvedReference) as info:
        row_to_qbo(mappings["items"], row, resolver)
    assert [(m.column, m.key) for m in info.value.missing] == [
        ("income_account_id", "99"),
        ("asset_account_id", "98"),
    ]
    assert str(info.value) == (
        "Item 'Hex Bolt M8': income_account_id points to accounts #99, which is not linked to QuickBooks yet "
        "(sync accounts first); asset_account_id points to accounts #98, which is not linked to QuickBooks "
        "yet (sync accounts first)"
    )


def test_unresolved_reference_on_pull(mappings: dict[str, Mapping], resolver: RefResolver) -> None:
    obj = copy.deepcopy(INVENTORY_ITEM)
    obj["ExpenseAccountRef"] = {"value": "500", "name": "Freight"}
    with pytest.raises(UnresolvedReference) as info:
        qbo_to_row(mappings["items"], obj, resolver)
    assert str(info.value) == (
        "Item 'Hex Bolt M8': ExpenseAccountRef points to QuickBooks accounts Id 500, "
        "which is not in the CMMS yet (sync accounts first)"
    )


def test_missing_reference_is_null_not_an_error(mappings: dict[str, Mapping], resolver: RefResolver) -> None:
    obj = {"Name": "Labour", "Type": "Service", "Id": "30", "SyncToken": "0", "MetaData": META}
    row = qbo_to_row(mappings["items"], obj, resolver)
    assert row["income_account_id"] is None and row["asset_account_id"] is None


def test_category_items_are_skipped(mappings: dict[str, Mapping], resolver: RefResolver) -> None:
    obj = {"Name": "Fasteners", "Type": "Category", "Id": "40", "SyncToken": "0", "MetaData": META}
    with pytest.raises(SkipRecord) as info:
        qbo_to_row(mappings["items"], obj, resolver)
    assert str(info.value) == "Item 'Fasteners': skipped, QuickBooks Type 'Category' is not synced"


def test_bad_value_names_record_and_field(mappings: dict[str, Mapping], resolver: RefResolver) -> None:
    obj = copy.deepcopy(INVENTORY_ITEM)
    obj["QtyOnHand"] = "lots"
    with pytest.raises(FieldValueError) as info:
        qbo_to_row(mappings["items"], obj, resolver)
    assert (
        str(info.value) == "Item 'Hex Bolt M8' (QuickBooks Id 19): QtyOnHand: expected a number (got 'lots')"
    )


def test_comparable_is_json_ready(mappings: dict[str, Mapping], resolver: RefResolver) -> None:
    row = qbo_to_row(mappings["items"], INVENTORY_ITEM, resolver)
    values = comparable(mappings["items"], row)
    assert json.loads(json.dumps(values)) == values
    assert values["unit_price"] == "0.3500"
    assert values["qty_on_hand"] == "500.0000"
    assert values["inv_start_date"] == "2024-01-01"
    assert values["income_account_id"] == 10
    assert "qb_id" not in values and "qb_last_updated_at" not in values
    assert comparable(mappings["items"], {"name": "x"}) == {"name": "x"}
