"""Waiting for references, edits after creation, voids, bills, expenses, settings and dry runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.sync import EntitySync
from qbo_sync.sync.push.txn import SettingsMissing
from tests.transactions.txn_helpers import (
    add_bill,
    add_invoice,
    cmms_id,
    execute,
    invoice_objects,
    qbo,
    rows,
    scalar,
)


def test_waiting_for_a_customer_then_sent_once_it_is_linked(
    sb: Any, masters: sa.Engine, push, client, mappings
) -> None:
    new_customer = execute(
        masters, "INSERT INTO customers (display_name) VALUES ('Harbor Point Marina') RETURNING id"
    ).scalar_one()
    item = cmms_id(masters, "items", "1")
    inv = add_invoice(masters, "INV-7001", new_customer, [(item, 1, "80.00", None)])

    counts = push("invoices")

    assert (counts.created, counts.waiting, counts.failed) == (0, 1, 0)
    row = rows(masters, "SELECT qb_id, qb_status, qb_error FROM invoices WHERE id = :i", i=inv)[0]
    assert row["qb_id"] is None and row["qb_status"] == "not_synced"
    assert row["qb_error"] == (
        f"Invoice 'INV-7001': waiting for a reference: customer 'Harbor Point Marina' (CMMS #{new_customer}) "
        "is not in QuickBooks yet. It is sent automatically once that record is synced to QuickBooks."
    )
    assert sb.counters()["batch"] == 0
    run = rows(masters, "SELECT status, waiting, message FROM sync_runs WHERE entity = 'invoices'")[0]
    assert run == {"status": "partial", "waiting": 1, "message": "1 record(s) waiting for a reference"}

    EntitySync(mappings["customers"], client, masters, realm_id=sb.realm_id, run_key="t/customers").run()
    counts = push("invoices")

    assert (counts.created, counts.waiting) == (1, 0)
    made = invoice_objects(sb, "DocNumber = 'INV-7001'")
    customer_qb = scalar(masters, "SELECT qb_id FROM customers WHERE id = :i", i=new_customer)
    assert len(made) == 1 and made[0]["CustomerRef"]["value"] == customer_qb
    assert rows(masters, "SELECT qb_status, qb_error FROM invoices WHERE id = :i", i=inv)[0] == {
        "qb_status": "synced",
        "qb_error": None,
    }


def test_an_edit_after_creation_is_one_sparse_update_replacing_the_lines(
    sb: Any, masters: sa.Engine, push
) -> None:
    customer, item, part = (
        cmms_id(masters, "customers", "13"),
        cmms_id(masters, "items", "1"),
        cmms_id(masters, "items", "3"),
    )
    inv = add_invoice(masters, "INV-7101", customer, [(item, 1, "100.00", None), (part, 2, "10.00", None)])
    push("invoices")
    qb_id = scalar(masters, "SELECT qb_id FROM invoices WHERE id = :i", i=inv)
    execute(masters, "DELETE FROM invoice_lines WHERE invoice_id = :i AND line_no = 2", i=inv)
    execute(masters, "UPDATE invoice_lines SET quantity = 3, amount = 300.00 WHERE invoice_id = :i", i=inv)
    execute(masters, "UPDATE invoices SET total = 300.00, memo = 'three visits' WHERE id = :i", i=inv)
    sb.reset_counters()

    counts = push("invoices")
    again = push("invoices")

    assert (counts.updated, counts.created, again.updated) == (1, 0, 0)
    assert sb.counters()["batch"] == 1 and sb.counters()["write:Invoice"] == 1
    obj = sb.company.read("Invoice", qb_id)
    lines = [ln for ln in obj["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    assert [(ln["SalesItemLineDetail"]["Qty"], ln["Amount"]) for ln in lines] == [(3, 300.0)]
    assert obj["CustomerMemo"]["value"] == "three visits" and obj["SyncToken"] == "1"
    row = rows(masters, "SELECT qb_sync_token, qb_total_amt, qb_status FROM invoices WHERE id = :i", i=inv)[0]
    assert row == {"qb_sync_token": "1", "qb_total_amt": Decimal("300.00"), "qb_status": "synced"}


def test_a_voided_invoice_is_voided_in_quickbooks_and_a_paid_one_says_why_not(
    sb: Any, masters: sa.Engine, push
) -> None:
    customer, item = cmms_id(masters, "customers", "13"), cmms_id(masters, "items", "1")
    plain = add_invoice(masters, "INV-7201", customer, [(item, 1, "50.00", None)])
    paid = add_invoice(masters, "INV-7202", customer, [(item, 1, "70.00", None)])
    never_sent = add_invoice(masters, "INV-7203", customer, [(item, 1, "10.00", None)], status="void")
    push("invoices")
    paid_qb = scalar(masters, "SELECT qb_id FROM invoices WHERE id = :i", i=paid)
    sb.company.create(
        "Payment",
        {
            "CustomerRef": {"value": "13"},
            "TotalAmt": 20,
            "Line": [{"Amount": 20, "LinkedTxn": [{"TxnId": paid_qb, "TxnType": "Invoice"}]}],
        },
    )
    execute(masters, "UPDATE invoices SET status = 'void' WHERE id IN (:a, :b)", a=plain, b=paid)

    counts = push("invoices")

    assert (counts.updated, counts.failed, counts.skipped) == (1, 1, 1)
    plain_qb = scalar(masters, "SELECT qb_id FROM invoices WHERE id = :i", i=plain)
    voided = sb.company.read("Invoice", plain_qb)
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"].startswith("Voided")
    row = rows(masters, "SELECT qb_status, qb_total_amt FROM invoices WHERE id = :i", i=plain)[0]
    assert row == {"qb_status": "synced", "qb_total_amt": Decimal("0.00")}
    err = scalar(masters, "SELECT qb_error FROM invoices WHERE id = :i", i=paid)
    assert err.startswith(
        "Invoice 'INV-7202': QuickBooks refuses to void it because payments are applied to it"
    )
    assert "Remove or void those payments in QuickBooks first" in err
    assert sb.company.read("Invoice", paid_qb)["TotalAmt"] == 70.0
    assert scalar(masters, "SELECT qb_id FROM invoices WHERE id = :i", i=never_sent) is None
    again = push("invoices")  # the paid one is tried again (and refused again); the voided one is done
    assert (again.updated, again.failed, again.unchanged) == (0, 1, 1)
    assert len(invoice_objects(sb, "DocNumber = 'INV-7203'")) == 0


def test_bills_with_item_and_account_lines(sb: Any, masters: sa.Engine, push) -> None:
    vendor = cmms_id(masters, "vendors", "29")
    item, account = cmms_id(masters, "items", "3"), cmms_id(masters, "accounts", "22")
    bill = add_bill(
        masters,
        "SQ-88120",
        vendor,
        [
            {"item_id": item, "quantity_received": 10, "unit_cost": "7.25"},
            {"account_id": account, "amount": "45.10"},
        ],
    )
    no_number = add_bill(masters, None, vendor, [{"account_id": account, "amount": "12.00"}])
    seeded = {o["Id"] for o in qbo(sb, "SELECT * FROM Bill MAXRESULTS 1000")}  # the demo company's own bills

    counts = push("bills")

    assert (counts.created, counts.failed) == (2, 0)
    new = [o for o in qbo(sb, "SELECT * FROM Bill MAXRESULTS 1000") if o["Id"] not in seeded]
    made = {o["DocNumber"]: o for o in new}
    assert len(new) == 2 and set(made) == {"SQ-88120", f"CMMS-BILL-{no_number}"}
    obj = made["SQ-88120"]
    assert (
        obj["VendorRef"]["value"] == "29"
        and obj["DueDate"] == "2026-12-18"
        and obj["TxnDate"] == "2026-11-18"
    )
    assert obj["APAccountRef"]["value"] == "7"
    kinds = [(ln["DetailType"], ln["Amount"]) for ln in obj["Line"]]
    assert kinds == [("ItemBasedExpenseLineDetail", 72.5), ("AccountBasedExpenseLineDetail", 45.1)]
    assert obj["Line"][0]["ItemBasedExpenseLineDetail"]["Qty"] == 10
    assert obj["Line"][1]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] == "22"
    assert obj["PrivateNote"] == f"CMMS purchase invoice id {bill}. parts for WO-7"
    row = rows(
        masters,
        "SELECT qb_id, qb_status, qb_total_amt, qb_balance FROM purchase_invoices WHERE id = :i",
        i=bill,
    )[0]
    assert row == {
        "qb_id": obj["Id"],
        "qb_status": "synced",
        "qb_total_amt": Decimal("117.60"),
        "qb_balance": Decimal("117.60"),
    }


def _expense_settings(engine: sa.Engine, debit_qb: str | None, credit_qb: str | None) -> None:
    execute(
        engine,
        "UPDATE qb_settings SET expense_debit_account_id = (SELECT id FROM accounts WHERE qb_id = :d), "
        "expense_credit_account_id = (SELECT id FROM accounts WHERE qb_id = :c)",
        d=debit_qb, c=credit_qb,
    )  # fmt: skip


def test_expenses_become_balanced_journal_entries(sb: Any, masters: sa.Engine, push) -> None:
    _expense_settings(masters, "18", "7")  # Supplies & Materials / Accounts Payable
    vendor, customer = cmms_id(masters, "vendors", "28"), cmms_id(masters, "customers", "13")
    wo = execute(
        masters,
        "INSERT INTO work_orders (number, customer_id, description, status) VALUES "
        "('WO-42', :c, 'Roof', 'open') RETURNING id",
        c=customer,
    ).scalar_one()
    fuel = cmms_id(masters, "accounts", "21")
    e1 = execute(
        masters,
        "INSERT INTO expenses (vendor_id, expense_date, amount, description, "
        "work_order_id) VALUES (:v, '2026-11-21', 64.35, 'Van fuel', :w) RETURNING id",
        v=vendor, w=wo,
    ).scalar_one()  # fmt: skip
    e2 = execute(
        masters,
        "INSERT INTO expenses (vendor_id, expense_date, amount, description, "
        "expense_account_id) VALUES (:v, '2026-11-22', 30, 'Diesel', :a) RETURNING id",
        v=vendor, a=fuel,
    ).scalar_one()  # fmt: skip

    counts = push("expenses")

    assert (counts.created, counts.failed) == (2, 0)
    made = {o["DocNumber"]: o for o in qbo(sb, "SELECT * FROM JournalEntry MAXRESULTS 1000")}
    first = made[f"CMMS-EXP-{e1}"]
    debit, credit = first["Line"]
    assert (
        debit["JournalEntryLineDetail"]["PostingType"] == "Debit"
        and debit["JournalEntryLineDetail"]["AccountRef"]["value"] == "18"
    )
    assert credit["JournalEntryLineDetail"]["AccountRef"]["value"] == "7"
    assert credit["JournalEntryLineDetail"]["Entity"] == {
        "Type": "Vendor",
        "EntityRef": {"value": "28", "name": "Delta Fleet Services"},
    }
    assert debit["Amount"] == credit["Amount"] == 64.35
    assert debit["Description"] == f"Van fuel (CMMS expense {e1} for work order WO-42)"
    assert made[f"CMMS-EXP-{e2}"]["Line"][0]["JournalEntryLineDetail"]["AccountRef"]["value"] == "21"
    assert {r["qb_status"] for r in rows(masters, "SELECT qb_status FROM expenses")} == {"synced"}


def test_a_missing_expense_setting_stops_expense_posting_naming_it(sb: Any, masters: sa.Engine, push) -> None:
    _expense_settings(masters, "18", None)
    execute(
        masters, "INSERT INTO expenses (expense_date, amount, description) VALUES ('2026-11-21', 5, 'Tape')"
    )

    with pytest.raises(SettingsMissing) as caught:
        push("expenses")

    assert "qb_settings.expense_credit_account_id" in str(caught.value)
    assert sb.counters()["total"] == 0
    run = rows(masters, "SELECT status, message FROM sync_runs WHERE entity = 'expenses'")[0]
    assert run["status"] == "failed" and "expense_credit_account_id" in run["message"]


def test_dry_run_reports_and_writes_nothing(sb: Any, masters: sa.Engine, push) -> None:
    customer, item = cmms_id(masters, "customers", "13"), cmms_id(masters, "items", "1")
    add_invoice(masters, "INV-7301", customer, [(item, 1, "10.00", None)])

    counts = push("invoices", dry_run=True)

    assert counts.created == 1
    assert sb.counters()["total"] == 0
    assert scalar(masters, "SELECT count(*) FROM invoices WHERE qb_id IS NOT NULL") == 0
    assert scalar(masters, "SELECT count(*) FROM sync_txn_state") == 0
