"""Queries naming properties an entity does not have are rejected like QBO does (4001)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from qbo_sandbox.clock import PACIFIC, Clock
from qbo_sandbox.faults import QBOFault
from qbo_sandbox.model.company import Company
from qbo_sandbox.model.seed import SeedSpec, seed_company
from qbo_sync.qbo.paging import ACTIVE_ANY, format_datetime, page_statement, quote, with_active

START = datetime(2026, 6, 1, 9, 0, tzinfo=PACIFIC)


@pytest.fixture(scope="module")
def co() -> Company:
    company = Company("9341453050071234", Clock(START))
    seed_company(company, SeedSpec.demo())
    return company


def invalid(co: Company, statement: str) -> QBOFault:
    with pytest.raises(QBOFault) as info:
        co.query(statement)
    fault = info.value
    assert (fault.status, fault.code, fault.message) == (400, "4001", "Invalid query")
    assert fault.body()["Fault"]["type"] == "ValidationFault"
    return fault


@pytest.mark.parametrize(
    ("statement", "detail"),
    [
        ("SELECT * FROM Customer WHERE Foo = 'x'", "Property Foo not found for Entity Customer"),
        (
            "SELECT * FROM Customer WHERE DisplayNam = 'x'",
            "Property DisplayNam not found for Entity Customer",
        ),
        ("SELECT * FROM Item ORDERBY Nonexistent", "Property Nonexistent not found for Entity Item"),
        (
            "SELECT * FROM Item WHERE Active = true ORDER BY Prize DESC",
            "Property Prize not found for Entity Item",
        ),
        ("SELECT COUNT(*) FROM Invoice WHERE Bogus > 3", "Property Bogus not found for Entity Invoice"),
        (
            "SELECT * FROM Customer WHERE BillAddr.City = 'Austin'",
            "Property BillAddr.City not found for Entity Customer",
        ),
        (
            "SELECT * FROM Customer WHERE MetaData.Bogus > '2026-01-01'",
            "Property MetaData.Bogus not found for Entity Customer",
        ),
        ("SELECT Id, Nmae FROM Item", "Property Nmae not found for Entity Item"),
        ("SELECT *, Foo FROM Item", "Property Foo not found for Entity Item"),
        ("SELECT * FROM Vendor WHERE AcctNum = '12'", "property 'AcctNum' is not queryable"),
    ],
)
def test_unknown_property_is_4001_naming_it(co: Company, statement: str, detail: str) -> None:
    assert invalid(co, statement).detail == f"QueryValidationError: {detail}"


def test_product_statements_still_work(co: Company) -> None:
    """Every statement shape qbo_sync builds (paging.py, client.py, push.py lookups) runs."""
    names = [quote("Amy's Bird Sanctuary"), quote("nobody")]
    since = START - timedelta(days=400)
    cases = {
        "Customer": f"DisplayName IN ({', '.join(names)})",
        "Vendor": f"DisplayName IN ({', '.join(names)})",
        "Item": f"Name IN ({', '.join(names)})",
        "Account": None,
        "TaxCode": None,
        "Invoice": f"Metadata.LastUpdatedTime >= '{format_datetime(since)}'"
        f" AND Metadata.LastUpdatedTime <= '{format_datetime(START)}'",
    }
    for entity, where in cases.items():
        for order in ("Id", "Metadata.LastUpdatedTime", "MetaData.LastUpdatedTime"):
            statement = page_statement(entity, where, 1, 1000, order, include_inactive=True)
            assert isinstance(co.query(statement), dict)
        count = co.query(
            f"SELECT COUNT(*) FROM {entity} WHERE {with_active(entity, where, True) or ACTIVE_ANY}"
        )
        assert count["totalCount"] >= 0
    skus = co.query(f"SELECT * FROM Item WHERE Sku IN ('SF-10000', 'SF-10001') AND {ACTIVE_ANY}")["Item"]
    assert sorted(i["Sku"] for i in skus) == ["SF-10000", "SF-10001"]
    rows = co.query("SELECT * FROM Invoice WHERE CustomerRef = '1' ORDERBY Metadata.CreateTime DESC")
    assert all(r["CustomerRef"]["value"] == "1" for r in rows.get("Invoice", []))


def test_projection_returns_only_named_fields(co: Company) -> None:
    page = co.query("SELECT Id, name FROM Item ORDERBY Id MAXRESULTS 2")
    assert [sorted(row) for row in page["Item"]] == [["Id", "Name"], ["Id", "Name"]]
    full = co.query("SELECT *, Sku FROM Item ORDERBY Id MAXRESULTS 1")["Item"][0]
    assert {"Sku", "Type", "MetaData", "SyncToken"} <= set(full)
    raw = co.query_json("SELECT Name FROM Item ORDERBY Id MAXRESULTS 1")
    assert raw.startswith(b'{"Item":[{"Name":') and b'"Id"' not in raw


def test_stored_top_level_properties_are_selectable_not_filterable(co: Company) -> None:
    loaded = co.load_raw("Customer", {"Id": "9990", "DisplayName": "Raw One", "ResaleNum": "R-1", "Zzz": "q"})
    assert loaded["Id"] == "9990"
    rows = co.query("SELECT Id, Zzz FROM Customer WHERE DisplayName = 'Raw One'")["Customer"]
    assert rows == [{"Id": "9990", "Zzz": "q"}]
    with pytest.raises(QBOFault) as info:
        co.query("SELECT * FROM Customer WHERE Zzz = 'q'")
    detail = "QueryValidationError: property 'Zzz' is not queryable"
    assert (info.value.code, info.value.detail) == ("4001", detail)
