"""Company model rules: ids and sync tokens, updates, names, references, transactions, balances."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from qbo_sandbox.clock import PACIFIC, Clock
from qbo_sandbox.faults import INACTIVE_DETAIL, QBOFault
from qbo_sandbox.model.company import Company
from qbo_sandbox.model.seed import SeedSpec, seed_company

START = datetime(2026, 6, 1, 9, 0, tzinfo=PACIFIC)


@pytest.fixture()
def co() -> Company:
    company = Company("9341453050071234", Clock(START))
    seed_company(
        company, SeedSpec(customers=6, vendors=3, employees=2, items=6, invoices=0, payments=0, money=False)
    )
    return company


def one(co: Company, statement: str) -> dict[str, Any]:
    result = co.query(statement)
    entity = next(k for k in result if k not in ("startPosition", "maxResults"))
    return result[entity][0]


def account(co: Company, name: str) -> str:
    return one(co, f"select * from Account where Name = '{name}' and Active in (true, false)")["Id"]


def rejects(fn: Any, *args: Any) -> QBOFault:
    with pytest.raises(QBOFault) as info:
        fn(*args)
    return info.value


def sales_line(item_id: str, qty: float, price: float, amount: float | None = None) -> dict[str, Any]:
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": round(qty * price, 2) if amount is None else amount,
        "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": qty, "UnitPrice": price},
    }


def service_item(co: Company) -> str:
    return one(co, "select * from Item where Type = 'Service'")["Id"]


def new_invoice(co: Company, customer: str, qty: float = 2, price: float = 50) -> dict[str, Any]:
    return co.create(
        "Invoice", {"CustomerRef": {"value": customer}, "Line": [sales_line(service_item(co), qty, price)]}
    )


def test_create_sets_identity_and_metadata_and_update_bumps(co: Company) -> None:
    created = co.create("Customer", {"DisplayName": "Doe5, Jane"})
    assert created["SyncToken"] == "0"
    assert created["domain"] == "QBO" and created["sparse"] is False
    assert created["MetaData"] == {
        "CreateTime": "2026-06-01T09:00:00-07:00",
        "LastUpdatedTime": "2026-06-01T09:00:00-07:00",
    }
    assert (
        created["Active"] is True
        and created["Balance"] == 0
        and created["FullyQualifiedName"] == "Doe5, Jane"
    )
    co.clock.advance(65)
    updated = co.update("Customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Notes": "vip"})
    assert updated["SyncToken"] == "1"
    assert updated["MetaData"] == {
        "CreateTime": "2026-06-01T09:00:00-07:00",
        "LastUpdatedTime": "2026-06-01T09:01:05-07:00",
    }
    later = co.create("Customer", {"DisplayName": "Doe6, Jane"})
    assert int(later["Id"]) > int(created["Id"])


def test_stale_and_missing_sync_token(co: Company) -> None:
    c = co.create("Customer", {"DisplayName": "Stale Test"})
    co.update("Customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Notes": "a"})
    err = rejects(co.update, "Customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Notes": "b"})
    assert (err.status, err.code, err.message) == (400, "5010", "Stale Object Error")
    assert err.detail.startswith("Stale Object Error : You and ")
    assert rejects(co.update, "Customer", {"Id": c["Id"], "sparse": True}).code == "2020"
    assert rejects(co.update, "Customer", {"SyncToken": "1", "sparse": True}).code == "2020"


def test_read_missing_is_610(co: Company) -> None:
    err = rejects(co.read, "Customer", "999999")
    assert (err.status, err.code, err.message) == (400, "610", "Object Not Found")


def test_full_update_clears_omitted_fields_sparse_keeps_them(co: Company) -> None:
    c = co.create(
        "Customer", {"DisplayName": "Jack Moe", "PrimaryPhone": {"FreeFormNumber": "(415) 444-1234"}}
    )
    sparse = co.update("Customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "Moe Co"})
    assert sparse["PrimaryPhone"] == {"FreeFormNumber": "(415) 444-1234"}
    assert sparse["CompanyName"] == "Moe Co"
    full = co.update("Customer", {"Id": c["Id"], "SyncToken": "1", "DisplayName": "Jack Moe"})
    assert "PrimaryPhone" not in full and "CompanyName" not in full
    assert full["SyncToken"] == "2"


def test_display_name_unique_across_customer_vendor_employee(co: Company) -> None:
    co.create("Vendor", {"DisplayName": "Weiskopf Consulting"})
    for entity in ("Customer", "Employee", "Vendor"):
        err = rejects(co.create, entity, {"DisplayName": "weiskopf consulting"})
        assert (err.status, err.code, err.message) == (400, "6240", "Duplicate Name Exists Error")
        assert err.detail == (
            "The name supplied already exists. : Another customer, vendor or employee is already using "
            "this name. Please use a different name."
        )


def test_renaming_onto_an_existing_name_fails_and_keeping_own_name_succeeds(co: Company) -> None:
    a = co.create("Customer", {"DisplayName": "Alpha"})
    co.create("Employee", {"GivenName": "Beta", "FamilyName": "Person"})
    assert rejects(co.update, "Customer", {**a, "DisplayName": "BETA PERSON"}).code == "6240"
    assert co.update("Customer", {**a, "DisplayName": "Alpha", "sparse": True})["SyncToken"] == "1"


def test_display_name_defaults_and_required(co: Company) -> None:
    assert co.create("Customer", {"GivenName": "Ana", "FamilyName": "Lima"})["DisplayName"] == "Ana Lima"
    assert co.create("Vendor", {"CompanyName": "Lima Tools"})["DisplayName"] == "Lima Tools"
    err = rejects(co.create, "Customer", {"Notes": "no name"})
    assert (err.code, err.element) == ("2020", "DisplayName")


@pytest.mark.parametrize(
    "entity, body, field",
    [
        ("Customer", {"DisplayName": "x" * 501}, "DisplayName"),
        ("Item", {"Name": "x" * 101, "Type": "Service"}, "Name"),
        ("Account", {"Name": "x" * 101, "AccountType": "Expense"}, "Name"),
    ],
)
def test_string_lengths_2050(co: Company, entity: str, body: dict, field: str) -> None:
    err = rejects(co.create, entity, body)
    assert (err.code, err.element) == ("2050", field)


def test_transaction_string_lengths_2050(co: Company) -> None:
    customer = one(co, "select * from Customer")["Id"]
    base = {"CustomerRef": {"value": customer}, "Line": [sales_line(service_item(co), 1, 10)]}
    assert rejects(co.create, "Invoice", {**base, "DocNumber": "1" * 22}).element == "DocNumber"
    assert rejects(co.create, "Invoice", {**base, "PrivateNote": "n" * 4001}).element == "PrivateNote"
    assert co.create("Invoice", {**base, "DocNumber": "1" * 21})["DocNumber"] == "1" * 21


def test_item_rules(co: Company) -> None:
    income = {"value": account(co, "Services")}
    taken = one(co, "select * from Item")["Name"].upper()
    assert rejects(co.create, "Item", {"Name": taken, "IncomeAccountRef": income}).code == "6240"
    inventory = {
        "Name": "Widget",
        "Type": "Inventory",
        "TrackQtyOnHand": True,
        "QtyOnHand": 5,
        "InvStartDate": "2026-01-01",
        "IncomeAccountRef": {"value": account(co, "Sales of Product Income")},
        "ExpenseAccountRef": {"value": account(co, "Cost of Goods Sold")},
    }
    err = rejects(co.create, "Item", inventory)
    assert (err.code, err.element) == ("2020", "AssetAccountRef")
    assert rejects(co.create, "Item", {**inventory, "TrackQtyOnHand": False}).element == "TrackQtyOnHand"
    item = co.create("Item", {**inventory, "AssetAccountRef": {"value": account(co, "Inventory Asset")}})
    assert item["AssetAccountRef"] == {"value": account(co, "Inventory Asset"), "name": "Inventory Asset"}
    err = rejects(co.update, "Item", {"Id": item["Id"], "SyncToken": "0", "sparse": True, "Type": "Service"})
    assert err.code == "6000"
    assert rejects(co.create, "Item", {"Name": "Odd", "Type": "Gadget"}).code == "2170"


def test_references_must_exist_and_be_active(co: Company) -> None:
    service = {"Name": "Svc", "Type": "Service"}
    err = rejects(co.create, "Item", {**service, "IncomeAccountRef": {"value": "9999"}})
    assert (err.code, err.message, err.element) == ("2500", "Invalid Reference Id", "IncomeAccountRef")
    err = rejects(co.create, "Item", {**service, "IncomeAccountRef": {"value": account(co, "Advertising")}})
    assert (err.code, err.detail) == ("610", INACTIVE_DETAIL)


def test_inactive_customer_cannot_be_invoiced(co: Company) -> None:
    c = co.create("Customer", {"DisplayName": "Gone Inc", "Active": False})
    err = rejects(
        co.create,
        "Invoice",
        {"CustomerRef": {"value": c["Id"]}, "Line": [sales_line(service_item(co), 1, 5)]},
    )
    assert err.code == "610"


def test_invoice_totals_subtotal_docnumber_and_defaults(co: Company) -> None:
    customer = one(co, "select * from Customer")
    item = service_item(co)
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "TxnDate": "2026-05-31",
        "Line": [sales_line(item, 3, 19.99), sales_line(item, 1.5, 10)],
    }
    inv = co.create("Invoice", body)
    assert inv["TotalAmt"] == 74.97 and inv["Balance"] == 74.97
    assert inv["Line"][-1] == {"Amount": 74.97, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    assert [ln["Id"] for ln in inv["Line"][:-1]] == ["1", "2"]
    assert inv["DocNumber"] == "1001" and inv["DueDate"] == "2026-06-30"
    assert inv["CustomerRef"] == {"value": customer["Id"], "name": customer["DisplayName"]}
    assert inv["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert co.create("Invoice", body)["DocNumber"] == "1002"
    assert co.read("Customer", customer["Id"])["Balance"] == 149.94


def test_invoice_rejections(co: Company) -> None:
    customer = one(co, "select * from Customer")["Id"]
    assert rejects(co.create, "Invoice", {"CustomerRef": {"value": customer}, "Line": []}).code == "2020"
    assert (
        rejects(co.create, "Invoice", {"Line": [sales_line(service_item(co), 1, 1)]}).element == "CustomerRef"
    )
    err = rejects(
        co.create,
        "Invoice",
        {"CustomerRef": {"value": customer}, "Line": [sales_line(service_item(co), 3, 3.33, 10)]},
    )
    assert err.code == "6070"


def test_bill_totals_and_duplicate_doc_number_per_vendor(co: Company) -> None:
    vendors = co.query("select * from Vendor")["Vendor"]
    line = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": 120.5,
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account(co, "Utilities")}},
    }
    bill = co.create(
        "Bill", {"VendorRef": {"value": vendors[0]["Id"]}, "DocNumber": "INV-77", "Line": [line]}
    )
    assert (bill["TotalAmt"], bill["Balance"]) == (120.5, 120.5)
    assert bill["APAccountRef"]["name"] == "Accounts Payable (A/P)"
    assert co.read("Vendor", vendors[0]["Id"])["Balance"] == 120.5
    err = rejects(
        co.create, "Bill", {"VendorRef": {"value": vendors[0]["Id"]}, "DocNumber": "inv-77", "Line": [line]}
    )
    assert err.code == "6140"
    assert err.detail == (
        "Duplicate Document Number Error : You must specify a different number. This number has already "
        f"been used. DocNumber=inv-77 is assigned to TxnType=Bill with TxnId={bill['Id']}"
    )
    assert "element" not in err.errors()[0]
    other = co.create(
        "Bill", {"VendorRef": {"value": vendors[1]["Id"]}, "DocNumber": "INV-77", "Line": [line]}
    )
    assert other["DocNumber"] == "INV-77"
    assert rejects(co.create, "Bill", {"DocNumber": "x", "Line": [line]}).element == "VendorRef"


def je_line(posting: str, acct: str, amount: float, entity: tuple[str, str] | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"PostingType": posting, "AccountRef": {"value": acct}}
    if entity:
        detail["Entity"] = {"Type": entity[0], "EntityRef": {"value": entity[1]}}
    return {"DetailType": "JournalEntryLineDetail", "Amount": amount, "JournalEntryLineDetail": detail}


def test_journal_entry_rules(co: Company) -> None:
    fuel, bank, ap = account(co, "Fuel"), account(co, "Checking"), account(co, "Accounts Payable (A/P)")
    ok = co.create("JournalEntry", {"Line": [je_line("Debit", fuel, 25.54), je_line("Credit", bank, 25.54)]})
    assert ok["TotalAmt"] == 0 and ok["Adjustment"] is False
    err = rejects(
        co.create, "JournalEntry", {"Line": [je_line("Debit", fuel, 25.54), je_line("Credit", bank, 25.50)]}
    )
    assert err.code == "6000"
    assert "Total debits (25.54) must equal total credits (25.50)" in err.detail
    assert (
        rejects(
            co.create, "JournalEntry", {"Line": [je_line("Debit", fuel, 1), je_line("Debit", bank, 1)]}
        ).code
        == "6000"
    )
    assert (
        rejects(
            co.create, "JournalEntry", {"Line": [je_line("Debit", fuel, -5), je_line("Credit", bank, -5)]}
        ).code
        == "6000"
    )
    err = rejects(co.create, "JournalEntry", {"Line": [je_line("Debit", fuel, 9), je_line("Credit", ap, 9)]})
    assert err.code == "6000" and "vendor" in err.detail
    vendor = one(co, "select * from Vendor")["Id"]
    assert co.create(
        "JournalEntry", {"Line": [je_line("Debit", fuel, 9), je_line("Credit", ap, 9, ("Vendor", vendor))]}
    )
    assert (
        rejects(
            co.create, "JournalEntry", {"Line": [je_line("Sideways", fuel, 1), je_line("Credit", bank, 1)]}
        ).code
        == "2170"
    )


def test_payments_drive_invoice_balance_and_sync_token(co: Company) -> None:
    customer = one(co, "select * from Customer")["Id"]
    inv = new_invoice(co, customer)  # 100.00
    link = [{"TxnId": inv["Id"], "TxnType": "Invoice"}]
    co.clock.advance(10)
    pay = co.create(
        "Payment",
        {"CustomerRef": {"value": customer}, "TotalAmt": 70, "Line": [{"Amount": 40, "LinkedTxn": link}]},
    )
    assert pay["UnappliedAmt"] == 30.0
    assert pay["DepositToAccountRef"]["name"] == "Undeposited Funds"
    after = co.read("Invoice", inv["Id"])
    assert after["Balance"] == 60.0 and after["SyncToken"] == "1"
    assert after["MetaData"]["LastUpdatedTime"] == "2026-06-01T09:00:10-07:00"
    assert {"TxnId": pay["Id"], "TxnType": "Payment"} in after["LinkedTxn"]
    assert co.read("Customer", customer)["Balance"] == 60.0
    err = rejects(
        co.create,
        "Payment",
        {"CustomerRef": {"value": customer}, "TotalAmt": 70, "Line": [{"Amount": 60.01, "LinkedTxn": link}]},
    )
    assert err.code == "6000" and "open balance" in err.detail
    updated = co.update("Payment", {**pay, "TotalAmt": 100, "Line": [{"Amount": 100, "LinkedTxn": link}]})
    assert updated["UnappliedAmt"] == 0 and co.read("Invoice", inv["Id"])["Balance"] == 0
    co.delete("Payment", {"Id": pay["Id"], "SyncToken": updated["SyncToken"]})
    assert co.read("Invoice", inv["Id"])["Balance"] == 100.0
    assert co.read("Customer", customer)["Balance"] == 100.0


def test_payment_rejections(co: Company) -> None:
    customers = co.query("select * from Customer")["Customer"]
    inv = new_invoice(co, customers[0]["Id"])
    link = [{"TxnId": inv["Id"], "TxnType": "Invoice"}]
    assert rejects(co.create, "Payment", {"CustomerRef": {"value": customers[0]["Id"]}}).element == "TotalAmt"
    assert rejects(co.create, "Payment", {"TotalAmt": 5}).element == "CustomerRef"
    err = rejects(
        co.create,
        "Payment",
        {
            "CustomerRef": {"value": customers[1]["Id"]},
            "TotalAmt": 5,
            "Line": [{"Amount": 5, "LinkedTxn": link}],
        },
    )
    assert err.code == "6000" and "belongs to customer" in err.detail
    err = rejects(
        co.create,
        "Payment",
        {
            "CustomerRef": {"value": customers[0]["Id"]},
            "TotalAmt": 5,
            "Line": [{"Amount": 6, "LinkedTxn": link}],
        },
    )
    assert err.code == "6000"
    missing = [{"TxnId": "987654", "TxnType": "Invoice"}]
    assert (
        rejects(
            co.create,
            "Payment",
            {
                "CustomerRef": {"value": customers[0]["Id"]},
                "TotalAmt": 5,
                "Line": [{"Amount": 5, "LinkedTxn": missing}],
            },
        ).code
        == "610"
    )


def test_void_payment_and_invoice(co: Company) -> None:
    customer = one(co, "select * from Customer")["Id"]
    inv = new_invoice(co, customer)
    link = [{"TxnId": inv["Id"], "TxnType": "Invoice"}]
    pay = co.create(
        "Payment",
        {
            "CustomerRef": {"value": customer},
            "TotalAmt": 100,
            "PrivateNote": "check 12",
            "Line": [{"Amount": 100, "LinkedTxn": link}],
        },
    )
    assert rejects(co.void, "Invoice", {"Id": inv["Id"], "SyncToken": "1"}).code == "6000"
    voided = co.void("Payment", {"Id": pay["Id"], "SyncToken": "0", "sparse": True})
    assert (voided["TotalAmt"], voided["UnappliedAmt"], voided["Line"]) == (0, 0, [])
    assert voided["PrivateNote"] == "Voided - check 12" and voided["SyncToken"] == "1"
    inv_now = co.read("Invoice", inv["Id"])
    assert inv_now["Balance"] == 100.0
    vinv = co.void("Invoice", {"Id": inv["Id"], "SyncToken": inv_now["SyncToken"]})
    assert (vinv["TotalAmt"], vinv["Balance"], vinv["PrivateNote"]) == (0, 0, "Voided")
    assert all(ln["Amount"] == 0 for ln in vinv["Line"])
    assert co.read("Customer", customer)["Balance"] == 0
    assert rejects(co.void, "Customer", {"Id": customer, "SyncToken": "0"}).code == "500"


def test_delete_rules(co: Company) -> None:
    customer = one(co, "select * from Customer")
    err = rejects(co.delete, "Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"]})
    assert (err.code, err.message) == ("500", "Unsupported Operation")
    inv = new_invoice(co, customer["Id"])
    assert rejects(co.delete, "Invoice", {"Id": inv["Id"], "SyncToken": "7"}).code == "5010"
    assert co.delete("Invoice", {"Id": inv["Id"], "SyncToken": "0"}) == {
        "domain": "QBO",
        "status": "Deleted",
        "Id": inv["Id"],
    }
    assert rejects(co.read, "Invoice", inv["Id"]).code == "610"
    assert rejects(co.delete, "Invoice", {"Id": inv["Id"], "SyncToken": "0"}).code == "610"
    paid = new_invoice(co, customer["Id"])
    co.create(
        "Payment",
        {
            "CustomerRef": {"value": customer["Id"]},
            "TotalAmt": 1,
            "Line": [{"Amount": 1, "LinkedTxn": [{"TxnId": paid["Id"], "TxnType": "Invoice"}]}],
        },
    )
    assert rejects(co.delete, "Invoice", {"Id": paid["Id"], "SyncToken": "1"}).code == "6000"


def test_deactivation_blocked_by_open_balance(co: Company) -> None:
    a, b = co.query("select * from Customer")["Customer"][:2]
    new_invoice(co, a["Id"])
    err = rejects(
        co.update, "Customer", {"Id": a["Id"], "SyncToken": a["SyncToken"], "sparse": True, "Active": False}
    )
    assert err.code == "6000" and "open balance" in err.detail
    off = co.update("Customer", {"Id": b["Id"], "SyncToken": b["SyncToken"], "sparse": True, "Active": False})
    assert off["Active"] is False and off["DisplayName"] == b["DisplayName"]
    acct = co.read("Account", account(co, "Fuel"))
    off = co.update(
        "Account", {"Id": acct["Id"], "SyncToken": acct["SyncToken"], "sparse": True, "Active": False}
    )
    assert off["Name"] == "Fuel"  # no " (deleted)" renaming


def test_load_raw_keeps_identity_and_ids_continue(co: Company) -> None:
    raw = {
        "DisplayName": "Doe5, Jane",
        "Id": "70000",
        "SyncToken": "3",
        "MetaData": {
            "CreateTime": "2020-09-29T05:58:16-07:00",
            "LastUpdatedTime": "2020-09-29T05:58:16-07:00",
        },
    }
    co.load_raw("Customer", raw)
    got = co.read("Customer", "70000")
    assert got["SyncToken"] == "3" and got["MetaData"] == raw["MetaData"] and got["domain"] == "QBO"
    assert int(co.create("Customer", {"DisplayName": "After Raw"})["Id"]) == 70001
    assert rejects(co.create, "Vendor", {"DisplayName": "DOE5, JANE"}).code == "6240"


def test_company_info_and_unknown_entity(co: Company) -> None:
    info = co.company_info()
    assert info["Country"] == "US" and info["CompanyName"] and info["LegalName"]
    assert info["Id"] == "1" and info["domain"] == "QBO" and info["sparse"] is False
    assert co.read("CompanyInfo", "9341453050071234")["CompanyName"] == info["CompanyName"]
    assert co.query("select * from CompanyInfo")["CompanyInfo"][0]["Id"] == "1"
    err = rejects(co.query, "SELECT * FROM Custmoer")
    assert err.body() == {
        "Fault": {
            "Error": [
                {
                    "Message": "Invalid query",
                    "Detail": "QueryValidationError: invalid context declaration: Custmoer",
                    "code": "4001",
                }
            ],
            "type": "ValidationFault",
        }
    }
    assert "TaxCode" in co.entities() and "Estimate" in co.entities()
    assert rejects(co.create, "TaxCode", {"Name": "X"}).code == "500"
