"""The money half through CDC, batch and Preferences updates."""

from __future__ import annotations

from typing import Any

from tests.sandbox.conftest import Api


def _vendor_bill(client: Api) -> tuple[str, dict[str, Any]]:
    vendor = client.query("select * from Vendor maxresults 1")["Vendor"][0]["Id"]
    acct = client.query("select * from Account where Name = 'Utilities'")["Account"][0]["Id"]
    line = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": 64.0,
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": acct}},
    }
    answer = client.post("bill", {"VendorRef": {"value": vendor}, "Line": [line]})
    assert answer.status_code == 200, answer.text
    return vendor, answer.json()["Bill"]


def test_bill_payment_and_changed_bill_come_through_cdc(fresh_sandbox: Any, fresh_api: Api) -> None:
    since = fresh_sandbox.clock.now().isoformat()
    fresh_sandbox.advance_clock(5)
    vendor, bill = _vendor_bill(fresh_api)
    bank = fresh_api.query("select * from Account where Name = 'Checking'")["Account"][0]["Id"]
    body = {
        "VendorRef": {"value": vendor},
        "PayType": "Check",
        "TotalAmt": 64.0,
        "CheckPayment": {"BankAccountRef": {"value": bank}},
        "Line": [{"Amount": 64.0, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
    }
    paid = fresh_api.post("billpayment", body).json()["BillPayment"]
    answer = fresh_api.get("cdc", entities="BillPayment,Bill", changedSince=since, minorversion=75)
    groups = answer.json()["CDCResponse"][0]["QueryResponse"]
    got = {
        name: [o["Id"] for o in group[name]]
        for group in groups
        for name in group
        if name in ("Bill", "BillPayment")
    }
    assert got == {"BillPayment": [paid["Id"]], "Bill": [bill["Id"]]}
    cdc_bill = next(g["Bill"][0] for g in groups if "Bill" in g)
    assert (cdc_bill["Balance"], cdc_bill["SyncToken"]) == (0, "1")


def test_unknown_property_in_a_batch_item_is_an_item_fault(api: Api) -> None:
    customer = api.query("select * from Customer maxresults 1")["Customer"][0]["Id"]
    batch = {
        "BatchItemRequest": [
            {
                "bId": "b1",
                "operation": "create",
                "Payment": {"CustomerRef": {"value": customer}, "TotalAmt": 5, "Amount": 5},
            },
            {"bId": "b2", "Query": "select * from Invoice where PrivateNote = 'x'"},
        ]
    }
    answer = api.post("batch", batch)
    assert answer.status_code == 200
    items = {i["bId"]: i for i in answer.json()["BatchItemResponse"]}
    assert items["b1"]["Fault"]["Error"][0]["code"] == "2010"
    assert (
        '"Amount" (class com.intuit.schema.finance.v3.Payment)' in items["b1"]["Fault"]["Error"][0]["Detail"]
    )
    assert (
        items["b2"]["Fault"]["Error"][0]["Detail"]
        == "QueryValidationError: property 'PrivateNote' is not queryable"
    )


def test_preferences_update_turns_custom_numbers_on(fresh_api: Api) -> None:
    prefs = fresh_api.get("preferences").json()["Preferences"]
    body = {
        "Id": "1",
        "SyncToken": prefs["SyncToken"],
        "sparse": True,
        "SalesFormsPrefs": {**prefs["SalesFormsPrefs"], "CustomTxnNumbers": True},
    }
    updated = fresh_api.post("preferences", body)
    assert updated.status_code == 200, updated.text
    assert updated.json()["Preferences"]["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    customer = fresh_api.query("select * from Customer maxresults 1")["Customer"][0]["Id"]
    item = fresh_api.query("select * from Item where Type = 'Service' maxresults 1")["Item"][0]["Id"]
    line = {
        "DetailType": "SalesItemLineDetail",
        "Amount": 5,
        "SalesItemLineDetail": {"ItemRef": {"value": item}},
    }
    inv = fresh_api.post("invoice", {"CustomerRef": {"value": customer}, "Line": [line]}).json()["Invoice"]
    assert "DocNumber" not in inv  # custom numbers: QBO no longer numbers the form itself


def test_a_paid_bill_cannot_be_deleted(fresh_sandbox: Any, fresh_api: Api) -> None:
    bills = fresh_api.query("select * from Bill")["Bill"]
    paid = next(b for b in bills if b["Balance"] == 0)
    answer = fresh_api.post("bill", {"Id": paid["Id"], "SyncToken": paid["SyncToken"]}, operation="delete")
    assert answer.status_code == 400 and answer.json()["Fault"]["Error"][0]["code"] == "6000"


def test_transactions_in_a_closed_period_are_6210(fresh_api: Api) -> None:
    prefs = fresh_api.get("preferences").json()["Preferences"]
    closing = {**prefs["AccountingInfoPrefs"], "BookCloseDate": "2026-01-31"}
    body = {"Id": "1", "SyncToken": prefs["SyncToken"], "sparse": True, "AccountingInfoPrefs": closing}
    assert fresh_api.post("preferences", body).status_code == 200
    accounts = {
        a["Name"]: a["Id"] for a in fresh_api.query("select * from Account maxresults 100")["Account"]
    }

    def je(day: str) -> Any:
        lines = [
            {"DetailType": "JournalEntryLineDetail", "Amount": 10,
             "JournalEntryLineDetail": {"PostingType": posting, "AccountRef": {"value": accounts[name]}}}
            for posting, name in (("Debit", "Fuel"), ("Credit", "Checking"))
        ]  # fmt: skip
        return fresh_api.post("journalentry", {"TxnDate": day, "Line": lines})

    refused = je("2026-01-31")
    assert refused.status_code == 400
    assert refused.json()["Fault"]["Error"][0]["code"] == "6210"
    assert je("2026-02-01").status_code == 200
