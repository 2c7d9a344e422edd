"""A worker killed (``kill -9``, a real subprocess) between QuickBooks' commit and the CMMS commit,
the records renamed in the CMMS before the rerun: the rerun links them by what was sent, renames
them in QuickBooks, and marks the killed run abandoned (defects 2 and 3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.report import sync_report
from tests.faults.fault_helpers import execute, problems, q, qbo_all, record, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")

TASK = (
    "from qbo_sync.sync.tasks import sync_entity\n"
    "sync_entity('customers', {'params': {'entities': ['customers']}})\n"
)
NAMES = ["Crash Alpha", "Crash Beta", "Crash Gamma"]


def _kill_after_commit(sandbox: Any) -> None:
    """Run the customers task in a subprocess; kill -9 it once QuickBooks created the three."""
    sandbox.config.timeout_sleep_s = 60.0  # QuickBooks commits, then the answer never comes
    sandbox.add_fault("POST", r"/batch\?.*requestid=", "timeout_after_commit")
    proc = subprocess.Popen([sys.executable, "-c", TASK], env=dict(os.environ))
    try:
        deadline = time.monotonic() + 90
        while sandbox.counters().get("write:Customer", 0) < len(NAMES):
            assert proc.poll() is None, "the task ended before QuickBooks committed"
            assert time.monotonic() < deadline, "QuickBooks never received the create batch"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sandbox.config.timeout_sleep_s = 1.0


def test_kill_between_commits_then_rename(sandbox: Any, cmms: sa.Engine) -> None:
    assert run_dag("customers")["sync_customers"] == "success"
    for name in NAMES:
        execute(cmms, "INSERT INTO customers (display_name) VALUES (:n)", n=name)
    sandbox.reset_counters()

    _kill_after_commit(sandbox)

    created = {o["DisplayName"]: o["Id"] for o in qbo_all(sandbox, "Customer") if o["DisplayName"] in NAMES}
    assert sorted(created) == sorted(NAMES)  # QuickBooks committed ...
    assert (
        q(
            cmms,
            "SELECT count(*) AS n FROM customers WHERE display_name IN :n AND qb_id IS NULL",
            n=tuple(NAMES),
        )[0].n
        == 3
    )  # ... the CMMS did not
    assert [r.status for r in q(cmms, "SELECT status FROM sync_sends ORDER BY id")] == ["sent"] * 3
    killed = q(cmms, "SELECT id, status FROM sync_runs WHERE entity = 'customers' ORDER BY id DESC LIMIT 1")[
        0
    ]
    assert killed.status == "running"
    for name in NAMES:  # renamed in the CMMS before anyone reruns
        execute(
            cmms,
            "UPDATE customers SET display_name = :r WHERE display_name = :n",
            r=f"{name} Renamed",
            n=name,
        )
    sandbox.reset_counters()

    assert run_dag("customers")["sync_customers"] == "success"

    rows = q(cmms, "SELECT display_name, qb_id FROM customers WHERE display_name LIKE 'Crash %' ORDER BY id")
    assert [(r.display_name, r.qb_id) for r in rows] == [(f"{n} Renamed", created[n]) for n in NAMES]
    in_qbo = sorted(
        o["DisplayName"] for o in qbo_all(sandbox, "Customer") if o["DisplayName"].startswith("Crash ")
    )
    assert in_qbo == sorted(f"{n} Renamed" for n in NAMES)  # renamed there, not created twice
    assert sandbox.counters()["write:Customer"] == 3  # three updates, no create
    assert problems(sandbox, cmms, "customers") == []
    sends = q(cmms, "SELECT status, qb_id, outcome FROM sync_sends ORDER BY id")
    assert [(s.status, s.qb_id) for s in sends] == [("resolved", created[n]) for n in NAMES]
    assert all(s.outcome.startswith("found in QuickBooks by the name sent") for s in sends)
    run = q(cmms, "SELECT status, finished_at, message FROM sync_runs WHERE id = :i", i=killed.id)[0]
    assert run.status == "abandoned" and run.finished_at is not None
    assert run.message.startswith("abandoned: the customers run manual (started ")
    assert "left 3 send(s) to QuickBooks unanswered" in run.message
    assert f"abandoned run: customers: {run.message}" in sync_report(cmms)
    record("kill -9 between the commits, then renamed", "linked by the name sent, renamed in QuickBooks")
    record("killed run left 'running'", "marked abandoned by the next run; the report says so")
