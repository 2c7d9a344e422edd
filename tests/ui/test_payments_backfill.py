"""``airflow backfill create`` over missed payment windows, on a real Airflow (API server,
scheduler, DAG processor, LocalExecutor: :mod:`tests.ui.airflow_stack`), the sandbox over HTTP and
the CMMS in PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from tests.payments.conftest import make_world, q
from tests.payments.test_payments_outage import (
    HALF_HOUR,
    _assert_all_applied_once,
    _assert_log_exact,
    _pay_in_windows,
    _windows,
)

pytestmark = pytest.mark.postgres
BUSY = ("queued", "running")


def _runs(stack: Any, dag_id: str = "~", **params: Any) -> list[dict[str, Any]]:
    answer = stack.api("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100, **params})
    answer.raise_for_status()
    return answer.json()["dag_runs"]


def _wait(stack: Any, done: Any, what: str, timeout: float = 420) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = _runs(stack)
        if done(runs):
            return runs
        time.sleep(3)
    raise AssertionError(f"{what} not done in {timeout:.0f} s: {runs}\n{stack.logs()}")


def test_backfill_create_reruns_the_missed_windows(
    airflow_stack: Any, cmms_db: tuple[str, Any], sandbox: Any
) -> None:
    _, engine = cmms_db
    # the runs the scheduler made when the stack started (latest intervals) finish first
    _wait(airflow_stack, lambda runs: not [r for r in runs if r["state"] in BUSY], "the start-up runs")
    mark_before = q(engine, "SELECT watermark FROM sync_watermarks WHERE entity = 'payments'")
    world = make_world(sandbox, engine, client=None)
    w = _windows()  # four 30-minute windows, the last ending two hours ago: never run
    with sandbox.company.backdated(w[0] - timedelta(hours=1)):
        a_id, a_qb = world.invoice("300.00")
        b_id, b_qb = world.invoice("200.00")
    made = {"A": (a_id, a_qb), "B": (b_id, b_qb), "P": _pay_in_windows(world, w, a_qb, b_qb)}
    assert all(world.log(p["Id"]) == {} for p in made["P"])

    started = time.monotonic()
    airflow_stack.airflow(
        "backfill", "create", "--dag-id", "qbo_payments", "--from-date", w[1].isoformat(),
        "--to-date", w[3].isoformat(), "--max-active-runs", "1",
    )  # fmt: skip
    runs = _wait(
        airflow_stack,
        lambda runs: (
            len(b := [r for r in runs if r["run_type"] == "backfill"]) == 3
            and not [r for r in b if r["state"] in BUSY]
        ),
        "the backfill's three runs",
    )
    print(f"\nairflow backfill create: 3 windows in {time.monotonic() - started:.0f} s")
    backfill = sorted((r for r in runs if r["run_type"] == "backfill"), key=lambda r: r["logical_date"])
    assert [r["state"] for r in backfill] == ["success"] * 3
    assert [r["data_interval_start"][:16] for r in backfill] == [w[i].isoformat()[:16] for i in (1, 2, 3)]

    _assert_all_applied_once(world, made)
    _assert_log_exact(world, made)
    batches = q(
        engine,
        "SELECT b.window_start, b.window_end, b.status, b.validation->>'window_kind' AS kind, r.run_key "
        "FROM payment_batches b JOIN sync_runs r ON r.id = b.run_id "
        "WHERE r.run_key LIKE 'qbo_payments/backfill__%' ORDER BY b.window_start",
    )
    assert [(b.window_start, b.window_end, b.status, b.kind) for b in batches] == [
        (w[i], w[i] + HALF_HOUR, "published", "data_interval") for i in (1, 2, 3)
    ]
    # the watermark only moves forward: to W3's end, or stays at a later start-up run's
    mark_after = q(engine, "SELECT watermark FROM sync_watermarks WHERE entity = 'payments'")
    assert [r.watermark for r in mark_after] == [max([r.watermark for r in mark_before] + [w[3] + HALF_HOUR])]
