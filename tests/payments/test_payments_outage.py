"""An outage: payments recorded in QuickBooks while no run could reach it, then the missed 30-minute
windows re-run (``airflow backfill create`` = data-interval runs; or one catch-up run)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from tests.payments.conftest import OK, World, payments_run, q, run_payments

pytestmark = pytest.mark.usefixtures("airflow_db")
HALF_HOUR = timedelta(minutes=30)


def _windows() -> list[datetime]:
    """Starts of four consecutive 30-minute windows, the last ending two hours ago."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    slot = now - timedelta(minutes=now.minute % 30)
    first = slot - timedelta(hours=2) - 4 * HALF_HOUR
    return [first + i * HALF_HOUR for i in range(4)]


def _record_outage_payments(world: World, w: list[datetime]) -> dict[str, Any]:
    """Invoices A 300 and B 200 an hour before W0, then :func:`_pay_in_windows`."""
    with world.sandbox.company.backdated(w[0] - timedelta(hours=1)):
        a_id, a_qb = world.invoice("300.00")
        b_id, b_qb = world.invoice("200.00")
    return {"A": (a_id, a_qb), "B": (b_id, b_qb), "P": _pay_in_windows(world, w, a_qb, b_qb)}


def _pay_in_windows(world: World, w: list[datetime], a_qb: str, b_qb: str) -> list[dict[str, Any]]:
    """W0 quiet; W1: P1 100 on A, P2 50 on B; W2: P3 200 on A, P2 edited to 80; W3: P4 120 on B.
    Through the sandbox's model, so it works while its server is stopped."""
    co = world.sandbox.company
    with co.backdated(w[1] + timedelta(minutes=5)):
        p1 = world.pay("100.00", {a_qb: "100.00"}, "OUT-1", direct=True)
        p2 = world.pay("50.00", {b_qb: "50.00"}, "OUT-2", direct=True)
    with co.backdated(w[2] + timedelta(minutes=7)):
        p3 = world.pay("200.00", {a_qb: "200.00"}, "OUT-3", direct=True)
        cur = world.current(p2["Id"])
        line = {"Amount": 80.0, "LinkedTxn": [{"TxnId": b_qb, "TxnType": "Invoice"}]}
        co.update(
            "Payment",
            {"Id": p2["Id"], "SyncToken": cur["SyncToken"], "sparse": True, "TotalAmt": 80.0, "Line": [line]},
        )
    with co.backdated(w[3] + timedelta(minutes=29, seconds=59)):
        p4 = world.pay("120.00", {b_qb: "120.00"}, "OUT-4", direct=True)
    return [p1, p2, p3, p4]


def _assert_all_applied_once(world: World, made: dict[str, Any]) -> None:
    (a_id, a_qb), (b_id, b_qb) = made["A"], made["B"]
    assert world.invoice_row(a_id) == (D("300.00"), D("0.00"), "paid")
    assert world.invoice_row(b_id) == (D("200.00"), D("0.00"), "paid")
    assert (world.qbo_balance(a_qb), world.qbo_balance(b_qb)) == (D("0.00"), D("0.00"))
    ids = [p["Id"] for p in made["P"]]
    rows = q(
        world.engine,
        "SELECT p.qb_id, count(a.invoice_id) AS n, sum(a.amount) AS amount FROM payments p "
        "JOIN payment_applications a ON a.payment_id = p.id WHERE p.qb_id = ANY(:ids) GROUP BY p.qb_id",
        ids=ids,
    )
    assert {r.qb_id: (r.n, r.amount) for r in rows} == {
        ids[0]: (1, D("100.00")), ids[1]: (1, D("80.00")), ids[2]: (1, D("200.00")), ids[3]: (1, D("120.00"))
    }  # fmt: skip


def test_backfill_reruns_exactly_the_missed_windows(world: World, sandbox: Any) -> None:
    w = _windows()
    made = _record_outage_payments(world, w)
    (a_id, _), (b_id, _) = made["A"], made["B"]
    # the last run before the outage: window W0 (nothing of ours in it)
    assert run_payments(logical_date=w[1], window="data_interval") == OK
    assert world.invoice_row(a_id) == (D("0.00"), D("300.00"), "open")

    # backfill W1: only P1 (P2's current version belongs to W2; A and B changed later: not compared yet)
    assert run_payments(logical_date=w[2], window="data_interval") == OK
    assert world.invoice_row(a_id) == (D("100.00"), D("200.00"), "partial")
    assert world.invoice_row(b_id) == (D("0.00"), D("200.00"), "open")
    assert world.log(made["P"][1]["Id"]) == {}
    # W2: P3 and the edited P2
    assert run_payments(logical_date=w[3], window="data_interval") == OK
    assert world.invoice_row(a_id) == (D("300.00"), D("0.00"), "paid")
    assert world.invoice_row(b_id) == (D("80.00"), D("120.00"), "partial")
    # W3: P4 (changed in the window's last second)
    assert run_payments(logical_date=w[3] + HALF_HOUR, window="data_interval") == OK
    _assert_all_applied_once(world, made)

    # re-running a window changes nothing that is already right
    sandbox.reset_counters()
    assert run_payments(logical_date=w[3], window="data_interval") == OK
    run = q(world.engine, "SELECT created, updated, unchanged FROM sync_runs ORDER BY id DESC LIMIT 1")[0]
    assert (run.created, run.updated, run.unchanged) == (0, 0, 2)
    assert sandbox.counters()["cdc"] == 1
    _assert_all_applied_once(world, made)
    mark = q(world.engine, "SELECT watermark FROM sync_watermarks WHERE entity = 'payments'")[0].watermark
    assert mark == w[3] + HALF_HOUR  # the windows joined up: the watermark is at the last one's end


def test_one_catch_up_run_after_the_outage(world: World) -> None:
    w = _windows()
    made = _record_outage_payments(world, w)
    assert run_payments(logical_date=w[1], window="data_interval") == OK  # before the outage
    assert run_payments() == OK  # manual "Sync": from the watermark to now
    _assert_all_applied_once(world, made)
    batch = q(world.engine, "SELECT mode, status FROM payment_batches ORDER BY id DESC LIMIT 1")[0]
    assert (batch.mode, batch.status) == ("cdc", "published")


# --- a real outage: the sandbox's server stopped (connections refused) ---------------------------

DOWN = {**OK, "stage": "failed", "audit": "upstream_failed", "publish": "upstream_failed"}
QUICK_RETRY = timedelta(seconds=1)  # the DAG's 2 retries, 1 s apart instead of 1 minute


@contextmanager
def unreachable(sandbox: Any) -> Iterator[None]:
    """Stop the sandbox's server (every connection refused), then start it again on the same port
    (the connection's base URL); its company, tokens and requestid memory survive."""
    port, configured = int(sandbox.url.rsplit(":", 1)[1]), sandbox.config.port
    sandbox.stop()
    try:
        yield
    finally:
        sandbox.config.port = port
        try:
            sandbox.start()
        finally:
            sandbox.config.port = configured


def _watermark(world: World) -> datetime:
    return q(world.engine, "SELECT watermark FROM sync_watermarks WHERE entity = 'payments'")[0].watermark


def _nothing_applied(world: World, made: dict[str, Any], batches: int, mark: datetime) -> None:
    (a_id, _), (b_id, _) = made["A"], made["B"]
    assert world.invoice_row(a_id) == (D("0.00"), D("300.00"), "open")
    assert world.invoice_row(b_id) == (D("0.00"), D("200.00"), "open")
    assert all(world.log(p["Id"]) == {} for p in made["P"])
    assert q(world.engine, "SELECT count(*) AS n FROM payment_batches")[0].n == batches  # nothing staged
    assert _watermark(world) == mark


def _assert_log_exact(world: World, made: dict[str, Any]) -> None:
    (a_id, _), (b_id, _) = made["A"], made["B"]
    on = {0: a_id, 1: b_id, 2: a_id, 3: b_id}
    for i, (pay, amount) in enumerate(zip(made["P"], ("100.00", "80.00", "200.00", "120.00"), strict=True)):
        assert world.log(pay["Id"]) == {
            "date": "2026-11-30", "amount": D(amount), "unapplied": D("0.00"), "method": "Check",
            "reference": f"OUT-{i + 1}", "status": "active", "customer_id": world.customer_id,
            "paid": {world.number(on[i]): D(amount)},
        }  # fmt: skip


def _failed_runs(world: World) -> list[str]:
    rows = q(
        world.engine,
        "SELECT r.message FROM sync_runs r WHERE r.entity = 'payments' AND r.status = 'failed' "
        "AND NOT EXISTS (SELECT 1 FROM payment_batches b WHERE b.run_id = r.id) ORDER BY r.id",
    )
    return [r.message for r in rows]


def test_windows_missed_while_quickbooks_is_unreachable_are_backfilled(world: World, sandbox: Any) -> None:
    w = _windows()
    with world.sandbox.company.backdated(w[0] - timedelta(hours=1)):
        a_id, a_qb = world.invoice("300.00")
        b_id, b_qb = world.invoice("200.00")
    assert run_payments(logical_date=w[1], window="data_interval") == OK  # W0: the last run before
    mark, batches = _watermark(world), q(world.engine, "SELECT count(*) AS n FROM payment_batches")[0].n
    assert mark == w[1]

    with unreachable(sandbox):
        made = {"A": (a_id, a_qb), "B": (b_id, b_qb), "P": _pay_in_windows(world, w, a_qb, b_qb)}
        for i in (1, 2, 3):  # the runs of W1..W3 fail, after the DAG's own retries
            dr = payments_run(logical_date=w[i] + HALF_HOUR, window="data_interval", retry_delay=QUICK_RETRY)
            tis = {ti.task_id: ti for ti in dr.get_task_instances()}
            assert {t: str(ti.state) for t, ti in tis.items()} == DOWN
            assert str(dr.state) == "failed" and tis["stage"].try_number == 3
            _nothing_applied(world, made, batches, mark)
    messages = _failed_runs(world)
    assert len(messages) == 3  # one per run (its last try), none per retry
    for i, message in zip((1, 2, 3), messages, strict=True):
        window = f"data_interval window [{w[i].isoformat()}, {(w[i] + HALF_HOUR).isoformat()})"
        assert message.startswith(f"payments: QuickBooks could not be read for the {window}: ")
        assert f"cannot reach the OAuth discovery document at {sandbox.url}" in message
        assert (
            f"Nothing was staged or applied to the CMMS; the payment watermark stays at {mark.isoformat()}"
            in message
        )
        assert "re-run it (airflow backfill create)" in message

    # QuickBooks is back: the missed windows re-run (what `airflow backfill create` runs)
    sandbox.reset_counters()
    for i in (1, 2, 3):
        assert run_payments(logical_date=w[i] + HALF_HOUR, window="data_interval") == OK
    assert sandbox.counters()["cdc"] == 3  # one read per window
    _assert_all_applied_once(world, made)
    _assert_log_exact(world, made)
    assert _watermark(world) == w[3] + HALF_HOUR
    windows = q(
        world.engine,
        "SELECT window_start, window_end, status FROM payment_batches ORDER BY id DESC LIMIT 3",
    )
    assert [(r.window_start, r.window_end, r.status) for r in reversed(windows)] == [
        (w[i], w[i] + HALF_HOUR, "published") for i in (1, 2, 3)
    ]


def test_the_next_scheduled_run_after_an_outage_catches_up(world: World, sandbox: Any) -> None:
    """Scheduled runs (as Airflow's scheduler makes them) fail while QuickBooks is unreachable; the
    first scheduled run after it returns reads from the stored watermark, not only its interval."""
    w = _windows()
    with world.sandbox.company.backdated(w[0] - timedelta(hours=1)):
        a_id, a_qb = world.invoice("300.00")
        b_id, b_qb = world.invoice("200.00")
    assert run_payments(logical_date=w[1], window="auto", run_type="scheduled") == OK  # W0
    assert _watermark(world) == w[1]
    batches = q(world.engine, "SELECT count(*) AS n FROM payment_batches")[0].n
    with unreachable(sandbox):
        made = {"A": (a_id, a_qb), "B": (b_id, b_qb), "P": _pay_in_windows(world, w, a_qb, b_qb)}
        for i in (1, 2):
            states = run_payments(
                logical_date=w[i] + HALF_HOUR, window="auto", run_type="scheduled", retry_delay=QUICK_RETRY
            )
            assert states == DOWN
            _nothing_applied(world, made, batches, w[1])
    assert len(_failed_runs(world)) == 2

    sandbox.reset_counters()
    dr = payments_run(logical_date=w[3] + HALF_HOUR, window="auto", run_type="scheduled")  # W3's run
    assert str(dr.run_type) in ("scheduled", "DagRunType.SCHEDULED")
    assert {ti.task_id: str(ti.state) for ti in dr.get_task_instances()} == OK
    assert sandbox.counters()["cdc"] == 1  # one read from the watermark to W3's end
    _assert_all_applied_once(world, made)
    _assert_log_exact(world, made)
    batch = q(
        world.engine,
        "SELECT window_start, window_end, mode, status, validation->>'window_kind' AS kind "
        "FROM payment_batches ORDER BY id DESC LIMIT 1",
    )[0]
    assert (batch.kind, batch.mode, batch.status) == ("catch_up", "cdc", "published")
    assert (batch.window_start, batch.window_end) == (w[1] - timedelta(minutes=5), w[3] + HALF_HOUR)
    assert _watermark(world) == w[3] + HALF_HOUR
