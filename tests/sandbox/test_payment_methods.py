"""The PaymentMethod name list over real HTTP: QuickBooks' defaults seeded and queryable, and a
Payment refusing a PaymentMethodRef that is unknown (2500) or inactive (610)."""

from __future__ import annotations

from typing import Any

from qbo_sandbox.faults import INACTIVE_DETAIL
from tests.sandbox.conftest import Api

DEFAULTS = [
    ("1", "Cash", "NON_CREDIT_CARD"),
    ("2", "Check", "NON_CREDIT_CARD"),
    ("3", "Visa", "CREDIT_CARD"),
    ("4", "MasterCard", "CREDIT_CARD"),
    ("5", "Discover", "CREDIT_CARD"),
    ("6", "American Express", "CREDIT_CARD"),
    ("7", "Diners Club", "CREDIT_CARD"),
]


def _payment(api: Api, **extra: Any) -> dict[str, Any]:
    customer = api.query("select * from Customer maxresults 1")["Customer"][0]["Id"]
    return {"CustomerRef": {"value": customer}, "TotalAmt": 12.5, **extra}


def _fault(answer: Any) -> tuple[str, str, str]:
    assert answer.status_code == 400, answer.text
    error = answer.json()["Fault"]["Error"][0]
    return error["code"], error["Detail"], error.get("element", "")


def test_quickbooks_default_payment_methods_are_seeded_and_queryable(api: Api) -> None:
    rows = api.query("select * from PaymentMethod")["PaymentMethod"]
    assert [(m["Id"], m["Name"], m["Type"]) for m in rows] == DEFAULTS
    assert all(m["Active"] is True and m["SyncToken"] == "0" for m in rows)
    check = api.query("select * from PaymentMethod where Name = 'Check'")["PaymentMethod"]
    assert [m["Id"] for m in check] == ["2"]
    cards = api.query("select Id from PaymentMethod where Type = 'CREDIT_CARD'")["PaymentMethod"]
    assert [m["Id"] for m in cards] == ["3", "4", "5", "6", "7"]
    one = api.get("paymentmethod/7", minorversion=75)
    assert one.status_code == 200
    assert {k: one.json()["PaymentMethod"][k] for k in ("Id", "Name", "Type", "Active")} == {
        "Id": "7", "Name": "Diners Club", "Type": "CREDIT_CARD", "Active": True,
    }  # fmt: skip
    assert _fault(api.get("paymentmethod/70"))[0] == "610"


def test_a_payment_names_its_method_and_refuses_an_unknown_one(api: Api) -> None:
    made = api.post("payment", _payment(api, PaymentMethodRef={"value": "3"}), minorversion=75)
    assert made.status_code == 200, made.text
    assert made.json()["Payment"]["PaymentMethodRef"] == {"value": "3", "name": "Visa"}

    unknown = api.post("payment", _payment(api, PaymentMethodRef={"value": "99", "name": "Check"}))
    assert _fault(unknown) == (
        "2500",
        "Invalid Reference Id : PaymentMethod element id 99 not found",
        "PaymentMethodRef",
    )
    pay = made.json()["Payment"]
    edit = {
        "Id": pay["Id"],
        "SyncToken": pay["SyncToken"],
        "sparse": True,
        "PaymentMethodRef": {"value": "99"},
    }
    assert _fault(api.post("payment", edit))[0] == "2500"
    assert api.get(f"payment/{pay['Id']}").json()["Payment"]["PaymentMethodRef"]["value"] == "3"


def test_an_inactive_payment_method_is_610_and_hidden_from_default_queries(api: Api) -> None:
    made = api.post("paymentmethod", {"Name": "Gift Card", "Type": "NON_CREDIT_CARD"}, minorversion=75)
    assert made.status_code == 200, made.text
    method = made.json()["PaymentMethod"]
    assert method["Id"] == "8" and method["Active"] is True
    paid = api.post("payment", _payment(api, PaymentMethodRef={"value": method["Id"]}))
    assert paid.status_code == 200, paid.text
    off = {"Id": method["Id"], "SyncToken": method["SyncToken"], "sparse": True, "Active": False}
    assert api.post("paymentmethod", off).json()["PaymentMethod"]["Active"] is False

    assert _fault(api.post("payment", _payment(api, PaymentMethodRef={"value": method["Id"]}))) == (
        "610",
        INACTIVE_DETAIL,
        "PaymentMethodRef",
    )
    pay = paid.json()["Payment"]
    resend = {"Id": pay["Id"], "SyncToken": pay["SyncToken"], "sparse": True, "TotalAmt": 13.0}
    assert _fault(api.post("payment", resend))[0] == "610"  # an update re-checks the reference
    assert "Gift Card" not in {m["Name"] for m in api.query("select * from PaymentMethod")["PaymentMethod"]}
    hidden = api.query("select * from PaymentMethod where Active = false")["PaymentMethod"]
    assert [m["Name"] for m in hidden] == ["Gift Card"]


def test_payment_method_names_are_unique_and_the_type_is_an_enumeration(api: Api) -> None:
    dup = api.post("paymentmethod", {"Name": "visa"})
    assert _fault(dup)[:2] == (
        "6240",
        "The name supplied already exists. : Another payment method is already using this name. "
        "Please use a different name.",
    )
    assert _fault(api.post("paymentmethod", {"Name": "Wire", "Type": "BANK"}))[0] == "2170"
    assert _fault(api.post("paymentmethod", {"Name": "x" * 32}))[0] == "2050"
    assert _fault(api.post("paymentmethod", {"Type": "CREDIT_CARD"}))[0] == "2020"
