"""Read benchmark: pull 20,000 customers from the sandbox with QBO's throttling on and 100 ms latency.

Prints, for the product's client (pages of 1000, one page read ahead, the COUNT riding with the
second page in one batch request) and for the naive way (pages of 100, one request at a time), in
the same run: requests made (queries + batches) against the floor (one per 1000 rows),
wall time against the throttle floor, rows/s and peak memory (Python heap, tracemalloc).

    .venv/bin/python bench/bench_read.py [--customers 20000] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import connect, counters, measure, sandbox_process

QBO_PER_MINUTE, QBO_IN_FLIGHT, QBO_MAX_PAGE = 500, 10, 1000


def throttle_floor(requests_made: int, latency_s: float) -> float:
    """The least wall time any client could take for this many requests under QBO's limits."""
    by_concurrency = math.ceil(requests_made / QBO_IN_FLIGHT) * latency_s
    by_rate = max(0, math.ceil(requests_made / QBO_PER_MINUTE) - 1) * 60.0
    return max(by_concurrency, by_rate)


def reads(c: dict[str, int]) -> int:
    return c.get("query", 0) + c.get("batch", 0)


def read_all(client: object, page_size: int, ahead: int | None) -> int:
    """Rows read; ``ahead=None`` is the client's default, ``0`` one page at a time."""
    kw = {} if ahead is None else {"ahead": ahead}
    pages = client.iter_pages("Customer", page_size=page_size, include_inactive=True, **kw)  # type: ignore[attr-defined]
    return sum(len(page) for page in pages)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--latency-ms", type=int, default=100)
    args = ap.parse_args()
    from qbo_sync.qbo.client import QBOClient
    from qbo_sync.qbo.transport import Transport

    latency = args.latency_ms / 1000
    with sandbox_process(
        "--customers", str(args.customers), "--throttle", "--latency-ms", str(args.latency_ms)
    ) as url:
        realm, tokens = connect(url)
        client = QBOClient(Transport(url, realm, tokens))
        total = client.count("Customer", "Active IN (true, false)")
        floor = math.ceil(total / QBO_MAX_PAGE)
        print(
            f"sandbox: {total} customers, throttling on (500/min, 10 in flight), latency {args.latency_ms} ms"
        )
        heads = ("rows", "requests", "floor", "wall s", "floor s", "rows/s", "peak MiB")
        print(f"{'way':34} " + " ".join(f"{h:>9}" for h in heads))
        ways = (("client, pages of 1000", 1000, None), ("naive, pages of 100, 1 at a time", 100, 0))
        for label, page_size, ahead in ways:
            before = reads(counters(url))
            m = measure(lambda ps=page_size, ah=ahead: read_all(client, ps, ah))
            made = reads(counters(url)) - before
            print(
                f"{label:34} {m.result:>9} {made:>9} {floor:>9} {m.seconds:>9.2f} "
                f"{throttle_floor(made, latency):>9.2f} {m.result / m.seconds:>9.0f} {m.peak_mib:>9.1f}"
            )


if __name__ == "__main__":
    main()
