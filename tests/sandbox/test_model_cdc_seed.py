"""CDC (changes, deletes, 30-day limit, cap, unsupported entities) and the seeded company."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from qbo_sandbox.clock import PACIFIC, Clock
from qbo_sandbox.faults import QBOFault
from qbo_sandbox.model.company import Company
from qbo_sandbox.model.seed import SeedSpec, seed_company

START = datetime(2026, 6, 1, 9, 0, tzinfo=PACIFIC)


def seeded(spec: SeedSpec | None = None) -> Company:
    company = Company("9341453050071234", Clock(START))
    seed_company(company, spec or SeedSpec.demo())
    return company


@pytest.fixture(scope="module")
def demo() -> Company:
    return seeded()


def test_cdc_returns_changes_then_deletes_in_qbo_shape() -> None:
    co = seeded()
    since = co.now()
    assert co.cdc(["Customer", "Invoice"], since) == [{"QueryResponse": [{}]}]
    co.clock.advance(5)
    new = co.create("Customer", {"DisplayName": "CDC New"})
    inv_id = co.query("select * from Invoice")["Invoice"][-1]["Id"]  # never paid
    current = co.read("Invoice", inv_id)
    co.clock.advance(5)
    co.delete("Invoice", {"Id": inv_id, "SyncToken": current["SyncToken"]})
    out = co.cdc(["customer", "Invoice", "Payment"], since)
    groups = out[0]["QueryResponse"]
    customers = groups[0]["Customer"]
    assert [c["DisplayName"] for c in customers if c["Id"] == new["Id"]] == ["CDC New"]
    assert groups[0]["startPosition"] == 1 and groups[0]["maxResults"] == len(customers)
    # the deleted invoice's customer balance changed, so that customer is in the changes too
    assert current["CustomerRef"]["value"] in {c["Id"] for c in customers}
    assert groups[1] == {
        "Invoice": [
            {
                "status": "Deleted",
                "domain": "QBO",
                "Id": inv_id,
                "MetaData": {"LastUpdatedTime": "2026-06-01T09:00:10-07:00"},
            }
        ],
        "startPosition": 1,
        "maxResults": 1,
    }
    assert len(groups) == 2  # no Payment changes -> no Payment group


def test_cdc_includes_deactivated_rows_and_live_before_deleted() -> None:
    co = seeded()
    since = co.now()
    cust = co.create("Customer", {"DisplayName": "Soon Inactive"})
    co.update("Customer", {"Id": cust["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    inv = co.query("select * from Invoice")["Invoice"][-1]
    co.delete("Invoice", {"Id": inv["Id"], "SyncToken": inv["SyncToken"]})
    co.create("Invoice", {"CustomerRef": inv["CustomerRef"], "Line": inv["Line"]})
    groups = co.cdc(["Customer", "Invoice"], since)[0]["QueryResponse"]
    assert any(c["Id"] == cust["Id"] and c["Active"] is False for c in groups[0]["Customer"])
    statuses = [i.get("status") for i in groups[1]["Invoice"]]
    assert statuses == [None, "Deleted"]


def test_cdc_30_day_limit_and_unsupported_entities(demo: Company) -> None:
    with pytest.raises(QBOFault) as info:
        demo.cdc(["Customer"], demo.now() - timedelta(days=31))
    assert info.value.status == 400 and "older than fixed days is not supported" in info.value.detail
    assert demo.cdc(["Customer"], demo.now() - timedelta(days=29)) == [{"QueryResponse": [{}]}]
    for entity in ("TaxCode", "TaxRate"):
        with pytest.raises(QBOFault) as info:
            demo.cdc([entity], demo.now())
        assert info.value.code == "4001" and entity in info.value.detail
    with pytest.raises(QBOFault) as info:
        demo.cdc(["Custmoer"], demo.now())
    assert info.value.detail == "QueryValidationError: invalid context declaration: Custmoer"


def test_cdc_caps_the_response_at_1000_objects() -> None:
    co = Company("1", Clock(START))
    since = co.now()
    for i in range(1003):
        co.create("Vendor", {"DisplayName": f"Vendor {i:04d}"})
    co.create("Employee", {"DisplayName": "Late Employee"})
    groups = co.cdc(["Vendor", "Employee"], since)[0]["QueryResponse"]
    assert len(groups) == 1
    assert groups[0]["maxResults"] == 1000 and len(groups[0]["Vendor"]) == 1000
    assert groups[0]["Vendor"][0]["DisplayName"] == "Vendor 0000"


def test_seed_is_deterministic() -> None:
    a, b = seeded(), seeded()
    for entity in ("Customer", "Vendor", "Employee", "Item", "Invoice", "Payment", "Account", "TaxCode"):
        statement = f"select * from {entity} where Active in (true, false) maxresults 1000"
        if entity in ("Invoice", "Payment"):
            statement = f"select * from {entity} maxresults 1000"
        assert a.query(statement) == b.query(statement)
    other = Company("9341453050071234", Clock(START))
    seed_company(other, SeedSpec(seed=7))
    assert other.query("select * from Customer") != a.query("select * from Customer")


def test_demo_company_contents(demo: Company) -> None:
    assert demo.query("select count(*) from Customer where Active in (true,false)") == {"totalCount": 25}
    assert demo.query("select count(*) from Customer") == {"totalCount": 24}
    assert demo.query("select count(*) from Vendor") == {"totalCount": 12}
    assert demo.query("select count(*) from Employee") == {"totalCount": 4}
    items = demo.query("select * from Item maxresults 100")["Item"]
    assert len(items) == 20 and {i["Type"] for i in items} == {"Service", "NonInventory", "Inventory"}
    for item in items:
        if item["Type"] == "Inventory":
            assert {"IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"} <= set(item)
            assert item["TrackQtyOnHand"] is True
    names = {
        a["Name"]
        for a in demo.query("select * from Account where Active in (true,false) maxresults 100")["Account"]
    }
    for required in (
        "Checking",
        "Accounts Receivable (A/R)",
        "Undeposited Funds",
        "Inventory Asset",
        "Accounts Payable (A/P)",
        "Sales of Product Income",
        "Services",
        "Cost of Goods Sold",
    ):
        assert required in names
    assert demo.query("select count(*) from Account where Active = false") == {"totalCount": 1}
    assert demo.read("TaxCode", "2")["Name"] == "California"
    assert demo.read("TaxRate", "1")["AgencyRef"] == {"value": "1"}
    assert {t["Id"] for t in demo.query("select * from TaxCode")["TaxCode"]} >= {"TAX", "NON", "2"}


def test_demo_money_half(demo: Company) -> None:
    """Terms, a tax agency, taxed and discounted invoices, split/unapplied/voided payments, bills
    (open, partly paid, paid) with check and credit-card bill payments, journal entries."""
    terms = {t["Name"] for t in demo.query("select * from Term")["Term"]}
    assert {"Due on receipt", "Net 15", "Net 30"} <= terms
    methods = demo.query("select * from PaymentMethod")["PaymentMethod"]  # QuickBooks' defaults
    assert [(m["Id"], m["Name"]) for m in methods][:2] == [("1", "Cash"), ("2", "Check")]
    assert len(methods) == 7
    assert demo.read("TaxAgency", "1")["DisplayName"] == "California Department of Tax and Fee Administration"
    invoices = demo.query("select * from Invoice")["Invoice"]
    taxed = [i for i in invoices if i["TxnTaxDetail"].get("TaxLine")]
    assert len(taxed) == 2 and all(i["TxnTaxDetail"]["TotalTax"] > 0 for i in taxed)
    assert all(any(ln["DetailType"] == "DiscountLineDetail" for ln in i["Line"]) for i in taxed)
    payments = demo.query("select * from Payment")["Payment"]
    assert any(len(p["Line"]) == 2 for p in payments)  # split over two invoices
    assert any(p["UnappliedAmt"] == 250 and not p["Line"] for p in payments)
    voided = [p for p in payments if p.get("PrivateNote", "").startswith("Voided")]
    assert len(voided) == 1 and voided[0]["TotalAmt"] == 0
    bills = demo.query("select * from Bill")["Bill"]
    states = sorted(
        "paid" if b["Balance"] == 0 else "partial" if b["Balance"] < b["TotalAmt"] else "open" for b in bills
    )
    assert states == ["open", "open", "paid", "partial"]
    pay_types = sorted(bp["PayType"] for bp in demo.query("select * from BillPayment")["BillPayment"])
    assert pay_types == ["Check", "CreditCard"]
    assert len(demo.query("select * from JournalEntry")["JournalEntry"]) == 3


def test_demo_invoices_and_payments_are_consistent(demo: Company) -> None:
    invoices = demo.query("select * from Invoice")["Invoice"]
    payments = demo.query("select * from Payment")["Payment"]
    assert len(invoices) == 15 + 5 and len(payments) == 6 + 3  # base + the money half
    applied: dict[str, float] = {}
    for pay in payments:
        for line in pay["Line"]:
            applied[line["LinkedTxn"][0]["TxnId"]] = (
                applied.get(line["LinkedTxn"][0]["TxnId"], 0) + line["Amount"]
            )
    partial = [i for i in invoices if 0 < i["Balance"] < i["TotalAmt"]]
    full = [i for i in invoices if i["Balance"] == 0]
    assert partial and full
    for inv in invoices:
        assert round(inv["TotalAmt"] - applied.get(inv["Id"], 0), 2) == inv["Balance"]
    names = [
        c["DisplayName"].casefold()
        for e in ("Customer", "Vendor", "Employee")
        for c in demo.query(f"select * from {e} where Active in (true,false) maxresults 1000")[e]
    ]
    assert len(names) == len(set(names))
    # seeded history predates the 30-day CDC window
    money = ["Bill", "BillPayment", "JournalEntry", "Vendor"]
    assert demo.cdc(["Customer", "Invoice", "Payment", *money], demo.now() - timedelta(days=30)) == [
        {"QueryResponse": [{}]}
    ]


def test_large_seed_pages_through_20000_customers() -> None:
    co = seeded(SeedSpec(customers=20000, items=5000, vendors=2000))
    assert co.query("select count(*) from Customer where Active in (true, false)") == {"totalCount": 20000}
    assert co.query("select count(*) from Item") == {"totalCount": 5000}
    seen: list[str] = []
    keys: list[tuple[str, int]] = []
    start = 1
    while True:
        page = co.query(
            f"select * from Customer where Active in (true, false) STARTPOSITION {start} MAXRESULTS 1000"
        )
        if not page:
            break
        assert page["startPosition"] == start
        seen.extend(c["Id"] for c in page["Customer"])
        keys.extend((c["FullyQualifiedName"], int(c["Id"])) for c in page["Customer"])
        start += 1000
    assert len(seen) == 20000 and len(set(seen)) == 20000
    # QBO's default order for a name list: by name (case-sensitive), then Id
    assert keys == sorted(keys)
