"""What QBO computes on the money half, over real HTTP: tax, discounts, lines, terms, balances."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.sandbox.conftest import Api


def item(api: Api, item_type: str) -> dict[str, Any]:
    return api.query(f"select * from Item where Type = '{item_type}' maxresults 1")["Item"][0]


def customer_id(api: Api) -> str:
    return api.query("select * from Customer maxresults 1")["Customer"][0]["Id"]


def sales_line(it: dict[str, Any], qty: int, price: float, tax: str | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"value": it["Id"]}, "Qty": qty, "UnitPrice": price}
    if tax:
        detail["TaxCodeRef"] = {"value": tax}
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": round(qty * price, 2),
        "SalesItemLineDetail": detail,
    }


def create(api: Api, entity: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    answer = api.post(entity.lower(), body, minorversion=75, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()[entity]


def tax_code(api: Api, name: str) -> str:
    return api.query(f"select * from TaxCode where Name = '{name}'")["TaxCode"][0]["Id"]


def test_sales_tax_from_the_transaction_code_and_taxable_lines(api: Api) -> None:
    goods, service = item(api, "NonInventory"), item(api, "Service")
    body = {
        "CustomerRef": {"value": customer_id(api)},
        "Line": [sales_line(goods, 3, 108.58, "TAX"), sales_line(service, 1, 100.0, "NON")],
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": tax_code(api, "Alameda County")}},
    }
    inv = create(api, "Invoice", body)
    tax = inv["TxnTaxDetail"]
    # taxable 325.74: California 7.25% -> 23.62 (23.616), Alameda County 3% -> 9.77 (9.7722)
    assert [(t["TaxLineDetail"]["TaxRateRef"]["value"], t["Amount"]) for t in tax["TaxLine"]] == [
        ("1", 23.62),
        ("2", 9.77),
    ]
    assert tax["TaxLine"][0] == {
        "Amount": 23.62,
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": {
            "TaxRateRef": {"value": "1"},
            "PercentBased": True,
            "TaxPercent": 7.25,
            "NetAmountTaxable": 325.74,
        },
    }
    assert tax["TotalTax"] == 33.39
    assert (inv["TotalAmt"], inv["Balance"]) == (459.13, 459.13)  # 425.74 + 33.39


def test_line_tax_code_defaults_to_the_items_taxability(api: Api) -> None:
    goods, service = item(api, "NonInventory"), item(api, "Service")
    body = {
        "CustomerRef": {"value": customer_id(api)},
        "Line": [sales_line(goods, 1, 100.0), sales_line(service, 1, 50.0)],
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": tax_code(api, "California")}},
    }
    inv = create(api, "Invoice", body)
    codes = [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in inv["Line"][:2]]
    assert codes == ["TAX", "NON"]
    assert (inv["TxnTaxDetail"]["TotalTax"], inv["TotalAmt"]) == (7.25, 157.25)


def test_percent_discount_with_tax_before_and_after_discount(api: Api) -> None:
    goods = item(api, "NonInventory")
    discount = {"DetailType": "DiscountLineDetail", "Amount": 0,
                "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10}}  # fmt: skip
    base = {
        "CustomerRef": {"value": customer_id(api)},
        "Line": [sales_line(goods, 2, 100.0, "TAX"), discount],
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": tax_code(api, "California")}},
    }
    before = create(api, "Invoice", base)
    kinds = [(ln["DetailType"], ln["Amount"]) for ln in before["Line"]]
    assert kinds == [
        ("SalesItemLineDetail", 200.0),
        ("SubTotalLineDetail", 200.0),
        ("DiscountLineDetail", 20.0),
    ]
    assert before["Line"][2]["DiscountLineDetail"]["DiscountAccountRef"]["name"] == "Discounts given"
    assert (before["TxnTaxDetail"]["TotalTax"], before["TotalAmt"]) == (14.5, 194.5)  # tax on 200
    after = create(api, "Invoice", {**base, "ApplyTaxAfterDiscount": True})
    assert after["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == 180.0
    assert (after["TxnTaxDetail"]["TotalTax"], after["TotalAmt"]) == (13.05, 193.05)  # tax on 180


def test_fixed_discount_group_and_description_lines(api: Api) -> None:
    goods, service = item(api, "NonInventory"), item(api, "Service")
    group = {
        "DetailType": "GroupLineDetail",
        "Amount": 0,
        "GroupLineDetail": {
            "GroupItemRef": {"value": service["Id"]},
            "Quantity": 1,
            "Line": [sales_line(goods, 2, 25.0), sales_line(service, 1, 40.0)],
        },
    }
    text = {"DetailType": "DescriptionOnly", "Description": "Work done on site", "DescriptionOnly": {}}
    discount = {
        "DetailType": "DiscountLineDetail",
        "Amount": 15.5,
        "DiscountLineDetail": {"PercentBased": False},
    }
    inv = create(
        api,
        "Invoice",
        {
            "CustomerRef": {"value": customer_id(api)},
            "Line": [group, text, sales_line(goods, 1, 10.0), discount],
        },
    )
    assert [(ln["DetailType"], ln["Amount"]) for ln in inv["Line"]] == [
        ("GroupLineDetail", 90.0),
        ("DescriptionOnly", 0),
        ("SalesItemLineDetail", 10.0),
        ("SubTotalLineDetail", 100.0),
        ("DiscountLineDetail", 15.5),
    ]
    assert inv["Line"][1]["DescriptionLineDetail"] == {}
    assert (inv["TotalAmt"], inv["Balance"]) == (84.5, 84.5)


def test_due_date_from_the_sent_term(api: Api) -> None:
    net15 = api.query("select * from Term where Name = 'Net 15'")["Term"][0]
    body = {
        "CustomerRef": {"value": customer_id(api)},
        "Line": [sales_line(item(api, "Service"), 1, 10.0)],
        "TxnDate": "2026-03-20",
        "SalesTermRef": {"value": net15["Id"]},
    }
    inv = create(api, "Invoice", body)
    assert inv["DueDate"] == "2026-04-04"
    assert inv["SalesTermRef"] == {"value": net15["Id"], "name": "Net 15"}


def test_due_date_from_customer_term_else_company_default(api: Api) -> None:
    receipt = api.query("select * from Term where Name = 'Due on receipt'")["Term"][0]["Id"]
    cust = create(api, "Customer", {"DisplayName": "Term Test Co", "SalesTermRef": {"value": receipt}})
    line = [sales_line(item(api, "Service"), 1, 10.0)]
    with_customer_term = create(
        api, "Invoice", {"CustomerRef": {"value": cust["Id"]}, "Line": line, "TxnDate": "2026-03-20"}
    )
    assert with_customer_term["DueDate"] == "2026-03-20"
    assert "SalesTermRef" not in with_customer_term  # a defaulted term is not echoed (create__invoice.json)
    company_default = create(
        api, "Invoice", {"CustomerRef": {"value": customer_id(api)}, "Line": line, "TxnDate": "2026-03-20"}
    )
    assert company_default["DueDate"] == "2026-04-19"  # Net 30, the demo company's default


def test_date_driven_term(api: Api) -> None:
    term = create(
        api,
        "Term",
        {"Name": "15th next month", "Type": "DATE_DRIVEN", "DayOfMonthDue": 15, "DueNextMonthDays": 5},
    )
    line = [sales_line(item(api, "Service"), 1, 10.0)]
    early = create(
        api,
        "Invoice",
        {
            "CustomerRef": {"value": customer_id(api)},
            "Line": line,
            "TxnDate": "2026-03-02",
            "SalesTermRef": {"value": term["Id"]},
        },
    )
    late = create(
        api,
        "Invoice",
        {
            "CustomerRef": {"value": customer_id(api)},
            "Line": line,
            "TxnDate": "2026-03-12",
            "SalesTermRef": {"value": term["Id"]},
        },
    )
    assert (early["DueDate"], late["DueDate"]) == ("2026-03-15", "2026-04-15")


def test_unknown_sales_term_is_2500(api: Api) -> None:
    body = {"CustomerRef": {"value": customer_id(api)}, "Line": [sales_line(item(api, "Service"), 1, 10.0)],
            "SalesTermRef": {"value": "999"}}  # fmt: skip
    answer = api.post("invoice", body)
    assert answer.status_code == 400
    error = answer.json()["Fault"]["Error"][0]
    assert (error["code"], error["Detail"]) == (
        "2500",
        "Invalid Reference Id : Term element id 999 not found",
    )


def test_terms_are_seeded_and_read(api: Api) -> None:
    names = [t["Name"] for t in api.query("select * from Term")["Term"]]
    assert {"Due on receipt", "Net 15", "Net 30"} <= set(names)
    net30 = api.query("select * from Term where Name = 'Net 30'")["Term"][0]
    assert api.get(f"term/{net30['Id']}").json()["Term"]["DueDays"] == 30


def test_preferences(api: Api) -> None:
    answer = api.get("preferences", minorversion=75)
    assert answer.status_code == 200
    prefs = answer.json()["Preferences"]
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is False
    assert prefs["TaxPrefs"]["PartnerTaxEnabled"] is False
    assert "BookCloseDate" not in prefs["AccountingInfoPrefs"]
    assert {"Name": "SalesFormsPrefs.WarnDuplicateDocNum", "Value": "true"} in prefs["OtherPrefs"][
        "NameValue"
    ]
    assert api.query("select * from Preferences")["Preferences"][0]["Id"] == "1"


def bill(api: Api, vendor: str, amount: float, doc: str) -> dict[str, Any]:
    acct = api.query("select * from Account where Name = 'Utilities'")["Account"][0]["Id"]
    line = {"DetailType": "AccountBasedExpenseLineDetail", "Amount": amount,
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": acct}}}  # fmt: skip
    return create(api, "Bill", {"VendorRef": {"value": vendor}, "DocNumber": doc, "Line": [line]})


def bill_payment(
    api: Api, vendor: str, links: list[tuple[str, float]], total: float, pay: str = "Check"
) -> dict:
    bank = api.query("select * from Account where Name = 'Checking'")["Account"][0]["Id"]
    card = api.query("select * from Account where Name = 'Visa Business Card'")["Account"][0]["Id"]
    body: dict[str, Any] = {
        "VendorRef": {"value": vendor},
        "PayType": pay,
        "TotalAmt": total,
        "Line": [{"Amount": amt, "LinkedTxn": [{"TxnId": bid, "TxnType": "Bill"}]} for bid, amt in links],
    }
    if pay == "Check":
        body["CheckPayment"] = {"BankAccountRef": {"value": bank}}
    else:
        body["CreditCardPayment"] = {"CCAccountRef": {"value": card}}
    return create(api, "BillPayment", body)


def test_bill_payment_reduces_bill_balance_and_links_both_ways(api: Api) -> None:
    vendor = api.query("select * from Vendor maxresults 1")["Vendor"][0]["Id"]
    first, second = bill(api, vendor, 300.0, "BP-1"), bill(api, vendor, 120.0, "BP-2")
    paid = bill_payment(api, vendor, [(first["Id"], 100.0), (second["Id"], 120.0)], 220.0)
    assert paid["CheckPayment"]["BankAccountRef"]["name"] == "Checking"
    assert paid["APAccountRef"]["name"] == "Accounts Payable (A/P)"
    now_first = api.get(f"bill/{first['Id']}").json()["Bill"]
    now_second = api.get(f"bill/{second['Id']}").json()["Bill"]
    assert (now_first["Balance"], now_second["Balance"]) == (200.0, 0)
    assert now_first["LinkedTxn"] == [{"TxnId": paid["Id"], "TxnType": "BillPaymentCheck"}]
    assert paid["Line"][0]["LinkedTxn"] == [{"TxnId": first["Id"], "TxnType": "Bill"}]
    by_card = bill_payment(api, vendor, [(first["Id"], 50.0)], 50.0, pay="CreditCard")
    assert api.get(f"bill/{first['Id']}").json()["Bill"]["LinkedTxn"][-1] == {
        "TxnId": by_card["Id"],
        "TxnType": "BillPaymentCreditCard",
    }
    rows = api.query(f"select * from BillPayment where VendorRef = '{vendor}'")["BillPayment"]
    assert {paid["Id"], by_card["Id"]} <= {r["Id"] for r in rows}


def test_voiding_and_deleting_a_bill_payment_restore_the_bill(api: Api) -> None:
    vendor = api.query("select * from Vendor maxresults 1")["Vendor"][0]["Id"]
    the_bill = bill(api, vendor, 80.0, "BP-3")
    paid = bill_payment(api, vendor, [(the_bill["Id"], 80.0)], 80.0)
    assert api.get(f"bill/{the_bill['Id']}").json()["Bill"]["Balance"] == 0
    voided = api.post("billpayment", {"Id": paid["Id"], "SyncToken": paid["SyncToken"], "sparse": True},
                      operation="update", include="void")  # fmt: skip
    assert voided.status_code == 200, voided.text
    assert (voided.json()["BillPayment"]["TotalAmt"], voided.json()["BillPayment"]["Line"]) == (0, [])
    restored = api.get(f"bill/{the_bill['Id']}").json()["Bill"]
    assert (restored["Balance"], restored["LinkedTxn"]) == (80.0, [])
    again = bill_payment(api, vendor, [(the_bill["Id"], 30.0)], 30.0)
    gone = api.post("billpayment", {"Id": again["Id"], "SyncToken": again["SyncToken"]}, operation="delete")
    assert gone.json()["BillPayment"] == {"domain": "QBO", "status": "Deleted", "Id": again["Id"]}
    assert api.get(f"bill/{the_bill['Id']}").json()["Bill"]["Balance"] == 80.0


def test_bill_payment_refusals(api: Api) -> None:
    vendors = api.query("select * from Vendor maxresults 2")["Vendor"]
    the_bill = bill(api, vendors[0]["Id"], 10.0, "BP-4")
    wrong_vendor = api.post("billpayment", {
        "VendorRef": {"value": vendors[1]["Id"]}, "PayType": "Check", "TotalAmt": 10,
        "CheckPayment": {"BankAccountRef": {"value": "1"}},
        "Line": [{"Amount": 10, "LinkedTxn": [{"TxnId": the_bill["Id"], "TxnType": "Bill"}]}],
    })  # fmt: skip
    assert wrong_vendor.status_code == 400 and wrong_vendor.json()["Fault"]["Error"][0]["code"] == "6000"
    no_account = api.post(
        "billpayment", {"VendorRef": {"value": vendors[0]["Id"]}, "PayType": "Check", "TotalAmt": 1}
    )
    assert no_account.json()["Fault"]["Error"][0]["code"] == "2020"


def invoice(api: Api, cust: str, amount: float) -> dict[str, Any]:
    return create(
        api,
        "Invoice",
        {"CustomerRef": {"value": cust}, "Line": [sales_line(item(api, "Service"), 1, amount)]},
    )


def test_payment_over_several_invoices_with_line_ex_and_unapplied_amount(api: Api) -> None:
    cust = customer_id(api)
    first, second = invoice(api, cust, 100.0), invoice(api, cust, 50.0)
    body = {
        "CustomerRef": {"value": cust},
        "TotalAmt": 200.0,
        "Line": [
            {"Amount": 60.0, "LinkedTxn": [{"TxnId": first["Id"], "TxnType": "Invoice"}]},
            {"Amount": 50.0, "LinkedTxn": [{"TxnId": second["Id"], "TxnType": "Invoice"}]},
        ],
    }
    pay = create(api, "Payment", body)
    assert pay["UnappliedAmt"] == 90.0
    line_ex = [
        {nv["value"]["Name"]: nv["value"]["Value"] for nv in ln["LineEx"]["any"]} for ln in pay["Line"]
    ]
    assert line_ex == [
        {"txnId": first["Id"], "txnOpenBalance": "100.00", "txnReferenceNumber": first["DocNumber"]},
        {"txnId": second["Id"], "txnOpenBalance": "50.00", "txnReferenceNumber": second["DocNumber"]},
    ]
    assert pay["Line"][0]["LineEx"]["any"][0]["name"] == "{http://schema.intuit.com/finance/v3}NameValue"
    balances = [api.get(f"invoice/{i['Id']}").json()["Invoice"]["Balance"] for i in (first, second)]
    assert balances == [40.0, 0]
    echoed = api.post("payment", pay)  # a read payment sent back (LineEx included) is accepted
    assert echoed.status_code == 200, echoed.text


def payment_body(cust: str, total: float, invoice_id: str, applied: float) -> dict[str, Any]:
    link = [{"TxnId": invoice_id, "TxnType": "Invoice"}]
    return {
        "CustomerRef": {"value": cust},
        "TotalAmt": total,
        "Line": [{"Amount": applied, "LinkedTxn": link}],
    }


def test_voiding_a_payment_restores_invoice_balance(api: Api) -> None:
    cust = customer_id(api)
    inv = invoice(api, cust, 75.0)
    pay = create(api, "Payment", {**payment_body(cust, 75.0, inv["Id"], 75.0), "PrivateNote": "chk 88"})
    assert api.get(f"invoice/{inv['Id']}").json()["Invoice"]["Balance"] == 0
    answer = api.post("payment", {"Id": pay["Id"], "SyncToken": pay["SyncToken"], "sparse": True},
                      operation="update", include="void")  # fmt: skip
    voided = answer.json()["Payment"]
    assert (voided["TotalAmt"], voided["UnappliedAmt"], voided["Line"], voided["PrivateNote"]) == (
        0,
        0,
        [],
        "Voided - chk 88",
    )
    restored = api.get(f"invoice/{inv['Id']}").json()["Invoice"]
    assert (restored["Balance"], restored["LinkedTxn"]) == (75.0, [])


def test_deleting_a_payment_restores_invoice_balance(api: Api) -> None:
    cust = customer_id(api)
    inv = invoice(api, cust, 40.0)
    pay = create(api, "Payment", payment_body(cust, 25.0, inv["Id"], 25.0))
    assert api.get(f"invoice/{inv['Id']}").json()["Invoice"]["Balance"] == 15.0
    gone = api.post("payment", {"Id": pay["Id"], "SyncToken": pay["SyncToken"]}, operation="delete")
    assert gone.json()["Payment"]["status"] == "Deleted"
    assert api.get(f"invoice/{inv['Id']}").json()["Invoice"]["Balance"] == 40.0


def test_voided_payment_keeps_zeroed_lines_when_switched(fresh_sandbox: Any) -> None:
    from qbo_sandbox import Company

    co: Company = fresh_sandbox.company
    co.options = type(co.options)(voided_payment_lines="zeroed")
    cust = co.query("select * from Customer maxresults 1")["Customer"][0]["Id"]
    service = co.query("select * from Item where Type = 'Service' maxresults 1")["Item"][0]
    inv = co.create("Invoice", {"CustomerRef": {"value": cust}, "Line": [sales_line(service, 1, 30.0)]})
    pay = co.create("Payment", payment_body(cust, 30.0, inv["Id"], 30.0))
    voided = co.void("Payment", {"Id": pay["Id"], "SyncToken": "0"})
    assert [(ln["Amount"], ln["LinkedTxn"]) for ln in voided["Line"]] == [
        (0, [{"TxnId": inv["Id"], "TxnType": "Invoice"}])
    ]
    assert co.read("Invoice", inv["Id"])["Balance"] == 30.0


def test_automated_sales_tax_overrides_the_requested_code(fresh_sandbox: Any) -> None:
    from qbo_sandbox import Company

    co: Company = fresh_sandbox.company
    prefs = co.read("Preferences", "1")
    co.update("Preferences", {"Id": "1", "SyncToken": prefs["SyncToken"], "sparse": True,
                              "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True}})  # fmt: skip
    oakland = co.create(
        "Customer",
        {"DisplayName": "AST Oakland", "ShipAddr": {"City": "Oakland", "CountrySubDivisionCode": "CA"}},
    )
    goods = co.query("select * from Item where Type = 'NonInventory' maxresults 1")["Item"][0]
    inv = co.create("Invoice", {
        "CustomerRef": {"value": oakland["Id"]}, "Line": [sales_line(goods, 1, 100.0)],
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}, "TotalTax": 1},
    })  # fmt: skip
    alameda = co.query("select * from TaxCode where Name = 'Alameda County'")["TaxCode"][0]["Id"]
    assert inv["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": alameda}
    assert (inv["TxnTaxDetail"]["TotalTax"], inv["TotalAmt"]) == (10.25, 110.25)
    assert fresh_sandbox.company.read("Preferences", "1")["TaxPrefs"]["PartnerTaxEnabled"] is True


@pytest.mark.parametrize("days", [0, 10])
def test_txn_date_defaults_to_today_and_due_date_follows(api: Api, days: int) -> None:
    today = api.server.clock.now().date()
    txn = (today - timedelta(days=days)).isoformat()
    inv = create(api, "Invoice", {"CustomerRef": {"value": customer_id(api)}, "TxnDate": txn,
                                  "Line": [sales_line(item(api, "Service"), 1, 5.0)]})  # fmt: skip
    assert date.fromisoformat(inv["DueDate"]) == today - timedelta(days=days) + timedelta(days=30)


def test_a_discount_sent_before_the_items_applies_to_the_whole_subtotal(api: Api) -> None:
    goods = item(api, "NonInventory")
    discount = {"DetailType": "DiscountLineDetail", "Amount": 0,
                "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 20}}  # fmt: skip
    lines = [discount, sales_line(goods, 1, 50.0), sales_line(goods, 1, 30.0)]
    inv = create(api, "Invoice", {"CustomerRef": {"value": customer_id(api)}, "Line": lines})
    assert [(ln["DetailType"], ln["Amount"]) for ln in inv["Line"]] == [
        ("SalesItemLineDetail", 50.0),
        ("SalesItemLineDetail", 30.0),
        ("SubTotalLineDetail", 80.0),
        ("DiscountLineDetail", 16.0),
    ]
    assert inv["TotalAmt"] == 64.0
