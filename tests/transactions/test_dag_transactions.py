"""Transactions through ``qbo_full_sync`` with ``dag.test()``: real Airflow, sandbox over HTTP,
real PostgreSQL. A customer created in the CMMS goes to QuickBooks upstream, and its invoice goes
out in the same DAG run."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.transactions.txn_helpers import add_bill, add_invoice, cmms_id, execute, qbo, rows, scalar

pytestmark = pytest.mark.usefixtures("airflow_db")

DAGS = Path(__file__).resolve().parents[2] / "dags"
REFERENCE_AND_MASTERS = ["accounts", "tax_codes", "tax_rates", "customers", "items", "vendors"]
EVERYTHING = [*REFERENCE_AND_MASTERS, "invoices", "bills", "expenses"]
PUSHES = ["push_invoices", "push_bills", "push_expenses"]


def run_dag(entities: list[str], **conf: Any) -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).get_dag("qbo_full_sync")
    dr = dag.test(run_conf={"entities": entities, "full_refresh": False, "dry_run": False, **conf})
    return {ti.task_id: ti for ti in dr.get_task_instances()}


def test_invoices_bills_and_expenses_go_out_after_their_masters_in_one_run(
    sandbox: Any, cmms: sa.Engine
) -> None:
    first = run_dag(REFERENCE_AND_MASTERS)
    assert {str(first[t].state) for t in PUSHES} == {"skipped"}
    customer = execute(
        cmms,
        "INSERT INTO customers (display_name, email) VALUES ('Harbor Point Marina', "
        "'ap@harborpoint.example') RETURNING id",
    ).scalar_one()
    service, vendor = cmms_id(cmms, "items", "1"), cmms_id(cmms, "vendors", "29")
    invoice = add_invoice(cmms, "DAG-1001", customer, [(service, 2, "95.00", None)])
    # taxed and discounted: 100.00 taxable at 7.25 % (California) + 50.00 not taxable, 10.00 off
    part, california, non = (
        cmms_id(cmms, "items", "3"),
        cmms_id(cmms, "tax_codes", "2"),
        cmms_id(cmms, "tax_codes", "NON"),
    )
    taxed = add_invoice(
        cmms,
        "DAG-1002",
        customer,
        [(part, 4, "25.00", california), (service, 1, "50.00", non)],
        discount="10.00",
        total="147.25",
        due="2027-01-15",
    )
    bill = add_bill(
        cmms, "SQ-5550", vendor, [{"account_id": cmms_id(cmms, "accounts", "22"), "amount": "48.20"}]
    )
    item_bill = add_bill(
        cmms,
        "SQ-5551",
        vendor,
        [
            {"item_id": part, "quantity_received": 3, "unit_cost": "12.50"},
            {"account_id": cmms_id(cmms, "accounts", "22"), "amount": "7.80"},
        ],
    )
    execute(
        cmms,
        "UPDATE qb_settings SET expense_debit_account_id = (SELECT id FROM accounts WHERE qb_id = '18'), "
        "expense_credit_account_id = (SELECT id FROM accounts WHERE qb_id = '7')",
    )
    expense = execute(
        cmms,
        "INSERT INTO expenses (vendor_id, expense_date, amount, description) VALUES (:v, "
        "'2026-11-25', 19.99, 'Gloves') RETURNING id",
        v=vendor,
    ).scalar_one()
    sandbox.reset_counters()

    tis = run_dag(EVERYTHING)

    assert {t: str(tis[t].state) for t in ["sync_customers", *PUSHES]} == dict.fromkeys(
        ["sync_customers", *PUSHES], "success"
    )
    customer_qb = scalar(cmms, "SELECT qb_id FROM customers WHERE id = :i", i=customer)
    made = qbo(sandbox, "SELECT * FROM Invoice WHERE DocNumber = 'DAG-1001'")
    assert len(made) == 1 and made[0]["CustomerRef"]["value"] == customer_qb and made[0]["TotalAmt"] == 190.0
    assert made[0]["BillEmail"]["Address"] == "ap@harborpoint.example"
    assert len(qbo(sandbox, "SELECT * FROM Bill WHERE DocNumber = 'SQ-5550'")) == 1
    (obj,) = qbo(sandbox, "SELECT * FROM Invoice WHERE DocNumber = 'DAG-1002'")
    kinds = [ln["DetailType"] for ln in obj["Line"] if ln["DetailType"] != "SubTotalLineDetail"]
    assert kinds == ["SalesItemLineDetail", "SalesItemLineDetail", "DiscountLineDetail"]
    sales = [ln["SalesItemLineDetail"] for ln in obj["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    assert [(d["ItemRef"]["value"], d["Qty"], d["UnitPrice"], d["TaxCodeRef"]["value"]) for d in sales] == [
        ("3", 4, 25.0, "TAX"), ("1", 1, 50.0, "NON")
    ]  # fmt: skip
    assert (obj["TxnTaxDetail"]["TxnTaxCodeRef"]["value"], obj["TxnTaxDetail"]["TotalTax"]) == ("2", 7.25)
    assert (obj["TotalAmt"], obj["DueDate"]) == (147.25, "2027-01-15")
    assert rows(
        cmms, "SELECT qb_status, qb_total_tax, qb_total_amt, qb_balance FROM invoices WHERE id = :i", i=taxed
    ) == [{"qb_status": "synced", "qb_total_tax": Decimal("7.25"), "qb_total_amt": Decimal("147.25"),
           "qb_balance": Decimal("147.25")}]  # fmt: skip
    (mixed,) = qbo(sandbox, "SELECT * FROM Bill WHERE DocNumber = 'SQ-5551'")
    details = [(ln["DetailType"], ln["Amount"]) for ln in mixed["Line"]]
    assert details == [("ItemBasedExpenseLineDetail", 37.5), ("AccountBasedExpenseLineDetail", 7.8)]
    assert (mixed["TotalAmt"], mixed["DueDate"], mixed["VendorRef"]["value"]) == (45.3, "2026-12-18", "29")
    journal = qbo(sandbox, f"SELECT * FROM JournalEntry WHERE DocNumber = 'CMMS-EXP-{expense}'")
    assert len(journal) == 1 and [ln["Amount"] for ln in journal[0]["Line"]] == [19.99, 19.99]
    pushed = (
        ("invoices", invoice),
        ("invoices", taxed),
        ("purchase_invoices", bill),
        ("purchase_invoices", item_bill),
    )
    for table, cid in (*pushed, ("expenses", expense)):
        row = rows(cmms, f"SELECT qb_id, qb_status FROM {table} WHERE id = :i", i=cid)[0]
        assert row["qb_id"] is not None and row["qb_status"] == "synced", table
    runs = rows(
        cmms,
        "SELECT entity, status, created FROM sync_runs WHERE entity IN ('invoices', "
        "'bills', 'expenses') ORDER BY entity",
    )
    assert runs == [
        {"entity": "bills", "status": "success", "created": 2},
        {"entity": "expenses", "status": "success", "created": 1},
        {"entity": "invoices", "status": "success", "created": 2},
    ]
    assert tis["push_invoices"].xcom_pull(task_ids="push_invoices")["created in QuickBooks"] == 2

    again = run_dag(EVERYTHING)  # nothing new: no write reaches QuickBooks
    assert {str(again[t].state) for t in PUSHES} == {"success"}
    assert len(qbo(sandbox, "SELECT * FROM Invoice WHERE DocNumber = 'DAG-1001'")) == 1


def test_missing_expense_setting_fails_only_the_expense_task(sandbox: Any, cmms: sa.Engine) -> None:
    run_dag(REFERENCE_AND_MASTERS)
    execute(cmms, "INSERT INTO expenses (expense_date, amount, description) VALUES ('2026-11-25', 5, 'Tape')")
    customer, service = cmms_id(cmms, "customers", "13"), cmms_id(cmms, "items", "1")
    add_invoice(cmms, "DAG-2001", customer, [(service, 1, "10.00", None)])

    tis = run_dag(EVERYTHING)

    assert {t: str(tis[t].state) for t in PUSHES} == {
        "push_invoices": "success",
        "push_bills": "success",
        "push_expenses": "failed",
    }
    run = rows(cmms, "SELECT status, message FROM sync_runs WHERE entity = 'expenses'")[0]
    assert run["status"] == "failed" and "qb_settings.expense_debit_account_id" in run["message"]
    assert len(qbo(sandbox, "SELECT * FROM Invoice WHERE DocNumber = 'DAG-2001'")) == 1
