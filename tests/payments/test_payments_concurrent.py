"""Two payment runs at once (a backfill beside a scheduled run): an older read published after a
newer one changes nothing, and two publishes of one realm never interleave.

Through the run's real pieces (:mod:`qbo_sync.payments.run`: stage from the sandbox over HTTP,
audit with Great Expectations, publish on PostgreSQL), as the DAG's tasks call them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.payments.run import audit_batch, publish_batch, stage_window
from qbo_sync.payments.window import PaymentWindow
from tests.payments.conftest import World, q

MIN = timedelta(minutes=1)


def _stage(world: World, start: datetime, end: datetime, key: str) -> int:
    """Stage and audit one window (what a run's ``stage`` and ``audit`` tasks do); the batch id."""
    window = PaymentWindow(start, end, "data_interval")
    batch = stage_window(world.engine, world.client, world.sandbox.realm_id, window, key)["batch_id"]
    audit_batch(world.engine, batch)
    return batch


def _staged_totals(world: World, batch: int) -> list[str]:
    return [
        r.total
        for r in q(
            world.engine,
            "SELECT s.payload->>'TotalAmt' AS total FROM sync_staging s JOIN payment_batches b "
            "ON b.run_id = s.run_id WHERE b.id = :b AND s.entity = 'Payment' ORDER BY s.id",
            b=batch,
        )
    ]


def _run(world: World, batch: int) -> sa.Row:
    return q(
        world.engine,
        "SELECT b.status, b.finished_at, r.message, r.pulled, r.updated, r.unchanged FROM payment_batches b "
        "JOIN sync_runs r ON r.id = b.run_id WHERE b.id = :b",
        b=batch,
    )[0]


def _mark(world: World) -> datetime:
    return q(world.engine, "SELECT watermark FROM sync_watermarks WHERE entity = 'payments'")[0].watermark


def test_an_older_read_published_after_a_newer_one_is_skipped_as_superseded(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="qbo_sync.payments")
    co, realm = world.sandbox.company, world.sandbox.realm_id
    now = datetime.now(UTC).replace(microsecond=0)
    with co.backdated(now - 40 * MIN):
        a_id, a_qb = world.invoice("100.00")
    with co.backdated(now - 30 * MIN):
        pay = world.pay("30.00", {a_qb: "30.00"}, "RACE-1")

    # the backfill run reads its window while the payment is still 30.00
    older = _stage(world, now - 45 * MIN, now - 20 * MIN, "qbo_payments/backfill__1/stage/try1")
    assert _staged_totals(world, older) == ["30.0"]
    # then the payment is edited in QuickBooks, and the scheduled run reads an overlapping window
    with co.backdated(now - 10 * MIN):
        line = {"Amount": 45.0, "LinkedTxn": [{"TxnId": a_qb, "TxnType": "Invoice"}]}
        token = world.current(pay["Id"])["SyncToken"]
        edit = {"Id": pay["Id"], "SyncToken": token, "sparse": True, "TotalAmt": 45.0, "Line": [line]}
        co.update("Payment", edit)
    newer = _stage(world, now - 45 * MIN, now, "qbo_payments/scheduled__2/stage/try1")
    assert _staged_totals(world, newer) == ["45.0"]
    current = world.current(pay["Id"])
    invoice_now = co.read("Invoice", a_qb)

    # the scheduled run publishes first, the backfill after it
    assert publish_batch(world.engine, realm, newer)["created"] == 1
    caplog.clear()
    assert publish_batch(world.engine, realm, older)["updated"] == 0

    assert world.log(pay["Id"]) == {
        "date": "2026-11-30", "amount": D("45.00"), "unapplied": D("0.00"), "method": "Check",
        "reference": "RACE-1", "status": "active", "customer_id": world.customer_id,
        "paid": {world.number(a_id): D("45.00")},
    }  # fmt: skip
    stored = q(world.engine, "SELECT qb_sync_token FROM payments WHERE qb_id = :q", q=pay["Id"])[0]
    assert stored.qb_sync_token == current["SyncToken"] == "1"
    assert world.invoice_row(a_id) == (D("45.00"), D("55.00"), "partial")
    assert world.qbo_balance(a_qb) == D("55.00")
    inv = q(
        world.engine,
        "SELECT qb_balance, qb_balance_sync_token FROM invoices WHERE id = :i",
        i=a_id,
    )[0]
    assert (inv.qb_balance, inv.qb_balance_sync_token) == (D("55.00"), invoice_now["SyncToken"])

    messages = [r.getMessage() for r in caplog.records]
    staged_time = (now - 30 * MIN).isoformat(timespec="seconds")
    edited_time = (now - 10 * MIN).isoformat(timespec="seconds")
    assert (
        f"payment {pay['Id']}: the older version (SyncToken 0, changed {staged_time}) was skipped as "
        f"superseded: the CMMS already holds a newer QuickBooks version (SyncToken 1, changed "
        f"{edited_time}), published by a run that read QuickBooks later; nothing of this payment was "
        "changed"
    ) in messages
    assert any(
        m.startswith(f"invoice {world.number(a_id)} (QuickBooks {a_qb}): this batch's copy (SyncToken ")
        and m.endswith("is older than the one the CMMS holds (SyncToken "
                       f"{invoice_now['SyncToken']}, changed {edited_time}); its Balance was neither "
                       "stored nor compared")
        for m in messages
    ), messages  # fmt: skip
    run = _run(world, older)
    assert run.status == "published" and (run.pulled, run.updated, run.unchanged) == (1, 0, 0)
    assert run.message.startswith("1 payment(s): 0 new, 0 changed, 0 unchanged, 1 superseded by a newer")
    assert _mark(world) == now  # the older window did not move the watermark back


def test_a_payment_deleted_since_an_older_read_is_not_brought_back(world: World) -> None:
    co, realm = world.sandbox.company, world.sandbox.realm_id
    now = datetime.now(UTC).replace(microsecond=0)
    with co.backdated(now - 40 * MIN):
        a_id, a_qb = world.invoice("100.00")
    with co.backdated(now - 30 * MIN):
        pay = world.pay("30.00", {a_qb: "30.00"}, "RACE-2")
    publish_batch(world.engine, realm, _stage(world, now - 45 * MIN, now - 20 * MIN, "first"))
    assert world.invoice_row(a_id) == (D("30.00"), D("70.00"), "partial")

    older = _stage(world, now - 45 * MIN, now - 20 * MIN, "backfill")  # the same window again
    with co.backdated(now - 10 * MIN):
        co.delete("Payment", {"Id": pay["Id"], "SyncToken": world.current(pay["Id"])["SyncToken"]})
    newer = _stage(world, now - 15 * MIN, now, "scheduled")
    publish_batch(world.engine, realm, newer)
    publish_batch(world.engine, realm, older)

    assert world.log(pay["Id"])["status"] == "deleted"
    assert world.invoice_row(a_id) == (D("0.00"), D("100.00"), "open")
    assert world.qbo_balance(a_qb) == D("100.00")
    assert "1 superseded by a newer version" in _run(world, older).message


def _until(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait for ``check`` (polling); fail naming ``what`` when it never holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def test_two_publishes_of_one_realm_serialise(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Publish X is held inside its transaction (the test locks X's invoice row); publish Y, which
    touches another invoice and could finish at once, waits for X's lock and commits after X."""
    caplog.set_level(logging.INFO, logger="qbo_sync.payments")
    co, realm = world.sandbox.company, world.sandbox.realm_id
    now = datetime.now(UTC).replace(microsecond=0)
    with co.backdated(now - 40 * MIN):
        a_id, a_qb = world.invoice("100.00")
        b_id, b_qb = world.invoice("200.00")
    with co.backdated(now - 30 * MIN):
        world.pay("60.00", {a_qb: "60.00"}, "PAR-A")
    with co.backdated(now - 10 * MIN):
        world.pay("50.00", {b_qb: "50.00"}, "PAR-B")
    x = _stage(world, now - 35 * MIN, now - 20 * MIN, "x")  # A and its payment only
    y = _stage(world, now - 15 * MIN, now, "y")  # B and its payment only

    results: dict[str, Any] = {}

    def publish(name: str, batch: int) -> None:
        try:
            results[name] = publish_batch(world.engine, realm, batch)
        except Exception as exc:  # reported below
            results[name] = exc

    blocker = world.engine.connect()
    try:
        blocker.begin()
        blocker.execute(sa.text("SELECT id FROM invoices WHERE id = :i FOR UPDATE"), {"i": a_id})
        tx = threading.Thread(target=publish, args=("x", x))
        tx.start()
        _until(
            "publish X waits for invoice A's row",
            lambda: bool(
                q(
                    world.engine,
                    "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'",
                )
            ),
        )
        ty = threading.Thread(target=publish, args=("y", y))
        ty.start()
        _until(
            "publish Y waits for publish X",
            lambda: any(f"batch {y} waits to publish" in r.getMessage() for r in caplog.records),
        )
        assert (_run(world, x).status, _run(world, y).status) == ("staged", "staged")
        assert world.invoice_row(b_id) == (D("0.00"), D("200.00"), "open")
    finally:
        blocker.rollback()
        blocker.close()
    tx.join(60)
    ty.join(60)
    assert not tx.is_alive() and not ty.is_alive()
    assert {k: v["created"] for k, v in results.items()} == {"x": 1, "y": 1}, results
    rx, ry = _run(world, x), _run(world, y)
    assert (rx.status, ry.status) == ("published", "published")
    assert rx.finished_at < ry.finished_at
    assert world.invoice_row(a_id) == (D("60.00"), D("40.00"), "partial")
    assert world.invoice_row(b_id) == (D("50.00"), D("150.00"), "partial")
    assert (world.qbo_balance(a_qb), world.qbo_balance(b_qb)) == (D("40.00"), D("150.00"))
