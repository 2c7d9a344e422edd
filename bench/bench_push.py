"""Push benchmark: 3,000 new customers, 500 items and 300 vendors from the CMMS into QuickBooks.

The sandbox server runs in its own process enforcing QBO's limits (500 requests/min, 10 in flight,
40 batch/min) with 100 ms latency; the CMMS is a fresh PostgreSQL database. Each way starts from a
fresh sandbox and CMMS, runs a first full sync (so the push that follows is an incremental run, the
case where lookups before creates are needed), adds the new CMMS records, then runs what one
``qbo_full_sync`` run does: the change check (``product`` way only), the reference pulls, and the
three masters concurrently (as the DAG's parallel master tasks do, sharing one request budget).
It prints:

- requests by kind (batch, query = lookups, cdc, other) against the batch floor (ceil(n/30) per
  entity), and data requests (everything but OAuth) against that floor;
- wall time against the batch-throttle floor (batches / 40 per minute);
- the requests of the quiet ``qbo_full_sync`` that follows right after the push (all six entities).

Ways: ``product`` (the engine as it is) and ``previous`` (no change check, and the lookup before
creates done as before: one query per chunk of 30 names, one chunk after the other), both in the
same run. (The figures of the code before issue 11 are in the integrator's note.)

    .venv/bin/python bench/bench_push.py [--customers 3000 --items 500 --vendors 300] [--latency-ms 100]
        [--ways product,previous]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa
from _common import connect, counters, drop_database, fresh_database, sandbox_process

ORDER = ["accounts", "tax_codes", "tax_rates", "customers", "items", "vendors"]
MASTERS = ["customers", "items", "vendors"]
BATCH_PER_MINUTE, BATCH_ITEMS = 40, 30


def add_new_records(engine: sa.Engine, customers: int, items: int, vendors: int, tag: str) -> None:
    """Rows without a QuickBooks id: the push creates them."""
    with engine.begin() as conn:
        income = conn.execute(sa.text("SELECT id FROM accounts WHERE qb_id = '15'")).scalar_one()
        conn.execute(
            sa.text("INSERT INTO customers (display_name, email) VALUES (:n, :e)"),
            [{"n": f"Bench Customer {tag} {i:05d}", "e": f"c{i}@example.com"} for i in range(customers)],
        )
        conn.execute(
            sa.text(
                "INSERT INTO items (name, item_type, unit_price, income_account_id) "
                "VALUES (:n, 'service', 95, :inc)"
            ),
            [{"n": f"Bench Service {tag} {i:05d}", "inc": income} for i in range(items)],
        )
        conn.execute(
            sa.text("INSERT INTO vendors (display_name) VALUES (:n)"),
            [{"n": f"Bench Vendor {tag} {i:05d}"} for i in range(vendors)],
        )


def data_requests(c: dict[str, int]) -> int:
    return c["total"] - c.get("token", 0) - c.get("revoke", 0)


def diff(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


def previous_lookups() -> None:
    """The earlier lookup: one query per chunk of 30 names."""
    import qbo_sync.sync.push.pusher as push

    try:
        import qbo_sync.sync.push.lookup as lookup
    except ImportError:  # the code before the lookup module: push.py did the lookups itself
        push.LOOKUP_CHUNK = 30
    else:
        lookup.LOOKUP_CHUNK = 30


def run_way(way: str, args: argparse.Namespace) -> dict[str, object]:
    from qbo_sync.db.engine import create_engine
    from qbo_sync.db.migrate import upgrade
    from qbo_sync.mapping import load_mappings
    from qbo_sync.qbo.client import QBOClient
    from qbo_sync.qbo.transport import Transport
    from qbo_sync.sync import EntitySync
    from qbo_sync.sync.pull.changes import check_changes

    if way == "previous":
        previous_lookups()
    url = fresh_database()
    try:
        upgrade(url)
        engine = create_engine(url)
        mappings = load_mappings()
        with sandbox_process("--throttle", "--latency-ms", str(args.latency_ms)) as sandbox_url:
            realm, tokens = connect(sandbox_url)
            client = QBOClient(Transport(sandbox_url, realm, tokens))

            def full_sync(key: str) -> list[Any]:
                """One qbo_full_sync run: check, reference pulls, the masters side by side."""
                verdicts: dict[str, Any] = {}
                if way == "product":
                    now = datetime.now(UTC)
                    verdicts = check_changes(
                        mappings, client, engine, realm_id=realm, entities=list(ORDER), now=now
                    )

                def sync(entity: str) -> Any:
                    return EntitySync(
                        mappings[entity],
                        client,
                        engine,
                        realm_id=realm,
                        run_key=f"{key}/{entity}",
                        checked=verdicts.get(entity),
                    ).run()

                for entity in ORDER[:3]:
                    sync(entity)
                with ThreadPoolExecutor(len(MASTERS)) as pool:
                    return list(pool.map(sync, MASTERS))

            full_sync(f"bench/{way}/first")  # links the demo company, sets the watermarks
            add_new_records(engine, args.customers, args.items, args.vendors, way)
            before = counters(sandbox_url)
            t0 = time.perf_counter()
            runs = full_sync(f"bench/{way}/push")
            seconds = time.perf_counter() - t0
            pushed = diff(counters(sandbox_url), before)
            before = counters(sandbox_url)
            full_sync(f"bench/{way}/quiet")
            quiet = diff(counters(sandbox_url), before)
        engine.dispose()
    finally:
        drop_database(url)
    created = sum(r.created for r in runs)
    failed = sum(r.failed for r in runs)
    return {"pushed": pushed, "seconds": seconds, "quiet": quiet, "created": created, "failed": failed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=3000)
    ap.add_argument("--items", type=int, default=500)
    ap.add_argument("--vendors", type=int, default=300)
    ap.add_argument("--latency-ms", type=int, default=100)
    ap.add_argument("--ways", default="product,previous")
    args = ap.parse_args()
    sizes = (args.customers, args.items, args.vendors)
    floor = sum(math.ceil(n / BATCH_ITEMS) for n in sizes)
    floor_s = floor / BATCH_PER_MINUTE * 60
    print(
        f"push of {sizes[0]} customers, {sizes[1]} items, {sizes[2]} vendors; sandbox throttling on, "
        f"latency {args.latency_ms} ms; batch floor {floor} requests, batch-throttle floor {floor_s:.1f} s"
    )
    heads = ("batch", "query", "cdc", "other", "data", "x floor", "wall s", "x floor", "quiet")
    print(f"{'way':9} " + " ".join(f"{h:>8}" for h in heads) + "   created failed")
    for way in args.ways.split(","):
        r = run_way(way.strip(), args)
        p: dict[str, int] = r["pushed"]  # type: ignore[assignment]
        data = data_requests(p)
        other = data - p.get("batch", 0) - p.get("query", 0) - p.get("cdc", 0)
        seconds: float = r["seconds"]  # type: ignore[assignment]
        quiet = data_requests(r["quiet"])  # type: ignore[arg-type]
        cells = (p.get("batch", 0), p.get("query", 0), p.get("cdc", 0), other, data)
        print(
            f"{way:9} "
            + " ".join(f"{c:>8}" for c in cells)
            + f" {data / floor:>8.2f} {seconds:>8.1f} {seconds / floor_s:>8.2f} {quiet:>8}"
            + f"   {r['created']:>7} {r['failed']:>6}"
        )
    print("data = every request but OAuth, of the whole run (check, reference pulls, masters)")
    print("quiet = data requests of the next qbo_full_sync run (six entities), right after the push")


if __name__ == "__main__":
    main()
