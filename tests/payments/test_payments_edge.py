"""Less common paths: a window too old for CDC (deletions found through invoices), and a batch whose
published state disagrees with QuickBooks (rolled back and quarantined after publishing)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
import sqlalchemy as sa

from tests.payments.conftest import OK, World, q, run_payments

pytestmark = pytest.mark.usefixtures("airflow_db")


def test_old_watermark_reads_by_query_and_finds_deleted_payments(world: World, sandbox: Any) -> None:
    assert run_payments() == OK
    a_id, a_qb = world.invoice("200.00")
    keep = world.pay("100.00", {a_qb: "100.00"}, "Q-1")
    gone = world.pay("50.00", {a_qb: "50.00"}, "Q-2")
    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("150.00"), D("50.00"), "partial")

    world.client.delete(
        "Payment", gone["Id"], world.current(gone["Id"])["SyncToken"], request_id=f"qd-{gone['Id']}"
    )
    with world.engine.begin() as conn:  # the last good run was 31 days ago: CDC cannot reach back that far
        conn.execute(sa.text("UPDATE sync_watermarks SET watermark = watermark - interval '31 days'"))
    sandbox.reset_counters()
    assert run_payments() == OK
    assert sandbox.counters().get("cdc", 0) == 0 and sandbox.counters()["query"] >= 3
    batch = q(world.engine, "SELECT mode FROM payment_batches ORDER BY id DESC LIMIT 1")[0]
    assert batch.mode == "query"
    assert world.log(gone["Id"])["status"] == "deleted" and world.log(keep["Id"])["status"] == "active"
    assert world.invoice_row(a_id) == (D("100.00"), D("100.00"), "partial") and world.qbo_balance(a_qb) == D(
        "100.00"
    )


def test_published_state_that_disagrees_with_quickbooks_is_rolled_back(world: World) -> None:
    """Both sides agree on the total, but the CMMS holds an application QuickBooks does not have
    (a 10.00 payment QuickBooks never recorded): the next batch on that invoice publishes, fails its
    balance and paid-amount checks inside the transaction, is rolled back and quarantined. An
    invoice whose totals differ (edited in QuickBooks) publishes with a note in the batch report."""
    assert run_payments() == OK
    a_id, a_qb = world.invoice("120.00")
    e_id, e_qb = world.invoice("120.00")
    with world.engine.begin() as conn:  # the CMMS holds another total than QuickBooks
        conn.execute(
            sa.text("UPDATE invoices SET total = 100.00, balance = 100.00 WHERE id = :i"), {"i": e_id}
        )
    world.pay("50.00", {a_qb: "50.00"}, "R-1")
    edited = world.pay("50.00", {e_qb: "50.00"}, "R-E")
    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("50.00"), D("70.00"), "partial")
    assert world.invoice_row(e_id) == (D("50.00"), D("50.00"), "partial")
    (batch,) = q(world.engine, "SELECT status, report FROM payment_batches ORDER BY id DESC LIMIT 1")
    assert batch.status == "published" and world.log(edited["Id"])["status"] == "active"
    assert (
        f"(QuickBooks {e_qb}): QuickBooks' total is 120.00 but the CMMS total is 100.00" in batch.report
        and f"(QuickBooks {a_qb})" not in batch.report
    )

    with world.engine.begin() as conn:  # a CMMS-side payment of 10.00 QuickBooks does not have
        conn.execute(
            sa.text(
                "WITH p AS (INSERT INTO payments (qb_id, customer_id, total_amount, status) "
                "VALUES ('cmms-only-1', :c, 10.00, 'active') RETURNING id) "
                "INSERT INTO payment_applications (payment_id, invoice_id, amount) "
                "SELECT id, :i, 10.00 FROM p"
            ),
            {"c": world.customer_id, "i": a_id},
        )
    pay = world.pay("20.00", {a_qb: "20.00"}, "R-2")
    states = run_payments()
    assert (states["audit"], states["publish"]) == ("success", "failed")
    assert world.invoice_row(a_id) == (D("50.00"), D("70.00"), "partial")  # rolled back
    assert world.log(pay["Id"]) == {}
    batch = q(world.engine, "SELECT status, report FROM payment_batches ORDER BY id DESC LIMIT 1")[0]
    assert batch.status == "quarantined" and "quarantined after publishing (rolled back)" in batch.report
    assert "the CMMS balance equals QuickBooks' invoice Balance" in batch.report
    assert "the CMMS paid amount equals what QuickBooks shows paid (TotalAmt - Balance)" in batch.report
    assert (
        f"invoice = {a_qb}, invoice_number = WO-" in batch.report
        and "balance = 40.00, qbo_balance = 50.00" in batch.report
        and "paid_amount = 80.00, qbo_paid = 70.00" in batch.report
    )
