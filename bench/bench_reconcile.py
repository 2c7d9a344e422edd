"""Benchmark: reconcile 20,000 invoices and 2,000 customers against QuickBooks.

The sandbox runs in its own process enforcing QBO's limits, with 100 ms latency per request; the
CMMS (PostgreSQL) first mirrors the company exactly (the setup, not measured), then one
reconciliation runs (measured): requests by kind against the floor (one page per 1000 objects of
each transaction entity, plus one request per report), wall time, peak Python heap; then a second
run after one payment is recorded in QuickBooks (it must find exactly that drift).

    .venv/bin/python bench/bench_reconcile.py [--invoices 20000 --customers 2000 --latency-ms 100]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from _common import connect, counters, drop_database, fresh_database, measure, peak_rss_mib, sandbox_process

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.reconcile.mirror import mirror_books


class ClientBooks:
    """The product's client, answering queries in the shape the mirror helper reads."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def query(self, statement: str) -> dict[str, Any]:
        return self.client.query_response(statement)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--invoices", type=int, default=20000)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--payments", type=int, default=5000)
    ap.add_argument("--latency-ms", type=int, default=100)
    args = ap.parse_args()
    from qbo_sync.db.engine import create_engine
    from qbo_sync.db.migrate import upgrade
    from qbo_sync.qbo.client import QBOClient
    from qbo_sync.qbo.transport import Transport
    from qbo_sync.reconcile.checks import validate_drifts
    from qbo_sync.reconcile.run import reconcile

    sizes = [
        "--customers",
        str(args.customers),
        "--invoices",
        str(args.invoices),
        "--payments",
        str(args.payments),
    ]
    url = fresh_database()
    t0 = time.perf_counter()
    try:
        upgrade(url)
        engine = create_engine(url)
        with sandbox_process(*sizes, "--throttle", "--latency-ms", str(args.latency_ms)) as sandbox_url:
            print(f"sandbox up with {args.invoices} invoices in {time.perf_counter() - t0:.1f} s")
            realm, tokens = connect(sandbox_url)
            client = QBOClient(Transport(sandbox_url, realm, tokens))
            ids = mirror_books(engine, ClientBooks(client))
            copied = {k.lower() + "s": len(v) for k, v in ids.items()}
            print(f"mirrored into PostgreSQL: {copied}")
            t_gx = time.perf_counter()
            validate_drifts([], [], Decimal(0))  # GX import + first context: once per process
            print(f"Great Expectations warm-up (once per task process): {time.perf_counter() - t_gx:.1f} s")
            rows = []
            for label in ("agreeing books", "after one payment in QuickBooks"):
                before = counters(sandbox_url)
                t_run = time.perf_counter()
                plain = reconcile(engine, client, realm, as_of=date.today(), run_id="bench")
                wall = time.perf_counter() - t_run
                print(f"{label}: {wall:.2f} s without tracing; phases {plain['seconds']}")
                run = measure(lambda: reconcile(engine, client, realm, as_of=date.today(), run_id="bench"))
                after = counters(sandbox_url)
                made = {k: after.get(k, 0) - before.get(k, 0) for k in ("query", "report", "total")}
                floor = (
                    math.ceil(copied["invoices"] / 1000) + 2 + 4
                )  # invoice pages + Bill + JournalEntry + reports
                made = {k: v // 2 for k, v in made.items()}  # two runs above: the plain and the traced one
                rows.append((label, made, floor, wall, run.peak_mib, run.result["differences"]))
                if label.startswith("agreeing"):
                    _record_payment(sandbox_url, realm, tokens)
            print(
                f"\nreconcile {copied['invoices']} invoices, {copied['customers']} customers, throttling on, "
                f"{args.latency_ms} ms latency"
            )
            print("| run | queries | reports | requests | floor | wall s | peak heap MiB | differences |")
            print("|---|---|---|---|---|---|---|---|")
            for label, made, floor, secs, peak, diffs in rows:
                print(
                    f"| {label} | {made['query']} | {made['report']} | {made['total']} | {floor} "
                    f"| {secs:.2f} "
                    f"| {peak:.1f} | {diffs} |"
                )
            print(f"peak RSS of this process: {peak_rss_mib():.0f} MiB")
        engine.dispose()
    finally:
        drop_database(url)


def _record_payment(url: str, realm: str, tokens: Any) -> None:
    """A payment entered in QuickBooks (not yet pulled): the second run must find one invoice's drift."""
    base = f"{url}/v3/company/{realm}"
    headers = {"Authorization": f"Bearer {tokens.access_token()}", "Accept": "application/json"}
    inv = requests.post(
        f"{base}/query",
        data="SELECT * FROM Invoice WHERE Balance > '5' MAXRESULTS 1",
        headers={**headers, "Content-Type": "application/text"},
        timeout=30,
    ).json()
    invoice = inv["QueryResponse"]["Invoice"][0]
    body = {
        "CustomerRef": invoice["CustomerRef"],
        "TotalAmt": 5.0,
        "Line": [{"Amount": 5.0, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    }
    requests.post(f"{base}/payment", json=body, headers=headers, timeout=30).raise_for_status()


if __name__ == "__main__":
    main()
