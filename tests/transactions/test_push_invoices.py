"""Invoices pushed to the sandbox company from a real PostgreSQL CMMS (engine level)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tests.transactions.txn_helpers import add_invoice, cmms_id, execute, invoice_objects, rows, scalar


def _ids(engine: sa.Engine) -> dict[str, int]:
    return {
        "customer": cmms_id(engine, "customers", "13"),
        "other_customer": cmms_id(engine, "customers", "8"),
        "service": cmms_id(engine, "items", "1"),
        "part": cmms_id(engine, "items", "3"),
        "non": cmms_id(engine, "tax_codes", "NON"),
    }


def test_invoices_are_created_once_with_lines_customer_and_totals(sb: Any, masters: sa.Engine, push) -> None:
    ids = _ids(masters)
    first = add_invoice(
        masters,
        "INV-5001",
        ids["customer"],
        [(ids["service"], 2, "125.50", None), (ids["part"], 3, "19.99", ids["non"])],
    )
    second = add_invoice(
        masters, "INV-5002", ids["other_customer"], [(ids["part"], "1.5", "10.00", None)], due=None
    )

    counts = push("invoices")

    assert (counts.created, counts.failed, counts.waiting) == (2, 0, 0)
    assert sb.counters()["batch"] == 1 and sb.counters()["query"] == 0
    made = {o["DocNumber"]: o for o in invoice_objects(sb, "DocNumber IN ('INV-5001', 'INV-5002')")}
    assert set(made) == {"INV-5001", "INV-5002"}
    one = made["INV-5001"]
    assert one["CustomerRef"]["value"] == "13"
    assert one["TxnDate"] == "2026-11-20" and one["DueDate"] == "2026-12-31"
    items = [ln for ln in one["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    assert [(ln["SalesItemLineDetail"]["ItemRef"]["value"], ln["Amount"]) for ln in items] == [
        ("1", 251.0),
        ("3", 59.97),
    ]
    assert items[1]["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "NON"
    assert Decimal(str(one["TotalAmt"])) == Decimal("310.97")
    assert one["PrivateNote"] == f"CMMS invoice id {first}"
    assert one["BillEmail"]["Address"] == scalar(
        masters, "SELECT email FROM customers WHERE id = :i", i=ids["customer"]
    )
    got = {r["id"]: r for r in rows(masters, "SELECT * FROM invoices ORDER BY id")}
    assert (
        got[first]["qb_id"] == one["Id"]
        and got[first]["qb_status"] == "synced"
        and got[first]["qb_error"] is None
    )
    assert got[first]["qb_total_amt"] == Decimal("310.97") and got[first]["qb_balance"] == Decimal("310.97")
    assert got[first]["qb_sync_token"] == "0" and got[first]["qb_synced_at"] is not None
    # No due date in the CMMS: QuickBooks derived one from terms; it is stored back.
    assert got[second]["due_date"].isoformat() == made["INV-5002"]["DueDate"]

    sb.reset_counters()
    again = push("invoices")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert sb.counters()["total"] == 0


def test_line_amount_and_missing_date_fail_that_record_only(sb: Any, masters: sa.Engine, push) -> None:
    ids = _ids(masters)
    good = add_invoice(masters, "INV-6001", ids["customer"], [(ids["service"], 1, "100.00", None)])
    bad = add_invoice(masters, "INV-6002", ids["customer"], [(ids["service"], 3, "33.33", None)])
    execute(masters, "UPDATE invoice_lines SET amount = 100.00 WHERE invoice_id = :i", i=bad)
    undated = add_invoice(masters, "INV-6003", ids["customer"], [(ids["service"], 1, "5", None)])
    execute(masters, "UPDATE invoices SET invoice_date = NULL WHERE id = :i", i=undated)

    counts = push("invoices")

    assert (counts.created, counts.failed) == (1, 2)
    got = {r["id"]: r for r in rows(masters, "SELECT id, qb_id, qb_status, qb_error FROM invoices")}
    assert got[good]["qb_status"] == "synced"
    assert got[bad]["qb_status"] == "error" and got[bad]["qb_id"] is None
    assert got[bad]["qb_error"] == (
        "Invoice 'INV-6002': line 1: amount 100.00 is not quantity 3 x price 33.33 = 99.99. "
        "Nothing was sent to QuickBooks. Correct the record in the CMMS and run the sync again."
    )
    assert "invoice date" in got[undated]["qb_error"] and got[undated]["qb_id"] is None
    assert [o["DocNumber"] for o in invoice_objects(sb, "DocNumber LIKE 'INV-6%'")] == ["INV-6001"]
    run = rows(masters, "SELECT status, failed, created FROM sync_runs WHERE entity = 'invoices'")[0]
    assert run == {"status": "partial", "failed": 2, "created": 1}


def test_a_total_quickbooks_disagrees_with_is_reported_with_both_figures(
    sb: Any, masters: sa.Engine, push
) -> None:
    ids = _ids(masters)
    inv = add_invoice(
        masters, "INV-8001", ids["customer"], [(ids["service"], 1, "100.00", None)], total="99.50"
    )
    exact = add_invoice(
        masters, "INV-8002", ids["customer"], [(ids["service"], 1, "100.00", None)], total="100.01"
    )

    counts = push("invoices")

    assert (counts.created, counts.failed) == (2, 1)
    row = rows(
        masters, "SELECT qb_id, qb_status, qb_error, qb_total_amt, total FROM invoices WHERE id = :i", i=inv
    )[0]
    assert row["qb_id"] is not None and row["qb_status"] == "error"
    assert (row["qb_total_amt"], row["total"]) == (Decimal("100.00"), Decimal("99.50"))  # neither taken over
    assert row["qb_error"].startswith(
        "Invoice 'INV-8001': QuickBooks' total is 100.00 but the CMMS total is 99.50 (difference +0.50)."
    )
    assert (
        rows(masters, "SELECT qb_status FROM invoices WHERE id = :i", i=exact)[0]["qb_status"] == "synced"
    )  # a cent

    execute(masters, "UPDATE invoices SET total = 100.00 WHERE id = :i", i=inv)  # the CMMS figure corrected
    sb.reset_counters()
    push("invoices")
    assert rows(masters, "SELECT qb_status, qb_error FROM invoices WHERE id = :i", i=inv)[0] == {
        "qb_status": "synced",
        "qb_error": None,
    }
    assert sb.counters()["total"] == 0
