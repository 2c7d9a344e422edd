"""Item account types, the IncomeAccountRef rule, and party field lengths/e-mail shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from qbo_sandbox.clock import PACIFIC, Clock
from qbo_sandbox.faults import QBOFault
from qbo_sandbox.model.company import Company
from qbo_sandbox.model.seed import SeedSpec, seed_company

START = datetime(2026, 6, 1, 9, 0, tzinfo=PACIFIC)
WRONG_TYPE = "Business Validation Error: Invalid account type: You need to select a different type of account"


def company(rule: str = "strict") -> Company:
    co = Company("9341453050071234", Clock(START), item_income_rule=rule)
    seed_company(co, SeedSpec.demo())
    return co


@pytest.fixture(scope="module")
def co() -> Company:
    return company()


def acct(co: Company, name: str) -> dict[str, str]:
    rows = co.query(f"select * from Account where Name = '{name}'")["Account"]
    return {"value": rows[0]["Id"]}


def rejects(co: Company, entity: str, body: dict[str, Any]) -> QBOFault:
    with pytest.raises(QBOFault) as info:
        co.create(entity, body)
    assert info.value.status == 400
    return info.value


def inventory(co: Company, name: str, **refs: Any) -> dict[str, Any]:
    body = {
        "Name": name,
        "Type": "Inventory",
        "TrackQtyOnHand": True,
        "QtyOnHand": 3,
        "InvStartDate": "2026-01-01",
        "IncomeAccountRef": acct(co, "Sales of Product Income"),
        "ExpenseAccountRef": acct(co, "Cost of Goods Sold"),
        "AssetAccountRef": acct(co, "Inventory Asset"),
    }
    return {**body, **refs}


def test_inventory_item_with_bank_accounts_is_rejected(co: Company) -> None:
    bank = acct(co, "Checking")
    for field in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        err = rejects(co, "Item", inventory(co, f"Bad {field}", **{field: bank}))
        assert (err.code, err.hint, err.element) == ("6000", field, "")
        assert err.detail.startswith(WRONG_TYPE)
    err = rejects(
        co,
        "Item",
        inventory(co, "All bank", IncomeAccountRef=bank, ExpenseAccountRef=bank, AssetAccountRef=bank),
    )
    assert (err.code, err.hint, err.element) == ("6000", "IncomeAccountRef", "")


def test_inventory_expense_must_be_cogs_and_asset_inventory_subtype(co: Company) -> None:
    err = rejects(co, "Item", inventory(co, "Exp", ExpenseAccountRef=acct(co, "Supplies & Materials")))
    assert (err.code, err.hint, err.element) == ("6000", "ExpenseAccountRef", "")
    err = rejects(co, "Item", inventory(co, "UF", AssetAccountRef=acct(co, "Undeposited Funds")))
    assert (err.code, err.hint, err.element) == ("6000", "AssetAccountRef", "")
    created = co.create("Item", inventory(co, "Good Widget"))
    assert created["AssetAccountRef"]["name"] == "Inventory Asset"


def test_non_inventory_accounts(co: Company) -> None:
    base = {"Name": "Gloves", "Type": "NonInventory", "IncomeAccountRef": acct(co, "Sales of Product Income")}
    err = rejects(co, "Item", {**base, "ExpenseAccountRef": acct(co, "Services")})
    assert (err.code, err.hint, err.element) == ("6000", "ExpenseAccountRef", "")
    err = rejects(co, "Item", {**base, "AssetAccountRef": acct(co, "Inventory Asset")})
    assert (err.code, err.hint, err.element) == ("6000", "AssetAccountRef", "")
    item = co.create("Item", {**base, "ExpenseAccountRef": acct(co, "Supplies & Materials")})
    assert item["Type"] == "NonInventory"


@pytest.mark.parametrize("item_type", ["Service", "NonInventory"])
def test_income_account_rules(item_type: str) -> None:
    strict, priced, off = company("strict"), company("when_priced"), company("off")
    for co in (strict, priced):
        err = rejects(co, "Item", {"Name": "Sold", "Type": item_type, "UnitPrice": 10})
        assert (err.code, err.element) == ("2020", "IncomeAccountRef")
    err = rejects(strict, "Item", {"Name": "Free", "Type": item_type})
    assert (err.code, err.element) == ("2020", "IncomeAccountRef")
    assert priced.create("Item", {"Name": "Free", "Type": item_type})["UnitPrice"] == 0
    assert off.create("Item", {"Name": "Sold", "Type": item_type, "UnitPrice": 10})["UnitPrice"] == 10
    err = rejects(off, "Item", {"Name": "X", "Type": item_type, "IncomeAccountRef": acct(off, "Checking")})
    assert (err.code, err.hint, err.element) == ("6000", "IncomeAccountRef", "")
    with pytest.raises(ValueError):
        company("lenient")


@pytest.mark.parametrize(
    ("entity", "field", "limit"),
    [
        ("Customer", "PrimaryPhone.FreeFormNumber", 30),
        ("Customer", "Notes", 2000),
        ("Customer", "PrimaryEmailAddr.Address", 100),
        ("Customer", "BillAddr.Line1", 500),
        ("Customer", "BillAddr.City", 255),
        ("Customer", "ShipAddr.CountrySubDivisionCode", 255),
        ("Customer", "BillAddr.PostalCode", 30),
        ("Customer", "BillAddr.Country", 255),
        ("Customer", "CompanyName", 100),
        ("Customer", "GivenName", 100),
        ("Vendor", "FamilyName", 100),
        ("Vendor", "AcctNum", 100),
        ("Vendor", "Mobile.FreeFormNumber", 30),
        ("Employee", "Title", 16),
    ],
)
def test_field_lengths_are_2050(co: Company, entity: str, field: str, limit: int) -> None:
    def body(length: int) -> dict[str, Any]:
        head, _, leaf = field.partition(".")
        value = ("a" * (length - 12) + "@example.com") if field.endswith("Address") else "x" * length
        return {"DisplayName": f"{entity} {field} {length}", head: {leaf: value} if leaf else value}

    err = rejects(co, entity, body(limit + 1))
    assert (err.code, err.element) == ("2050", field)
    assert err.detail.endswith(f"Max:{limit:,} supplied length:{limit + 1:,}")
    assert co.create(entity, body(limit))["DisplayName"] == f"{entity} {field} {limit}"


@pytest.mark.parametrize(
    "address", ["not-an-email", "a@b", "two@@example.com", "sp ace@example.com", "@x.com"]
)
def test_malformed_email_is_6000(co: Company, address: str) -> None:
    err = rejects(
        co, "Customer", {"DisplayName": f"Mail {address}", "PrimaryEmailAddr": {"Address": address}}
    )
    assert (err.code, err.hint, err.element) == ("6000", "PrimaryEmailAddr.Address", "")
    assert "must contain @ and a dot" in err.detail


def test_well_formed_email_and_seed_pass(co: Company) -> None:
    ok = co.create(
        "Customer", {"DisplayName": "Mail ok", "PrimaryEmailAddr": {"Address": "o'k.x+1@mail.example.co"}}
    )
    assert ok["PrimaryEmailAddr"]["Address"] == "o'k.x+1@mail.example.co"
    seeded = co.query("SELECT COUNT(*) FROM Item WHERE Sku LIKE 'SF-%' AND Active IN (true, false)")
    assert seeded["totalCount"] == SeedSpec.demo().items
