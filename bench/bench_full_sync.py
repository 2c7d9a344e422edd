"""Initial-sync benchmark: 20,000 customers, 5,000 items and 2,000 vendors into a fresh CMMS.

The sandbox server runs in its own process enforcing QBO's limits (500 requests/min, 10 in flight,
40 batch/min); the CMMS is a fresh PostgreSQL database. Runs the product's engine in the
product's order (accounts, tax codes, tax rates, customers, items, vendors) and prints, per entity
and in total: rows loaded, requests made against the floor (one per 1000 rows), wall time,
rows/s into PostgreSQL, and the process's peak RSS; then the requests of a quiet run right after
(the same sync again with nothing changed in QuickBooks).

    .venv/bin/python bench/bench_full_sync.py [--customers 20000 --items 5000 --vendors 2000] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa
from _common import connect, counters, drop_database, fresh_database, peak_rss_mib, sandbox_process

ORDER = ["accounts", "tax_codes", "tax_rates", "customers", "items", "vendors"]


def quiet_run(mappings, client, engine, realm: str, sandbox_url: str) -> None:
    """The next ``qbo_full_sync`` right away (nothing changed in QuickBooks): the change check, then
    every entity with its verdict; requests by step and by kind."""
    from qbo_sync.sync import EntitySync
    from qbo_sync.sync.pull.changes import check_changes

    before_all = counters(sandbox_url)
    verdicts = check_changes(mappings, client, engine, realm_id=realm, entities=ORDER, now=datetime.now(UTC))
    cells = [f"check={counters(sandbox_url)['total'] - before_all['total']}"]
    for entity in ORDER:
        before = counters(sandbox_url)["total"]
        EntitySync(
            mappings[entity],
            client,
            engine,
            realm_id=realm,
            run_key=f"bench/quiet/{entity}",
            checked=verdicts.get(entity),
        ).run()
        cells.append(f"{entity}={counters(sandbox_url)['total'] - before}")
    after = counters(sandbox_url)
    kinds = {k: after.get(k, 0) - before_all.get(k, 0) for k in ("query", "cdc", "batch")}
    total = after["total"] - before_all["total"]
    print(f"quiet run right after: {total} requests in total ({', '.join(cells)}; by kind {kinds})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--vendors", type=int, default=2000)
    ap.add_argument("--latency-ms", type=int, default=0)
    args = ap.parse_args()
    from qbo_sync.db.engine import create_engine
    from qbo_sync.db.migrate import upgrade
    from qbo_sync.mapping import load_mappings
    from qbo_sync.qbo.client import QBOClient
    from qbo_sync.qbo.transport import Transport
    from qbo_sync.sync import EntitySync

    sizes = ["--customers", str(args.customers), "--items", str(args.items), "--vendors", str(args.vendors)]
    url = fresh_database()
    try:
        upgrade(url)
        engine = create_engine(url)
        mappings = load_mappings()
        with sandbox_process(*sizes, "--throttle", "--latency-ms", str(args.latency_ms)) as sandbox_url:
            realm, tokens = connect(sandbox_url)
            client = QBOClient(Transport(sandbox_url, realm, tokens))
            print(
                f"sandbox: {' '.join(sizes[1::2])} (customers items vendors), throttling on, "
                f"latency {args.latency_ms} ms; CMMS: fresh PostgreSQL"
            )
            heads = ("rows", "requests", "floor", "wall s", "rows/s", "peakMiB")
            print(f"{'entity':10} " + " ".join(f"{h:>9}" for h in heads))
            total_rows = total_requests = total_floor = 0
            t_all = time.perf_counter()
            for entity in ORDER:
                before = counters(sandbox_url)["total"]
                t0 = time.perf_counter()
                c = EntitySync(
                    mappings[entity], client, engine, realm_id=realm, run_key=f"bench/{entity}"
                ).run()
                seconds = time.perf_counter() - t0
                made = counters(sandbox_url)["total"] - before
                rows = c.pulled
                floor = max(1, math.ceil(rows / 1000))
                total_rows, total_requests, total_floor = (
                    total_rows + rows,
                    total_requests + made,
                    total_floor + floor,
                )
                print(
                    f"{entity:10} {rows:>9} {made:>9} {floor:>9} {seconds:>9.2f} {rows / seconds:>9.0f} "
                    f"{peak_rss_mib():>9.0f}"
                )
            seconds = time.perf_counter() - t_all
            print(
                f"{'total':10} {total_rows:>9} {total_requests:>9} {total_floor:>9} {seconds:>9.2f} "
                f"{total_rows / seconds:>9.0f} {peak_rss_mib():>9.0f}"
            )
            quiet_run(mappings, client, engine, realm, sandbox_url)
            with engine.connect() as conn:
                linked = conn.execute(
                    sa.text("SELECT count(*) FROM customers WHERE qb_id IS NOT NULL")
                ).scalar()
            print(f"check: {linked} customers in the CMMS with a QB id")
        engine.dispose()
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
