"""Every QuickBooks request counts (issue 11): request counts asserted with the sandbox's counters.

- a push of 3,000 new customers: the floor number of batches, lookups in a handful of queries;
- an initial pull pages without COUNT(*);
- a quiet run returns to CDC (the watermark is the time of the read, not the newest record's).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.mapping import Mapping
from qbo_sync.qbo.budget import RequestBudget
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.transport import Transport
from qbo_sync.sync import EntitySync, SyncCounts
from qbo_sync.sync.pull.changes import check_changes
from tests.sync.conftest import StaticTokens
from tests.sync.sync_helpers import ORDER, execute, rows, scalar


def _data_requests(counters: dict[str, int]) -> int:
    return counters["total"] - counters.get("token", 0) - counters.get("revoke", 0)


def _dag_run(
    sb: Any, client: QBOClient, engine: sa.Engine, mappings: dict[str, Mapping], key: str
) -> dict[str, SyncCounts]:
    """What one ``qbo_full_sync`` run does: the change check, then every entity in order."""
    now = datetime.now(UTC)
    quiet = check_changes(mappings, client, engine, realm_id=sb.realm_id, entities=list(ORDER), now=now)
    return {
        entity: EntitySync(
            mappings[entity],
            client,
            engine,
            realm_id=sb.realm_id,
            run_key=f"{key}/{entity}",
            checked=quiet.get(entity),
        ).run()
        for entity in ORDER
    }


def test_push_of_3000_new_customers_costs_the_batch_floor_and_the_next_quiet_run_two_requests(
    sb: Any, client: QBOClient, engine: sa.Engine, mappings: dict[str, Mapping], run_sync
) -> None:
    run_sync()
    names = [{"n": f"Request Count Customer {i:05d}"} for i in range(3000)]
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO customers (display_name) VALUES (:n)"), names)
    sb.reset_counters()

    counts = _dag_run(sb, client, engine, mappings, "test/push")["customers"]

    c = sb.counters()
    assert (counts.created, counts.failed) == (3000, 0)
    # the check's one batch (tax lists + the lookup of the 3,000 names in three IN lists) and one
    # CDC; then the batch floor, ceil(3000 / 30) = 100; no other query
    assert (c["batch"], c["cdc"], c.get("query", 0)) == (101, 1, 0)
    assert _data_requests(c) == 102 <= math.floor(1.05 * 100)
    assert scalar(engine, "SELECT count(*) FROM customers WHERE qb_id IS NULL") == 0

    # the next run right after: the product's own 3,000 writes are counted, not re-read
    sb.reset_counters()
    quiet = _dag_run(sb, client, engine, mappings, "test/after-push")

    c = sb.counters()
    assert (c["batch"], c["cdc"], c.get("query", 0), _data_requests(c)) == (1, 1, 0, 2)
    assert all(run.pulled == 0 and run.created == 0 for run in quiet.values())
    sb.reset_counters()
    _dag_run(sb, client, engine, mappings, "test/quiet-again")
    assert _data_requests(sb.counters()) == 2


def test_a_quiet_full_sync_costs_two_requests_and_a_change_is_still_read(
    sb: Any, client: QBOClient, engine: sa.Engine, mappings: dict[str, Mapping], run_sync
) -> None:
    run_sync()
    sb.reset_counters()

    first = _dag_run(sb, client, engine, mappings, "test/quiet")

    c = sb.counters()
    # one batch (the tax code and tax rate lists) and one CDC for accounts, customers, items, vendors
    assert (c["batch"], c["cdc"], c.get("query", 0), _data_requests(c)) == (1, 1, 0, 2)
    assert all(run.pulled == 0 and run.failed == 0 for run in first.values())

    qb_id = scalar(engine, "SELECT qb_id FROM customers WHERE qb_id IS NOT NULL ORDER BY id LIMIT 1")
    current = sb.company.read("Customer", qb_id)
    sb.company.update(
        "Customer", {"Id": qb_id, "SyncToken": current["SyncToken"], "sparse": True, "Notes": "Call first"}
    )
    sb.reset_counters()

    second = _dag_run(sb, client, engine, mappings, "test/changed")

    assert second["customers"].updated == 1
    assert scalar(engine, "SELECT notes FROM customers WHERE qb_id = :q", q=qb_id) == "Call first"
    assert sb.counters()["cdc"] == 2  # the check's, and the customers' own read
    assert _data_requests(sb.counters()) == 3


def test_a_name_already_in_quickbooks_is_linked_by_the_batched_lookup(
    sb: Any, engine: sa.Engine, run_sync
) -> None:
    run_sync("customers")
    existing = sb.company.create("Customer", {"DisplayName": "Made By Hand Ltd"})
    # the pull has already read past it (e.g. the CMMS row was typed after that pull)
    execute(engine, "UPDATE sync_watermarks SET watermark = now() + interval '1 minute'")
    names = [{"n": f"Lookup Customer {i:03d}"} for i in range(40)] + [{"n": "Made By Hand Ltd"}]
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO customers (display_name) VALUES (:n)"), names)
    sb.reset_counters()

    counts = run_sync("customers")["customers"]

    assert (counts.created, counts.linked, counts.failed) == (40, 1, 0)
    assert sb.counters()["query"] == 1 and sb.counters()["batch"] == 2
    linked = rows(engine, "SELECT qb_id FROM customers WHERE display_name = 'Made By Hand Ltd'")
    assert linked == [{"qb_id": existing["Id"]}]


@pytest.fixture()
def big_company() -> Iterator[Any]:
    """A sandbox company with 5,000 customers (throttling off)."""
    from qbo_sandbox import SandboxConfig, SandboxServer, SeedSpec

    server = SandboxServer(SandboxConfig(port=0, throttle=False, seed=SeedSpec(customers=5000)))
    server.start()
    try:
        yield server
    finally:
        server.stop()


class _Statements(Transport):
    """The product's transport, noting every query statement it sends."""

    statements: list[str]

    def request(self, method: str, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        if path == "query":
            self.statements.append(str(kw.get("data")))
        if path == "batch":
            items = kw["json"]["BatchItemRequest"]
            self.statements += [f"batch: {i['Query']}" for i in items if "Query" in i]
        return super().request(method, path, **kw)


def test_initial_pull_of_5000_customers_costs_the_page_floor(
    big_company: Any, engine: sa.Engine, mappings: dict[str, Mapping]
) -> None:
    tokens = StaticTokens(big_company.issue_tokens()["access_token"])
    transport = _Statements(big_company.url, big_company.realm_id, tokens, budget=RequestBudget())
    transport.statements = []
    client = QBOClient(transport)
    big_company.reset_counters()

    counts = EntitySync(
        mappings["customers"], client, engine, realm_id=big_company.realm_id, run_key="test/initial"
    ).run()

    assert counts.pulled == counts.created == 5000
    # five pages, the floor: the first alone (a short one would have said the end), the second with
    # the COUNT in one batch request, so the fifth full page is known to be the last
    c = big_company.counters()
    assert (c["query"], c["batch"], _data_requests(c)) == (4, 1, 5)
    counts_asked = [s for s in transport.statements if "COUNT(" in s.upper()]
    assert counts_asked == ["batch: SELECT COUNT(*) FROM Customer WHERE Active IN (true, false)"]


def test_a_quiet_company_returns_to_cdc_and_reads_nothing_again(sb: Any, engine: sa.Engine, run_sync) -> None:
    # the demo company's records are months old: the newest record's time would be outside CDC's
    # window; the watermark is the time of the read instead
    run_sync()
    sb.reset_counters()

    again = run_sync("customers", "items", "vendors")

    c = sb.counters()
    assert (c["cdc"], c.get("query", 0), _data_requests(c)) == (3, 0, 3)
    assert all(run.pulled == 0 for run in again.values())
    marks = rows(engine, "SELECT mode FROM sync_watermarks WHERE entity IN ('customers', 'items', 'vendors')")
    assert {m["mode"] for m in marks} == {"cdc"}


def test_a_verdict_travels_through_xcom_as_text() -> None:
    from qbo_sync.sync.pull.changes import Verdict

    moment = datetime(2026, 6, 1, 9, 0, 5, 120000, tzinfo=UTC)
    verdict = Verdict(quiet_since=moment, absent_upto_id=3012, absent_as_of=moment)
    text = verdict.as_xcom()
    assert all(isinstance(v, (str, int)) for v in text.values())
    assert Verdict.from_xcom(text) == verdict
    assert Verdict.from_xcom(None) is None
    assert Verdict.from_xcom({"quiet_since": None}) == Verdict()
