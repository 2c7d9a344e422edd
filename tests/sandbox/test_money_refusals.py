"""What QBO refuses on the money half, over real HTTP: exact status, code, message and detail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.conftest import Api

INVALID_PROPERTY = "Request has invalid or unsupported property"
BUSINESS = "A business validation error has occurred while processing your request"


def first_id(api: Api, statement: str) -> str:
    return api.query(statement)[statement.split()[3]][0]["Id"]


def account_id(api: Api, name: str) -> str:
    return api.query(f"select * from Account where Name = '{name}'")["Account"][0]["Id"]


def invoice_body(api: Api, **extra: Any) -> dict[str, Any]:
    item = api.query("select * from Item where Type = 'Service' maxresults 1")["Item"][0]
    body: dict[str, Any] = {
        "CustomerRef": {"value": first_id(api, "select * from Customer maxresults 1")},
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": 200.0,
                "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 2, "UnitPrice": 100},
            }
        ],
    }
    body.update(extra)
    return body


def errors(answer: Any) -> list[dict[str, Any]]:
    assert answer.status_code == 400, answer.text
    fault = answer.json()["Fault"]
    assert fault["type"] == "ValidationFault"
    return fault["Error"]


def unrecognized(name: str, cls: str) -> str:
    return (
        f'Property Name:Unrecognized field "{name}" (class com.intuit.schema.finance.v3.{cls}), '
        "not marked as ignorable specified is unsupported or invalid"
    )


@pytest.mark.parametrize(
    ("where", "name", "cls"),
    [
        ("top", "Memo", "Invoice"),
        ("line", "Quantity", "Line"),
        ("detail", "UnitCost", "SalesItemLineDetail"),
        ("ref", "id", "ReferenceType"),
    ],
)
def test_unknown_property_at_any_depth_is_2010(api: Api, where: str, name: str, cls: str) -> None:
    body = invoice_body(api)
    holder = {
        "top": body,
        "line": body["Line"][0],
        "detail": body["Line"][0]["SalesItemLineDetail"],
        "ref": body["CustomerRef"],
    }[where]
    holder[name] = "x"
    before = api.query("select count(*) from Invoice")["totalCount"]
    found = errors(api.post("invoice", body, minorversion=75))
    assert found == [{"Message": INVALID_PROPERTY, "Detail": unrecognized(name, cls), "code": "2010"}]
    assert api.query("select count(*) from Invoice")["totalCount"] == before  # nothing stored


def test_unknown_properties_come_before_required_fields_and_each_is_an_error(api: Api) -> None:
    body = {"Line": [{"DetailType": "SalesItemLineDetail", "Amout": 5}], "Custmer": {"value": "1"}}
    before = api.server.counters().get("fault:2010", 0)
    found = errors(api.post("invoice", body))
    assert api.server.counters()["fault:2010"] == before + 2
    assert [(e["code"], e["Detail"]) for e in found] == [
        ("2010", unrecognized("Amout", "Line")),
        ("2010", unrecognized("Custmer", "Invoice")),
    ]


def test_bill_and_journal_entry_unknown_properties(api: Api) -> None:
    vendor = first_id(api, "select * from Vendor maxresults 1")
    bill = {
        "VendorRef": {"value": vendor},
        "Line": [
            {
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": 10,
                "AccountBasedExpenseLineDetail": {
                    "AccountRef": {"value": account_id(api, "Utilities")},
                    "Memo": 1,
                },
            }
        ],
    }
    assert errors(api.post("bill", bill))[0]["Detail"] == unrecognized(
        "Memo", "AccountBasedExpenseLineDetail"
    )
    je_line = {"PostingType": "Debit", "AccountRef": {"value": "1"}, "Entity": {"Type": "Vendor", "Ref": {}}}
    je = {"Line": [{"DetailType": "JournalEntryLineDetail", "Amount": 1, "JournalEntryLineDetail": je_line}]}
    assert errors(api.post("journalentry", je))[0]["Detail"] == unrecognized("Ref", "EntityTypeRef")


def test_a_read_object_echoed_back_is_accepted(api: Api) -> None:
    created = api.post("invoice", invoice_body(api, DocNumber="ECHO-1"))
    assert created.status_code == 200, created.text
    echoed = created.json()["Invoice"]
    updated = api.post("invoice", echoed)
    assert updated.status_code == 200, updated.text
    assert updated.json()["Invoice"]["SyncToken"] == "1"


@pytest.mark.parametrize("path", ["customer/1.5", "invoice/abc", "bill/-3"])
def test_malformed_id_in_path_is_2030(api: Api, path: str) -> None:
    found = errors(api.get(path, minorversion=75))
    supplied = path.split("/")[1]
    assert found == [
        {
            "Message": "Invalid ID",
            "Detail": f"Id should be a valid number. Supplied value:{supplied}",
            "code": "2030",
            "element": "Id",
        }
    ]


def test_taxcode_pseudo_ids_are_not_malformed(api: Api) -> None:
    answer = api.get("taxcode/TAX")
    assert answer.status_code == 200 and answer.json()["TaxCode"]["Id"] == "TAX"


@pytest.mark.parametrize(
    ("statement", "prop"),
    [
        ("select * from Invoice where PrivateNote = 'cmms:7'", "PrivateNote"),
        ("select * from Bill where PrivateNote like '%x%'", "PrivateNote"),
        ("select * from Customer where Notes = 'a'", "Notes"),
        ("select * from Payment where PrivateNote = 'a'", "PrivateNote"),
        ("select * from JournalEntry where PrivateNote = 'a'", "PrivateNote"),
        ("select * from Account where AcctNum = '1000'", "AcctNum"),
        ("select * from Invoice orderby PrivateNote", "PrivateNote"),
    ],
)
def test_filtering_on_a_non_filterable_property_is_4001(api: Api, statement: str, prop: str) -> None:
    found = errors(api.get("query", query=statement))
    assert found == [
        {
            "Message": "Invalid query",
            "Detail": f"QueryValidationError: property '{prop}' is not queryable",
            "code": "4001",
        }
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "select * from Invoice where DocNumber in ('1001', '1002')",
        "select * from Invoice where CustomerRef = '1' and TxnDate >= '2020-01-01'",
        "select * from Invoice where Metadata.LastUpdatedTime >= '2020-01-01T00:00:00-08:00'",
        "select * from Bill where VendorRef = '1' and DueDate < '2030-01-01'",
        "select * from Payment where CustomerRef = '1' orderby TxnDate",
        "select * from JournalEntry where DocNumber = 'EXP-1'",
        "select * from Customer where DisplayName = 'x' and Active in (true, false)",
        "select * from Item where Name in ('a', 'b')",
        "select * from Term where Name = 'Net 30'",
    ],
)
def test_natural_keys_are_filterable(api: Api, statement: str) -> None:
    assert api.get("query", query=statement).status_code == 200


def test_duplicate_invoice_doc_number_is_6140_unless_allowed(api: Api) -> None:
    first = api.post("invoice", invoice_body(api, DocNumber="DUP-100"))
    assert first.status_code == 200, first.text
    txn_id = first.json()["Invoice"]["Id"]
    found = errors(api.post("invoice", invoice_body(api, DocNumber="DUP-100")))
    assert found == [
        {
            "Message": "Duplicate Document Number Error",
            "Detail": (
                "Duplicate Document Number Error : You must specify a different number. This number has "
                f"already been used. DocNumber=DUP-100 is assigned to TxnType=Invoice with TxnId={txn_id}"
            ),
            "code": "6140",
        }
    ]
    again = api.post("invoice", invoice_body(api, DocNumber="DUP-100"), include="allowduplicatedocnum")
    assert again.status_code == 200 and again.json()["Invoice"]["DocNumber"] == "DUP-100"
    rows = api.query("select * from Invoice where DocNumber = 'DUP-100'")["Invoice"]
    assert len(rows) == 2


def test_duplicate_journal_entry_doc_number_is_6140(api: Api) -> None:
    lines = je_lines(api, 40.0, 40.0)
    assert api.post("journalentry", {"DocNumber": "EXP-9", "Line": lines}).status_code == 200
    found = errors(api.post("journalentry", {"DocNumber": "EXP-9", "Line": je_lines(api, 1.0, 1.0)}))
    assert found[0]["code"] == "6140" and "TxnType=JournalEntry" in found[0]["Detail"]


def test_duplicate_doc_numbers_accepted_when_the_preference_is_off(fresh_sandbox: Any) -> None:
    fresh_sandbox.company.options = type(fresh_sandbox.company.options)(warn_duplicate_doc_num=False)
    prefs = fresh_sandbox.company.read("Preferences", "1")
    prefs["OtherPrefs"]["NameValue"][1]["Value"] = "false"
    fresh_sandbox.company.update("Preferences", {**prefs, "sparse": True})
    client = Api(fresh_sandbox, fresh_sandbox.issue_tokens()["access_token"])
    try:
        for _ in range(2):
            assert client.post("invoice", invoice_body(client, DocNumber="SAME")).status_code == 200
    finally:
        client.close()


def je_lines(api: Api, debit: float, credit: float, *, ar: bool = False, ap: bool = False) -> list[dict]:
    fuel = account_id(api, "Fuel")
    other = account_id(
        api, "Accounts Receivable (A/R)" if ar else "Accounts Payable (A/P)" if ap else "Checking"
    )
    return [
        {"DetailType": "JournalEntryLineDetail", "Amount": debit,
         "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": fuel}}},
        {"DetailType": "JournalEntryLineDetail", "Amount": credit,
         "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": other}}},
    ]  # fmt: skip


def business(detail: str) -> dict[str, str]:
    return {
        "Message": BUSINESS,
        "Detail": f"Business Validation Error: {detail}",
        "code": "6000",
        "element": "",
    }


def test_journal_entry_ar_line_needs_a_customer(api: Api) -> None:
    found = errors(api.post("journalentry", {"Line": je_lines(api, 5, 5, ar=True)}))
    assert found == [
        business("When you use Accounts Receivable, you must choose a customer in the Name field.")
    ]


def test_journal_entry_ap_line_needs_a_vendor(api: Api) -> None:
    found = errors(api.post("journalentry", {"Line": je_lines(api, 5, 5, ap=True)}))
    assert found == [business("When you use Accounts Payable, you must choose a vendor in the Name field.")]


def test_journal_entry_needs_two_lines(api: Api) -> None:
    found = errors(api.post("journalentry", {"Line": je_lines(api, 5, 5)[:1]}))
    assert found == [business("Fill out at least two detail lines to continue.")]


def test_unbalanced_journal_entry_is_6000(api: Api) -> None:
    found = errors(api.post("journalentry", {"Line": je_lines(api, 25.54, 25.5)}))
    assert found == [
        business("Transaction is not balanced. Total debits (25.54) must equal total credits (25.50).")
    ]


def test_several_problems_are_several_errors(api: Api) -> None:
    found = errors(api.post("journalentry", {"Line": je_lines(api, 7, 6, ap=True)}))
    assert found == [
        business("When you use Accounts Payable, you must choose a vendor in the Name field."),
        business("Transaction is not balanced. Total debits (7.00) must equal total credits (6.00)."),
    ]


def test_duplicate_name_fault_has_no_element(api: Api) -> None:
    name = api.query("select * from Customer maxresults 1")["Customer"][0]["DisplayName"]
    found = errors(api.post("customer", {"DisplayName": name}))
    assert found[0]["code"] == "6240" and "element" not in found[0]
