"""Transaction-push benchmark: 3,000 invoices of three lines each into QuickBooks.

The sandbox server runs in its own process enforcing QBO's limits (500 requests/min, 10 in flight,
40 batch requests/min) with 100 ms latency per request; the CMMS is a fresh PostgreSQL database
whose accounts, tax codes, customers and items were synced first. Prints the push's batch requests
against the floor (one per 30 invoices), its other requests (lookups, reads, single writes)
against zero, and its wall time against the throttle floor (batches ÷ 40 per minute), then checks
that QuickBooks holds exactly one invoice per CMMS invoice.

    .venv/bin/python bench/bench_transactions.py [--invoices 3000] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests
import sqlalchemy as sa
from _common import connect, counters, drop_database, fresh_database, peak_rss_mib, sandbox_process

MASTERS = ["accounts", "tax_codes", "tax_rates", "customers", "items"]


def add_invoices(engine: sa.Engine, n: int) -> None:
    """``n`` open invoices of three lines each over the linked customers and items (bulk inserts)."""
    with engine.begin() as conn:
        customers = list(
            conn.execute(
                sa.text("SELECT id FROM customers WHERE qb_id IS NOT NULL AND active ORDER BY id")
            ).scalars()
        )
        items = list(
            conn.execute(
                sa.text("SELECT id FROM items WHERE qb_id IS NOT NULL AND active ORDER BY id")
            ).scalars()
        )
        heads, lines = [], []
        for i in range(n):
            amounts = [
                (Decimal(k + 1) * Decimal(f"{10 + i % 50}.25")).quantize(Decimal("0.01")) for k in range(3)
            ]
            heads.append({"n": f"B-{i:05d}", "c": customers[i % len(customers)], "t": sum(amounts)})
            for k, amount in enumerate(amounts):
                lines.append(
                    {
                        "n": f"B-{i:05d}",
                        "no": k + 1,
                        "it": items[(i + k) % len(items)],
                        "q": k + 1,
                        "p": f"{10 + i % 50}.25",
                        "a": amount,
                    }
                )
        conn.execute(
            sa.text(
                "INSERT INTO invoices (invoice_number, customer_id, invoice_date, due_date, subtotal, total, "
                "balance, "
                "status) VALUES (:n, :c, '2026-11-20', '2026-12-20', :t, :t, :t, 'open')"
            ),
            heads,
        )
        conn.execute(
            sa.text(
                "INSERT INTO invoice_lines (invoice_id, line_no, item_id, description, quantity, unit_price, "
                "amount) "
                "SELECT id, :no, :it, 'work', :q, :p, :a FROM invoices WHERE invoice_number = :n"
            ),
            lines,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--invoices", type=int, default=3000)
    ap.add_argument("--latency-ms", type=int, default=100)
    args = ap.parse_args()
    from qbo_sync.db.engine import create_engine
    from qbo_sync.db.migrate import upgrade
    from qbo_sync.mapping import load_mappings
    from qbo_sync.qbo.client import QBOClient
    from qbo_sync.qbo.transport import Transport
    from qbo_sync.sync import EntitySync
    from qbo_sync.sync.push.txn import TransactionPush, describe

    url = fresh_database()
    try:
        upgrade(url)
        engine = create_engine(url)
        mappings = load_mappings()
        with sandbox_process("--throttle", "--latency-ms", str(args.latency_ms)) as sandbox_url:
            realm, tokens = connect(sandbox_url)
            client = QBOClient(Transport(sandbox_url, realm, tokens))
            for entity in MASTERS:
                EntitySync(mappings[entity], client, engine, realm_id=realm, run_key=f"bench/{entity}").run()
            add_invoices(engine, args.invoices)
            time.sleep(60)  # let the masters' requests leave the throttle's one-minute window
            requests.post(sandbox_url + "/_sandbox/reset-counters", timeout=10).raise_for_status()
            t0 = time.perf_counter()
            counts = TransactionPush(
                mappings["invoices"], client, engine, realm_id=realm, run_key="bench/invoices"
            ).run()
            seconds = time.perf_counter() - t0
            made = counters(sandbox_url)
            batches, floor = made["batch"], math.ceil(args.invoices / 30)
            others = made["total"] - batches
            throttle_floor = batches / 40 * 60  # the floor: batches ÷ 40 per minute
            window_floor = (math.ceil(batches / 40) - 1) * 60  # 40 per sliding minute: last window opens
            print(
                f"{args.invoices} invoices x 3 lines; sandbox throttling on, latency {args.latency_ms} ms; "
                "CMMS: fresh PostgreSQL"
            )
            print(f"{'figure':42} {'measured':>10} {'floor':>10}")
            print(f"{'batch requests':42} {batches:>10} {floor:>10}")
            print(f"{'other requests (lookups, reads)':42} {others:>10} {0:>10}")
            print(
                f"{'wall time, s (floor: batches / 40 per min)':42} {seconds:>10.1f} {throttle_floor:>10.1f}"
            )
            print(
                f"{'wall time, s (floor: last 40-per-min window)':42} {seconds:>10.1f} {window_floor:>10.1f}"
            )
            print(f"{'throttled (429) answers':42} {made['throttled']:>10} {0:>10}")
            print(f"counts: {describe(counts)}; peak RSS {peak_rss_mib():.0f} MiB")
            found = client.count("Invoice", "DocNumber LIKE 'B-%'")
            with engine.connect() as conn:
                linked = conn.execute(
                    sa.text("SELECT count(*) FROM invoices WHERE qb_id IS NOT NULL")
                ).scalar()
            print(f"check: {found} invoices in QuickBooks, {linked} CMMS invoices with a QB id")
        engine.dispose()
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
