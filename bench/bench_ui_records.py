"""QuickBooks page benchmark: the figures and the View list over 20,000 customers.

A fresh PostgreSQL CMMS gets 20,000 customers (2% failed, 1% in conflict, 5% waiting, the rest
synced); then times what the page asks for: the per-entity figures, the first page, a page deep
in the list, failures only, and a search. Prints the median of 5 runs of each in milliseconds.

    .venv/bin/python bench/bench_ui_records.py [--customers 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable

import sqlalchemy as sa

from qbo_sync.db.engine import create_engine
from qbo_sync.db.migrate import upgrade
from qbo_sync.ui.entities import RecordQuery, records, summary

ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _status(i: int) -> tuple[str, str | None, str | None]:
    if i % 50 == 0:
        return "error", None, f"Customer 'C{i}': QuickBooks refused the create: duplicate name."
    if i % 100 == 1:
        return "conflict", str(100000 + i), "display name edited on both sides"
    if i % 20 == 2:
        return "not_synced", None, None
    return "synced", str(100000 + i), None


def seed(engine: sa.Engine, n: int) -> None:
    rows = []
    for i in range(n):
        status, qb_id, error = _status(i)
        rows.append(
            {
                "display_name": f"Customer {i:05d} Facilities",
                "qb_status": status,
                "qb_id": qb_id,
                "qb_error": error,
                "active": True,
            }
        )
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO customers (display_name, qb_status, qb_id, qb_error, active) "
                "VALUES (:display_name, :qb_status, :qb_id, :qb_error, :active)"
            ),
            rows,
        )
        conn.execute(sa.text("ANALYZE customers"))


def timed(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20000)
    args = parser.parse_args()
    name = f"qbo_bench_ui_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        engine = create_engine(url)
        seed(engine, args.customers)
        last = args.customers // 50
        cases = {
            "figures of all 9 entities": lambda: summary(engine),
            "View, page 1 of 50": lambda: records(engine, "customers", RecordQuery()),
            f"View, page {last} (the last, 50 a page)": lambda: records(
                engine, "customers", RecordQuery(page=last)
            ),
            "View, failed only": lambda: records(engine, "customers", RecordQuery(status="failed")),
            "View, search '0123'": lambda: records(engine, "customers", RecordQuery(search="0123")),
        }
        print(f"QuickBooks page over {args.customers} customers (PostgreSQL, median of 5, machine shared)")
        print(f"{'what':40} {'ms':>8}")
        for what, fn in cases.items():
            print(f"{what:40} {timed(fn):8.1f}")
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
