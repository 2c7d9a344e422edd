"""Fault benchmark: the fault suite's cases at a larger size, with the figures of each.

A fresh PostgreSQL CMMS and an in-process sandbox server (throttling off, so only the scripted
faults slow anything down). Per case: N new customers are created in the CMMS, the fault is
scripted on the create batches, one run of the engine pushes them, then a clean follow-up run.
Printed per case: wall time of the faulted run, batch calls, creates QuickBooks executed, the
follow-up run's creates, duplicates in QuickBooks and in the CMMS, CMMS rows left without a QB ID,
and the runs' statuses. The ``kill -9`` case kills a worker process between QuickBooks' commit and
the CMMS commit, renames every record in the CMMS, and reruns.

    .venv/bin/python bench/bench_faults.py [--customers 300]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import StaticTokens, drop_database, fresh_database

CASES: list[tuple[str, dict[str, Any] | None]] = [
    ("no fault", None),
    ("429 x4, JSON", {"kind": "429", "times": 4}),
    ("429 x4, XML", {"kind": "429", "times": 4, "xml": True}),
    ("503 x3", {"kind": "503", "times": 3}),
    ("503 x5 (all 5 attempts)", {"kind": "503", "times": 5}),
    ("timeout after commit x3", {"kind": "timeout_after_commit", "times": 3}),
    ("dropped after commit x3", {"kind": "drop_after_commit", "times": 3}),
]
CHILD = """
import sys
from qbo_sync.db.engine import create_engine
from qbo_sync.mapping import load_mappings
from qbo_sync.qbo.budget import RequestBudget
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.transport import Transport
from qbo_sync.sync import EntitySync
sys.path.insert(0, sys.argv[5])
from _common import StaticTokens
db, url, realm, token = sys.argv[1:5]
client = QBOClient(Transport(url, realm, StaticTokens(token), budget=RequestBudget(), timeout=(5, 600)))
mapping = load_mappings()["customers"]
EntitySync(mapping, client, create_engine(db), realm_id=realm, run_key="bench/kill").run()
"""


class Bench:
    def __init__(self, server: Any, db_url: str, token: str) -> None:
        from qbo_sync.db.engine import create_engine
        from qbo_sync.mapping import load_mappings
        from qbo_sync.qbo.budget import RequestBudget
        from qbo_sync.qbo.client import QBOClient
        from qbo_sync.qbo.transport import Transport

        self.server, self.db_url, self.token = server, db_url, token
        self.engine = create_engine(db_url)
        self.mapping = load_mappings()["customers"]
        transport = Transport(
            server.url, server.realm_id, StaticTokens(token), budget=RequestBudget(), throttle_wait=0.2
        )
        self.client = QBOClient(transport)
        self.runs = 0

    def fresh_budget(self) -> None:
        """Each case starts with an empty request budget: the client paces itself at 36 batch calls a
        minute (QBO allows 40), so back-to-back cases would otherwise time the pacing, not the fault."""
        from qbo_sync.qbo.budget import RequestBudget

        self.client.transport.budget = RequestBudget()

    def run(self) -> str:
        from qbo_sync.sync import EntitySync

        self.runs += 1
        sync = EntitySync(
            self.mapping,
            self.client,
            self.engine,
            realm_id=self.server.realm_id,
            run_key=f"bench/{self.runs}",
        )
        try:
            counts = sync.run()
        except Exception as exc:  # a failed run is a figure here, not the end of the benchmark
            return f"failed ({exc.__class__.__name__})"
        return "partial" if counts.failed else "success"

    def insert(self, prefix: str, n: int) -> list[str]:
        names = [f"{prefix} {i:05d}" for i in range(n)]
        with self.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO customers (display_name) VALUES (:n)"), [{"n": x} for x in names]
            )
        return names

    def figures(self) -> tuple[int, int, int]:
        """(duplicates in QuickBooks, duplicates in the CMMS, CMMS rows without a QB ID)."""
        from qbo_sync.mapping.names import name_key

        objects: list[dict[str, Any]] = []
        while True:
            statement = (
                "SELECT * FROM Customer WHERE Active IN (true, false) "
                f"STARTPOSITION {len(objects) + 1} MAXRESULTS 1000"
            )
            answer = self.server.company.query(statement)
            page = next((v for v in answer.values() if isinstance(v, list)), [])
            objects += page
            if len(page) < 1000:
                break
        qb_keys = [name_key(o["DisplayName"]) for o in objects]
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT display_name, qb_id FROM customers")).all()
        cmms_keys = [name_key(r.display_name) for r in rows]
        unlinked = sum(1 for r in rows if r.qb_id is None)
        return len(qb_keys) - len(set(qb_keys)), len(cmms_keys) - len(set(cmms_keys)), unlinked


def wire_case(bench: Bench, label: str, script: dict[str, Any] | None, n: int) -> list[Any]:
    bench.insert(label, n)
    bench.fresh_budget()
    bench.server.reset_counters()
    if script:
        bench.server.add_fault("POST", r"/batch", **script)
    t0 = time.perf_counter()
    status = bench.run()
    seconds = time.perf_counter() - t0
    c = bench.server.counters()
    bench.server.reset_counters()
    follow = bench.run()
    again = bench.server.counters().get("write:Customer", 0)
    return [
        label,
        f"{seconds:.2f}",
        c.get("batch", 0),
        c.get("write:Customer", 0),
        again,
        *bench.figures(),
        f"{status}/{follow}",
    ]


def kill_case(bench: Bench, n: int) -> list[Any]:
    names = bench.insert("Killed", n)
    bench.server.config.timeout_sleep_s = 600.0
    bench.server.add_fault("POST", r"/batch", "timeout_after_commit")
    bench.server.reset_counters()
    here = str(Path(__file__).resolve().parent)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            bench.db_url,
            bench.server.url,
            bench.server.realm_id,
            bench.token,
            here,
        ]
    )
    while bench.server.counters().get("write:Customer", 0) < min(n, 30):
        if child.poll() is not None:
            raise RuntimeError("the worker ended before QuickBooks committed")
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    bench.server.config.timeout_sleep_s = 1.0
    with bench.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE customers SET display_name = display_name || ' Renamed' WHERE display_name = ANY(:n)"
            ),
            {"n": names},
        )
    bench.fresh_budget()
    bench.server.reset_counters()
    t0 = time.perf_counter()
    status = bench.run()
    seconds = time.perf_counter() - t0
    c = bench.server.counters()
    bench.server.reset_counters()
    follow = bench.run()
    again = bench.server.counters().get("write:Customer", 0)
    with bench.engine.connect() as conn:
        abandoned = conn.execute(
            sa.text("SELECT count(*) FROM sync_runs WHERE status = 'abandoned'")
        ).scalar()
    label = f"kill -9 + rename ({abandoned} abandoned)"
    return [
        label,
        f"{seconds:.2f}",
        c.get("batch", 0),
        c.get("write:Customer", 0),
        again,
        *bench.figures(),
        f"{status}/{follow}",
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=300, help="new CMMS customers per case")
    ap.add_argument("--only", help="run only the cases whose label contains this text")
    args = ap.parse_args()
    from qbo_sandbox import SandboxConfig, SandboxServer
    from qbo_sync.db.migrate import upgrade

    server = SandboxServer(SandboxConfig(port=0, throttle=False, timeout_sleep_s=1.0))
    server.start()
    url = fresh_database()
    try:
        upgrade(url)
        bench = Bench(server, url, server.issue_tokens()["access_token"])
        bench.run()  # the first sync: the seeded company into the fresh CMMS
        print(f"{args.customers} new customers per case; sandbox in-process, throttling off; PostgreSQL CMMS")
        heads = ("wall s", "batches", "creates", "follow-up", "dup QB", "dup CMMS", "no QB ID", "runs")
        print(f"{'fault':34} " + " ".join(f"{h:>10}" for h in heads))
        only = (args.only or "").lower()
        rows = [wire_case(bench, label, s, args.customers) for label, s in CASES if only in label.lower()]
        if only in "kill -9 + rename":
            rows.append(kill_case(bench, args.customers))
        for row in rows:
            print(f"{row[0]:34} " + " ".join(f"{v!s:>10}" for v in row[1:]))
        bench.engine.dispose()
    finally:
        server.stop()
        drop_database(url)


if __name__ == "__main__":
    main()
