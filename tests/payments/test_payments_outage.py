"""An outage: payments recorded in QuickBooks while no run could reach it, then the missed 30-minute
windows re-run (``airflow backfill create`` = data-interval runs; or one catch-up run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from tests.payments.conftest import World, q, run_payments

pytestmark = pytest.mark.usefixtures("airflow_db")
OK = dict.fromkeys(["preflight", "stage", "audit", "publish"], "success")
HALF_HOUR = timedelta(minutes=30)


def _windows() -> list[datetime]:
    """Starts of four consecutive 30-minute windows, the last ending two hours ago."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    slot = now - timedelta(minutes=now.minute % 30)
    first = slot - timedelta(hours=2) - 4 * HALF_HOUR
    return [first + i * HALF_HOUR for i in range(4)]


def _record_outage_payments(world: World, w: list[datetime]) -> dict[str, Any]:
    """W0 quiet; W1: P1 100 on A, P2 50 on B; W2: P3 200 on A, P2 edited to 80; W3: P4 120 on B."""
    co = world.sandbox.company
    with co.backdated(w[0] - timedelta(hours=1)):
        a_id, a_qb = world.invoice("300.00")
        b_id, b_qb = world.invoice("200.00")
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
    return {"A": (a_id, a_qb), "B": (b_id, b_qb), "P": [p1, p2, p3, p4]}


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
