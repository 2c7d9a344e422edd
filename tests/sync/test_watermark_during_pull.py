"""The watermark of a full pull never passes the pull's start: edits made while it pages are pulled
by the next incremental run, even on a page that was already read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from qbo_sync.qbo.client import QBOClient
from tests.sync.sync_helpers import scalar


def _edit(sb: Any, qb_id: str, notes: str) -> None:
    current = sb.company.read("Customer", qb_id)
    sb.company.update(
        "Customer", {"Id": qb_id, "SyncToken": current["SyncToken"], "sparse": True, "Notes": notes}
    )


def _small_pages(client: QBOClient, between: Callable[[list[dict[str, Any]]], None]) -> None:
    """Make the client read pages of 5, one at a time, calling ``between(first_page)`` once the
    first page was read and before the second is asked for."""
    original = client.iter_pages

    def iter_pages(entity: str, where: str | None = None, **kw: Any) -> Iterator[list[dict[str, Any]]]:
        kw.update(page_size=5, ahead=0)
        for n, page in enumerate(original(entity, where, **kw)):
            yield page
            if n == 0:
                between(page)

    client.iter_pages = iter_pages  # type: ignore[method-assign]


def test_edit_on_a_read_page_during_a_full_pull_is_pulled_next_run(
    sb: Any, client: QBOClient, engine: sa.Engine, run_sync
) -> None:
    edited: dict[str, str] = {}

    def between(first_page: list[dict[str, Any]]) -> None:
        read_id = str(first_page[1]["Id"])
        _edit(sb, read_id, "Edited while its page was loading")
        sb.advance_clock(6 * 60)  # the next edit is more than the overlap later
        unread = [c for c in _customer_ids(sb) if c not in {str(o["Id"]) for o in first_page}]
        _edit(sb, unread[-1], "Edited on a page not read yet")
        edited.update(read=read_id, unread=unread[-1])

    _small_pages(client, between)
    first = run_sync("customers")
    assert first["customers"].pulled == 25 and edited
    notes = "SELECT notes FROM customers WHERE qb_id = :q"
    assert scalar(engine, notes, q=edited["unread"]) == "Edited on a page not read yet"
    assert scalar(engine, notes, q=edited["read"]) != "Edited while its page was loading"

    sb.reset_counters()
    again = run_sync("customers")

    assert sb.counters()["cdc"] == 1
    assert scalar(engine, notes, q=edited["read"]) == "Edited while its page was loading"
    assert again["customers"].updated == 1 and again["customers"].failed == 0


def _customer_ids(sb: Any) -> list[str]:
    answer = sb.company.query("SELECT * FROM Customer WHERE Active IN (true, false) MAXRESULTS 1000")
    objs = next(v for v in answer.values() if isinstance(v, list))
    return [str(o["Id"]) for o in objs]
