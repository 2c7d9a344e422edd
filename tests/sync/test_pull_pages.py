"""Page-wise work of the engine: a fixed number of statements per page, mapping one page ahead,
and the push reading linked rows a page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.mapping import Mapping
from qbo_sync.qbo.client import QBOClient
from qbo_sync.sync import EntitySync
from qbo_sync.sync.push.pusher import Pusher
from tests.sync.sync_helpers import execute, qbo_all, rows, scalar


class StatementCounter:
    """Counts the statements sent to the database (one per cursor execute, executemany included)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self) -> StatementCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(" ".join(statement.split()[:3]))


def _sync(
    mappings: dict[str, Mapping], entity: str, client: QBOClient, engine: sa.Engine, sb: Any
) -> EntitySync:
    return EntitySync(mappings[entity], client, engine, realm_id=sb.realm_id, run_key=f"pages/{entity}")


def _statements_per_page(sync: EntitySync, client: QBOClient, page_size: int) -> list[list[str]]:
    ctx = sync._context()
    loader = sync._loader
    per_page = []
    pages = client.iter_pages("Customer", page_size=page_size, include_inactive=True)
    for page, mapped in loader.mapped_pages(pages):
        with StatementCounter(ctx.engine) as counter:
            loader.load_page(page, mapped)
        per_page.append(counter.statements)
    return per_page


@pytest.mark.parametrize("page_size", [4, 10])
def test_a_page_of_new_customers_costs_three_statements_whatever_its_size(
    sb: Any, engine: sa.Engine, client: QBOClient, mappings: dict[str, Mapping], page_size: int
) -> None:
    sync = _sync(mappings, "customers", client, engine, sb)
    sync.recorder.start(sync.now)
    first = _statements_per_page(sync, client, page_size)
    assert len(first) == -(-25 // page_size)
    select, insert_rows, insert_snapshots = (
        "SELECT customers.id, customers.display_name,",
        "INSERT INTO customers",
        "INSERT INTO sync_snapshots",
    )
    # the first page also reads the unlinked CMMS rows once (natural-key linking, once per run)
    assert first[0] == [select, select, insert_rows, insert_snapshots]
    for statements in first[1:]:  # read by qb_id, insert the rows, insert their snapshots
        assert statements == [select, insert_rows, insert_snapshots]
    assert scalar(engine, "SELECT count(*) FROM customers WHERE qb_id IS NOT NULL") == 25
    assert scalar(engine, "SELECT count(*) FROM sync_snapshots WHERE entity = 'customers'") == 25
    again = _statements_per_page(sync, client, page_size)
    for statements in again:  # unchanged: read rows, snapshots, open conflicts; write nothing
        assert [s.split()[0] for s in statements] == ["SELECT", "SELECT", "SELECT"]


def _failing_after(pages: list[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    yield from pages
    raise RuntimeError("QuickBooks went away")


def test_pages_read_before_a_failure_are_handed_out_mapped_and_in_order(
    sb: Any, engine: sa.Engine, client: QBOClient, mappings: dict[str, Mapping]
) -> None:
    sync = _sync(mappings, "customers", client, engine, sb)
    sync._context()
    pages = list(client.iter_pages("Customer", page_size=10, include_inactive=True))
    seen = []
    with pytest.raises(RuntimeError, match="QuickBooks went away"):
        for page, mapped in sync._loader.mapped_pages(_failing_after(pages)):
            seen.append((page, mapped))
    assert [page for page, _ in seen] == pages
    for page, mapped in seen:
        assert [row["qb_id"] for row in mapped] == [str(obj["Id"]) for obj in page]
        assert [row["display_name"] for row in mapped] == [obj["DisplayName"] for obj in page]


def test_mapping_errors_keep_their_place_and_are_counted_when_loaded(
    sb: Any, engine: sa.Engine, client: QBOClient, mappings: dict[str, Mapping]
) -> None:
    sync = _sync(mappings, "customers", client, engine, sb)
    ctx = sync._context()
    sync.recorder.start(sync.now)
    pages = list(client.iter_pages("Customer", page_size=5, include_inactive=True))
    page = pages[0]
    page[2] = {**page[2], "Taxable": "maybe"}
    mapped = sync._loader.prepare(page)
    assert isinstance(mapped[2], Exception) and all(
        isinstance(m, dict) for i, m in enumerate(mapped) if i != 2
    )
    assert ctx.counts.pulled == 0  # preparing counts nothing
    sync._loader.load_page(page, mapped)
    assert (ctx.counts.pulled, ctx.counts.created, ctx.counts.failed) == (5, 4, 1)
    assert scalar(engine, "SELECT count(*) FROM customers") == 4


def test_push_finds_edits_across_pages_and_batches_them_as_one(
    sb: Any, engine: sa.Engine, client: QBOClient, mappings: dict[str, Mapping], run_sync
) -> None:
    run_sync("customers")
    execute(engine, "UPDATE customers SET notes = 'gate code ' || id::text WHERE id % 2 = 0")
    edited = scalar(engine, "SELECT count(*) FROM customers WHERE id % 2 = 0")
    assert 1 < edited <= 30
    sb.reset_counters()
    sync = _sync(mappings, "customers", client, engine, sb)
    ctx = sync._context()
    sync.recorder.start(sync.now)
    Pusher(ctx, sync._loader, pulled_everything=True, page_size=3).push_updates()
    assert sb.counters()["batch"] == 1  # one batch of every edit, though read 3 rows at a time
    assert ctx.counts.updated == edited and ctx.counts.failed == 0
    notes = {c["Id"]: c.get("Notes") for c in qbo_all(sb, "Customer")}
    for row in rows(engine, "SELECT qb_id, notes FROM customers WHERE id % 2 = 0"):
        assert notes[row["qb_id"]] == row["notes"]
    assert scalar(engine, "SELECT count(*) FROM customers WHERE qb_status <> 'synced'") == 0
    sb.reset_counters()
    Pusher(ctx, sync._loader, pulled_everything=True, page_size=3).push_updates()
    assert sb.counters()["total"] == 0  # now agreed: nothing more to send
