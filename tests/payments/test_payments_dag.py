"""``qbo_payments`` end to end: sandbox over HTTP, real PostgreSQL, real Airflow (``dag.test()``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from tests.payments.conftest import OK, SWITCHED_OFF, TASKS, World, payments_run, q, run_payments

pytestmark = pytest.mark.usefixtures("airflow_db")
D = Decimal


def test_partial_split_unapplied_and_unknown_invoice(world: World, capsys: pytest.CaptureFixture) -> None:
    assert run_payments() == OK  # first run: reads every payment QuickBooks has (the seed's too)
    a_id, a_qb = world.invoice("300.00")
    b_id, b_qb = world.invoice("120.50")
    c_id, c_qb = world.invoice("80.00")
    _, foreign_qb = world.invoice("45.00", known=False)

    partial = world.pay("100.00", {a_qb: "100.00"}, "CHK-1")
    split = world.pay("150.50", {b_qb: "120.50", c_qb: "30.00"}, "CHK-2")
    unapplied = world.pay("75.25", {}, "CASH-3", PaymentMethodRef={"value": "1", "name": "Cash"})
    foreign = world.pay("65.00", {foreign_qb: "45.00", c_qb: "20.00"}, "CHK-4")
    assert run_payments() == OK

    assert world.invoice_row(a_id) == (D("100.00"), D("200.00"), "partial")
    assert world.invoice_row(b_id) == (D("120.50"), D("0.00"), "paid")
    assert world.invoice_row(c_id) == (D("50.00"), D("30.00"), "partial")
    for cmms_id, qb in ((a_id, a_qb), (b_id, b_qb), (c_id, c_qb)):
        assert world.invoice_row(cmms_id)[1] == world.qbo_balance(qb)
    number = {
        i: q(world.engine, "SELECT invoice_number FROM invoices WHERE id = :i", i=i)[0][0]
        for i in (a_id, b_id, c_id)
    }
    assert world.log(partial["Id"]) == {
        "date": "2026-11-30", "amount": D("100.00"), "unapplied": D("0.00"), "method": "Check",
        "reference": "CHK-1", "status": "active", "customer_id": world.customer_id,
        "paid": {number[a_id]: D("100.00")},
    }  # fmt: skip
    assert world.log(split["Id"])["paid"] == {number[b_id]: D("120.50"), number[c_id]: D("30.00")}
    log = world.log(unapplied["Id"])
    assert (log["amount"], log["unapplied"], log["method"], log["paid"]) == (
        D("75.25"),
        D("75.25"),
        "Cash",
        {},
    )
    assert world.log(foreign["Id"])["paid"] == {number[c_id]: D("20.00")}
    not_applied = q(
        world.engine,
        "SELECT n.qb_txn_id, n.amount, n.reason FROM payment_links_not_applied n "
        "JOIN payments p ON p.id = n.payment_id WHERE p.qb_id = :q",
        q=foreign["Id"],
    )
    assert [(r.qb_txn_id, r.amount) for r in not_applied] == [(foreign_qb, D("45.00"))]
    assert "not known to the CMMS" in not_applied[0].reason

    # the rest of invoice A
    rest = world.pay("200.00", {a_qb: "200.00"}, "CHK-5")
    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("300.00"), D("0.00"), "paid") and world.qbo_balance(a_qb) == D(
        "0.00"
    )
    assert world.log(rest["Id"])["paid"] == {number[a_id]: D("200.00")}
    from qbo_sync.cli import main

    assert main(["payments", "--url", world.engine.url.render_as_string(hide_password=False)]) == 0
    printed = capsys.readouterr().out
    assert (
        f"2026-11-30      100.00       0.00  Check       CHK-1         active   {number[a_id]} 100.00"
        in printed
    )
    assert f"QuickBooks Invoice {foreign_qb} 45.00 (not applied)" in printed
    run = q(
        world.engine,
        "SELECT status, created, updated, unchanged FROM sync_runs WHERE entity = 'payments' "
        "ORDER BY id DESC LIMIT 1",
    )[0]
    assert (run.status, run.created, run.updated) == ("success", 1, 0)


def test_edit_then_void_then_delete(world: World) -> None:
    assert run_payments() == OK
    a_id, a_qb = world.invoice("500.00")
    b_id, b_qb = world.invoice("250.00")
    pay = world.pay("400.00", {a_qb: "400.00"}, "CHK-10")
    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("400.00"), D("100.00"), "partial")

    # edited in QuickBooks: less on A, some on B
    cur = world.current(pay["Id"])
    # (the product's client strips TotalAmt from updates as read-only, so edit through the sandbox)
    world.sandbox.company.update(
        "Payment",
        {"Id": pay["Id"], "SyncToken": cur["SyncToken"], "sparse": True, "TotalAmt": 350.0, "Line": [
            {"Amount": 150.0, "LinkedTxn": [{"TxnId": a_qb, "TxnType": "Invoice"}]},
            {"Amount": 200.0, "LinkedTxn": [{"TxnId": b_qb, "TxnType": "Invoice"}]},
        ]},
    )  # fmt: skip
    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("150.00"), D("350.00"), "partial")
    assert world.invoice_row(b_id) == (D("200.00"), D("50.00"), "partial")
    log = world.log(pay["Id"])
    assert (log["amount"], log["unapplied"], log["status"]) == (D("350.00"), D("0.00"), "active")
    assert log["paid"] == {world.number(a_id): D("150.00"), world.number(b_id): D("200.00")}
    assert (world.qbo_balance(a_qb), world.qbo_balance(b_qb)) == (D("350.00"), D("50.00"))

    # voided: both invoices open again, the log keeps the payment as voided
    cur = world.current(pay["Id"])
    world.client.void("Payment", pay["Id"], cur["SyncToken"], request_id=f"void-{pay['Id']}")
    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("0.00"), D("500.00"), "open")
    assert world.invoice_row(b_id) == (D("0.00"), D("250.00"), "open")
    log = world.log(pay["Id"])
    assert (log["amount"], log["status"], log["reference"]) == (D("0.00"), "voided", "CHK-10")
    assert log["paid"] == {
        world.number(a_id): D("150.00"),
        world.number(b_id): D("200.00"),
    }  # what it had paid
    assert (world.qbo_balance(a_qb), world.qbo_balance(b_qb)) == (D("500.00"), D("250.00"))

    # deleted
    cur = world.current(pay["Id"])
    world.client.delete("Payment", pay["Id"], cur["SyncToken"], request_id=f"del-{pay['Id']}")
    assert run_payments() == OK
    assert world.log(pay["Id"])["status"] == "deleted"
    assert world.invoice_row(a_id) == (D("0.00"), D("500.00"), "open")
    # a new payment after all that counts once
    world.pay("500.00", {a_qb: "500.00"}, "CHK-11")
    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("500.00"), D("0.00"), "paid") and world.qbo_balance(a_qb) == D(
        "0.00"
    )


def test_delete_of_a_live_payment_restores_the_invoice(world: World) -> None:
    assert run_payments() == OK
    a_id, a_qb = world.invoice("90.00")
    pay = world.pay("90.00", {a_qb: "90.00"}, "CHK-20")
    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("90.00"), D("0.00"), "paid")
    world.client.delete(
        "Payment", pay["Id"], world.current(pay["Id"])["SyncToken"], request_id=f"d-{pay['Id']}"
    )
    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("0.00"), D("90.00"), "open") and world.qbo_balance(a_qb) == D(
        "90.00"
    )
    assert world.log(pay["Id"])["status"] == "deleted"


def test_nothing_new_costs_one_read(world: World, sandbox: Any) -> None:
    assert run_payments() == OK
    sandbox.reset_counters()
    assert run_payments() == OK
    counts = sandbox.counters()
    reads = {k: counts.get(k, 0) for k in ("query", "cdc", "read", "batch", "write")}
    assert reads == {"query": 0, "cdc": 1, "read": 0, "batch": 0, "write": 0}


def test_payment_methods_sent_by_id_only_are_named_with_one_read(world: World, sandbox: Any) -> None:
    """QuickBooks may send ``PaymentMethodRef`` without its name: the run reads the PaymentMethod
    list once for the whole batch (not once per payment); a named ref costs nothing."""
    assert run_payments() == OK
    like = world.pay("10.00", {}, "NAMED-1", PaymentMethodRef={"value": "1", "name": "Cash"})
    raw = {k: v for k, v in world.current(like["Id"]).items() if k != "MetaData"}
    for n, (qb_id, method) in enumerate((("990201", "3"), ("990202", "6"), ("990203", "3"))):
        world.sandbox.company.load_raw(
            "Payment",
            {**raw, "Id": qb_id, "PaymentRefNum": f"CARD-{n}", "PaymentMethodRef": {"value": method}},
        )
    sandbox.reset_counters()
    assert run_payments() == OK
    counts = sandbox.counters()
    assert {k: counts.get(k, 0) for k in ("query", "cdc", "read")} == {"query": 1, "cdc": 1, "read": 0}
    methods = {qb_id: world.log(qb_id)["method"] for qb_id in (like["Id"], "990201", "990202", "990203")}
    assert methods == {like["Id"]: "Cash", "990201": "Visa", "990202": "American Express", "990203": "Visa"}


def test_the_dag_owns_real_30_minute_windows() -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import CronDataIntervalTimetable

    from tests.payments.conftest import DAGS

    dag = DagBag(dag_folder=str(DAGS)).get_dag("qbo_payments")
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert (dag.max_active_runs, dag.catchup, dag.timetable.expression) == (1, False, "*/30 * * * *")
    assert [t.task_id for t in dag.topological_sort() if t.task_id in TASKS] == TASKS
    assert dag.get_task("switched_off").upstream_task_ids == {"preflight"}


def test_switches_skip_with_the_reason(world: World, sandbox: Any) -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    from qbo_sync.payments.tasks import preflight

    with world.engine.begin() as conn:
        conn.execute(sa.text("UPDATE qb_settings SET payment_sync_enabled = false WHERE id = 1"))
    sandbox.reset_counters()
    tis = {ti.task_id: ti for ti in payments_run(None, "since_watermark").get_task_instances()}
    assert {task: str(ti.state) for task, ti in tis.items()} == SWITCHED_OFF
    said = tis["switched_off"].xcom_pull(task_ids="switched_off")
    assert said == {"reason": str(said.get("reason"))} and "payment_sync_enabled = false" in said["reason"]
    assert sandbox.counters().get("cdc", 0) == 0 and sandbox.counters().get("query", 0) == 0
    with pytest.raises(AirflowSkipException) as skipped:
        preflight({"params": {}})
    assert str(skipped.value) == (
        "the automatic payment sync is switched off (qb_settings.payment_sync_enabled = false): no payments "
        "were read from QuickBooks. Switch it on in the CMMS settings to sync payments."
    )
    with world.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE qb_settings SET payment_sync_enabled = true, enabled = false WHERE id = 1")
        )
    assert run_payments() == SWITCHED_OFF
    assert sandbox.counters().get("cdc", 0) == 0
    with pytest.raises(
        AirflowSkipException, match=r"^QuickBooks sync is switched off \(qb_settings.enabled = false"
    ):
        preflight({"params": {}})


def test_corrupt_batch_is_quarantined_then_retried(world: World, sandbox: Any) -> None:
    assert run_payments() == OK
    a_id, a_qb = world.invoice("100.00")
    good = world.pay("40.00", {a_qb: "40.00"}, "CHK-30")
    world.load_corrupt(good, a_qb)  # negative amount, more applied than the invoice's total
    states = run_payments()
    assert states["audit"] == "failed" and states["publish"] == "upstream_failed"
    assert world.invoice_row(a_id) == (D("0.00"), D("100.00"), "open")  # nothing applied
    assert world.log(good["Id"]) == {}
    batch = q(
        world.engine, "SELECT status, report, validation FROM payment_batches ORDER BY id DESC LIMIT 1"
    )[0]
    assert batch.status == "quarantined"
    report = batch.report
    assert "payment = 990001, total_amount = -25.00" in report
    assert "applications never exceed the invoice's total" in report
    assert f"invoice = {a_qb}" in report and "paid_amount = 170.00" in report
    assert "Nothing was applied and the watermark did not move." in report
    assert "quarantined" in batch.validation
    from qbo_sync.payments.log import recent_batches

    assert "payment = 990001, total_amount = -25.00" in recent_batches(world.engine)
    run = q(world.engine, "SELECT status FROM sync_runs WHERE entity = 'payments' ORDER BY id DESC LIMIT 1")[
        0
    ]
    assert run.status == "failed"

    # fixed in QuickBooks (deleted); the next run reads the window again and applies the good one
    sandbox.company.delete("Payment", {"Id": "990001", "SyncToken": "0"})
    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("40.00"), D("60.00"), "partial") and world.qbo_balance(a_qb) == D(
        "60.00"
    )
    assert world.log(good["Id"])["paid"] and world.log("990001") == {}


def test_an_invoice_voided_after_its_payment_was_deleted_does_not_hold_payments_back(world: World) -> None:
    """Voided in QuickBooks (zeroed: TotalAmt 0, Balance 0) while the CMMS keeps its total by the
    contract: the balances cannot agree, and that difference is the reconciliation's to report. The
    payment runs go on, check what QuickBooks shows paid (0 = 0), and say why the balance was not
    compared; a later payment on another invoice is applied."""
    assert run_payments() == OK
    a_id, a_qb = world.invoice("120.00")
    b_id, b_qb = world.invoice("80.00")
    pay = world.pay("120.00", {a_qb: "120.00"}, "CHK-30")
    assert run_payments() == OK
    world.client.delete(
        "Payment", pay["Id"], world.current(pay["Id"])["SyncToken"], request_id=f"d-{pay['Id']}"
    )
    current = world.sandbox.company.read("Invoice", a_qb)
    world.client.void("Invoice", a_qb, current["SyncToken"], request_id=f"v-{a_qb}")
    with world.engine.begin() as conn:
        conn.execute(sa.text("UPDATE invoices SET status = 'void' WHERE id = :i"), {"i": a_id})

    assert run_payments() == OK
    assert world.invoice_row(a_id) == (D("0.00"), D("120.00"), "void")
    assert world.qbo_balance(a_qb) == D("0.00")
    (batch,) = q(world.engine, "SELECT status, report FROM payment_batches ORDER BY id DESC LIMIT 1")
    assert batch.status == "published"
    assert "QuickBooks' total is 0.00 but the CMMS total is 120.00" in str(batch.report)

    later = world.pay("30.00", {b_qb: "30.00"}, "CHK-31")
    assert run_payments() == OK
    assert world.invoice_row(b_id) == (D("30.00"), D("50.00"), "partial")
    assert world.log(later["Id"])["status"] == "active"
