"""Payment benchmark: 5,000 payments spread over 24 hours, pulled window by window and in one catch-up.

A sandbox server (in this process, throttling at QBO's limits) holds 1,000 invoices the CMMS knows
(fresh PostgreSQL database each time) and 5,000 payments recorded across one day (1 in 10 unapplied,
the rest paying one or two invoices). Each run is stage → audit (Great Expectations) → publish.

1. **live**: window by window, that window's payments are recorded, then its data-interval run
   (what the 30-minute schedule does). Floor: 1 read request (one CDC call) per window.
2. **backfill after a day-long outage**: the 48 windows re-run in order over the finished day
   (``airflow backfill create``). CDC has no upper bound, so an early window's CDC answer holds the
   rest of the day (≥ 1000 objects): it falls back to windowed queries (Payment, Invoice, and the
   linked invoices changed after the window, by Id).
3. **catch-up after the outage**: one run from the start of the day to now (windowed queries:
   floor = the saturated CDC call + one page per 1000 payments and per 1000 invoices).

Per window: payments, read requests, wall time; peak Python heap (tracemalloc) of one window and of
the catch-up; every CMMS invoice balance compared to QuickBooks' at the end.

    .venv/bin/python bench/bench_payments.py [--payments 5000 --invoices 1000]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa
from _common import StaticTokens, drop_database, fresh_database, measure, peak_rss_mib

from qbo_sync.payments.window import PaymentWindow

HALF_HOUR = timedelta(minutes=30)


def seed_invoices(company, day: datetime, n_invoices: int) -> list[dict]:
    """Invoices of 1,000.00 each, created before the day."""
    customer = company.query("SELECT * FROM Customer WHERE Active = true MAXRESULTS 1")["Customer"][0]["Id"]
    item = company.query("SELECT * FROM Item WHERE Type = 'Service' MAXRESULTS 1")["Item"][0]["Id"]
    invoices = []
    with company.backdated(day - timedelta(hours=2)):
        for i in range(n_invoices):
            detail = {"ItemRef": {"value": item}, "Qty": 1, "UnitPrice": 1000.0}
            line = {"DetailType": "SalesItemLineDetail", "Amount": 1000.0, "SalesItemLineDetail": detail}
            body = {"CustomerRef": {"value": customer}, "DocNumber": f"B-{i}", "Line": [line]}
            invoices.append(company.create("Invoice", body))
    return invoices


def record_payments(company, invoices: list[dict], day: datetime, n_payments: int, window: int) -> None:
    """The payments of one 30-minute window of the day (of ``n_payments`` spread evenly over it)."""
    customer = invoices[0]["CustomerRef"]["value"]
    for k in range(n_payments):
        when = day + timedelta(seconds=(k + 0.5) * 86400 / n_payments)
        if not day + window * HALF_HOUR <= when < day + (window + 1) * HALF_HOUR:
            continue
        rng = random.Random(k)
        picks = rng.sample(invoices, 2 if k % 7 == 0 else 1) if k % 10 else []
        lines = [
            {"Amount": 12.34, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]} for inv in picks
        ]
        body = {"CustomerRef": {"value": customer}, "TotalAmt": 12.34 * max(len(picks), 1) + 1.0,
                "PaymentRefNum": f"BENCH-{k}", "Line": lines}  # fmt: skip
        with company.backdated(when):
            company.create("Payment", body)


def run_windows(engine, client, server, day: datetime, title: str, record=None) -> None:
    """48 data-interval runs in order (``record(i)`` first records window i's payments); prints figures."""
    rows = []
    sample = None
    for i in range(48):
        if record is not None:
            record(i)
        start = day + i * HALF_HOUR
        window = PaymentWindow(start, start + HALF_HOUR, "data_interval")
        if i == 24:  # peak heap of one window (tracemalloc slows Great Expectations a lot: not timed)
            sample = measure(lambda w=window: one_run(engine, client, server.realm_id, w, server.counters))
            rows.append((sample.result["payments"], sample.result["reads"], math.nan, sample.result["mode"]))
            continue
        t1 = time.perf_counter()
        r = one_run(engine, client, server.realm_id, window, server.counters)
        rows.append((r["payments"], r["reads"], time.perf_counter() - t1, r["mode"]))
    checked, wrong = balances_match(engine, server.company)
    print(f"\n{title}")
    print(f"{'':22} {'min':>8} {'median':>8} {'max':>8} {'total':>9}")
    for name, idx in (("payments", 0), ("read requests", 1), ("wall s", 2)):
        vals = [r[idx] for r in rows if not math.isnan(r[idx])]
        print(f"{name:22} {min(vals):8.2f} {statistics.median(vals):8.2f} {max(vals):8.2f} {sum(vals):9.2f}")
    assert sample is not None
    print(f"peak Python heap of one window (window 25, tracemalloc): {sample.peak_mib:.1f} MiB")
    over = sum(1 for r in rows if r[1] > 1)
    print(f"read floor per window: 1 (one CDC call); windows over the floor: {over}")
    print(f"modes: {sorted(set(r[3] for r in rows))}; payments published: {sum(r[0] for r in rows)}")
    print(f"invoice balances equal to QuickBooks': {checked - wrong}/{checked}")


def mirror_invoices(engine: sa.Engine, invoices: list[dict]) -> None:
    rows = [{"n": inv["DocNumber"], "q": inv["Id"], "t": Decimal(str(inv["TotalAmt"]))} for inv in invoices]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO invoices (invoice_number, subtotal, total, paid_amount, balance, status, qb_id, "
                "qb_status) VALUES (:n, :t, :t, 0, :t, 'open', :q, 'synced')"
            ),
            rows,
        )


def one_run(engine, client, realm, window, counters) -> dict:
    from qbo_sync.payments.run import audit_batch, publish_batch, stage_window

    before = counters()
    staged = stage_window(engine, client, realm, window, f"bench/{uuid.uuid4().hex[:6]}")
    audit_batch(engine, staged["batch_id"])
    published = publish_batch(engine, realm, staged["batch_id"])
    after = counters()
    reads = sum(after.get(k, 0) - before.get(k, 0) for k in ("query", "cdc", "read"))
    return {**staged, **published, "reads": reads}


def balances_match(engine: sa.Engine, company) -> tuple[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT qb_id, balance FROM invoices")).all()
    wrong = sum(
        1
        for r in rows
        if Decimal(str(company.read("Invoice", r.qb_id)["Balance"])).quantize(Decimal("0.01")) != r.balance
    )
    return len(rows), wrong


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--payments", type=int, default=5000)
    ap.add_argument("--invoices", type=int, default=1000)
    args = ap.parse_args()
    import logging

    logging.disable(logging.WARNING)  # not-applicable lines etc. would flood the output
    from qbo_sandbox import SandboxConfig, SandboxServer
    from qbo_sync.db.engine import create_engine
    from qbo_sync.qbo.client import QBOClient
    from qbo_sync.qbo.transport import Transport

    server = SandboxServer(SandboxConfig(port=0, throttle=True)).start()
    urls: list[str] = []
    try:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        day = now - timedelta(minutes=now.minute % 30) - timedelta(hours=25)
        invoices = seed_invoices(server.company, day, args.invoices)
        tokens = server.issue_tokens()
        client = QBOClient(Transport(server.url, server.realm_id, StaticTokens(tokens["access_token"])))
        print(
            f"{args.invoices} invoices known to the CMMS; {args.payments} payments over 24 h, throttling on"
        )

        urls.append(fresh_database(migrated=True))
        engine = create_engine(urls[-1])
        mirror_invoices(engine, invoices)
        run_windows(
            engine, client, server, day, "1. live: each window's payments recorded, then its run",
            record=lambda i: record_payments(server.company, invoices, day, args.payments, i),
        )  # fmt: skip

        urls.append(fresh_database(migrated=True))
        engine = create_engine(urls[-1])
        mirror_invoices(engine, invoices)
        run_windows(
            engine, client, server, day, "2. after a day-long outage: the 48 windows backfilled in order"
        )

        urls.append(fresh_database(migrated=True))
        engine2 = create_engine(urls[-1])
        mirror_invoices(engine2, invoices)
        m = measure(
            lambda: one_run(
                engine2, client, server.realm_id, PaymentWindow(day, None, "since_watermark"), server.counters
            )
        )
        floor = math.ceil(m.result["payments"] / 1000) + math.ceil(m.result["invoices"] / 1000) + 1
        checked, wrong = balances_match(engine2, server.company)
        print("\n3. after a day-long outage: one catch-up run over the whole day (fresh CMMS):")
        print(
            f"  mode {m.result['mode']}, payments {m.result['payments']}, "
            f"invoices read {m.result['invoices']}"
        )
        print(
            f"  read requests {m.result['reads']} "
            f"(floor {floor}: 1 saturated CDC + 1 per 1000 payments/invoices)"
        )
        t1 = time.perf_counter()
        again = one_run(
            engine2, client, server.realm_id, PaymentWindow(day, None, "since_watermark"), server.counters
        )
        print(
            f"  peak Python heap {m.peak_mib:.1f} MiB "
            f"(tracemalloc; its wall time {m.seconds:.1f} s is inflated by tracing)"
        )
        print(
            f"  the same catch-up again, untraced: {time.perf_counter() - t1:.1f} s, {again['reads']} reads, "
            f"{again['created']} created, {again['updated']} updated, {again['unchanged']} unchanged"
        )
        rss = peak_rss_mib()
        print(f"  process peak RSS {rss:.0f} MiB (includes the in-process sandbox and Great Expectations)")
        print(f"  invoice balances equal to QuickBooks': {checked - wrong}/{checked}")
        print("\n(2 shared cores, other engineers' jobs running: wall times are noisy)")
    finally:
        server.stop()
        from qbo_sync.db.engine import dispose_engines

        dispose_engines()
        for url in urls:
            drop_database(url)


if __name__ == "__main__":
    main()
