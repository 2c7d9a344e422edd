"""Faults on the wire during the push's create batch: throttling (JSON and XML bodies), 5xx, a
timeout after QuickBooks committed, a connection dropped after it committed. The batch's requestid
makes every resend an answer from QuickBooks' memory: never a duplicate."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.faults.fault_helpers import execute, problems, q, record, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")

CASES = [
    ("429 burst, JSON body", {"kind": "429", "times": 3}),
    ("429 burst, XML body", {"kind": "429", "times": 3, "xml": True}),
    ("503 twice", {"kind": "503", "times": 2}),
    ("timeout after commit", {"kind": "timeout_after_commit"}),
    ("dropped connection after commit", {"kind": "drop_after_commit"}),
]


@pytest.mark.parametrize(("fault", "script"), CASES, ids=[c[0] for c in CASES])
def test_create_batch_survives(sandbox: Any, cmms: sa.Engine, fault: str, script: dict) -> None:
    assert run_dag("customers")["sync_customers"] == "success"
    names = [f"Wire {fault} {i}" for i in range(3)]
    for name in names:
        execute(cmms, "INSERT INTO customers (display_name, email) VALUES (:n, 'a@b.example')", n=name)
    sandbox.reset_counters()
    sandbox.add_fault("POST", r"/batch\?.*requestid=", **script)

    states = run_dag("customers")

    assert states["sync_customers"] == "success"
    counters = sandbox.counters()
    assert counters["write:Customer"] == 3  # executed once each; resends answered from memory
    refused = script.get("times", 1) if script["kind"] in ("429", "503") else 0
    assert counters.get("throttled", 0) == (refused if script["kind"] == "429" else 0)
    # one more /batch than the create's: the run's change check (its lookups, no requestid)
    if refused:  # refused before executing: the resend is the first to execute
        assert counters["batch"] == 1 + refused + 1 and counters.get("replayed", 0) == 0
    else:  # executed, answer lost: the resend is answered from QuickBooks' requestid memory
        assert counters["batch"] == 1 + 2 and counters["replayed"] == 1
    linked = q(cmms, "SELECT qb_id, qb_status FROM customers WHERE display_name IN :n", n=tuple(names))
    assert len(linked) == 3 and all(r.qb_id and r.qb_status == "synced" for r in linked)
    assert (
        q(cmms, "SELECT status FROM sync_runs WHERE entity = 'customers' ORDER BY id DESC LIMIT 1")[0].status
        == "success"
    )
    assert problems(sandbox, cmms, "customers") == []
    record(fault, f"success; {counters['batch']} batch calls, 3 creates, no duplicate")
