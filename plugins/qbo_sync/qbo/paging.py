"""Query statements and the paging loop (pure functions, no HTTP).

QBO pages with ``STARTPOSITION`` (1-based) and ``MAXRESULTS`` (≤ 1000). The loop stops on a short
or empty page and guards against loops (a server that keeps answering the same rows): a page whose
Ids were all seen already, or more pages than ``count / page_size + 2``, raises
:class:`~qbo_sync.qbo.errors.FatalError`. The count is asked for only once a second page is needed.

It also stops once it has read ``count`` rows, instead of asking for a trailing empty page (one
request saved per loop). Trade-off: rows added while paging are still read when the pages show
it (a page holds more rows than the count left room for; paging then goes on to a short or empty
page), but when the count is a multiple of the page size and rows are added after the COUNT, the
loop ends on the full last page and those newest rows wait for the next incremental pull (whose
window starts before this pull began, so nothing is lost for good). Deletions while paging end the
loop on a short page, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from qbo_sync.qbo.errors import FatalError

MAX_PAGE_SIZE = 1000
CDC_MAX_OBJECTS = 1000
# Name-list entities return only active rows unless the query says `Active IN (true, false)`.
NAME_LISTS = frozenset(
    {
        "Account",
        "Customer",
        "Vendor",
        "Employee",
        "Item",
        "TaxCode",
        "TaxRate",
        "Class",
        "Department",
        "Term",
        "PaymentMethod",
    }
)
ACTIVE_ANY = "Active IN (true, false)"


def quote(value: str) -> str:
    """A query string literal: single quotes; a backslash escapes the next character.

    Apostrophes are escaped as ``\\'`` (Intuit's query documentation, qbo-api.md §2). A backslash
    in the value is escaped as ``\\\\`` first, so ``Acme Tools\\`` cannot escape the closing quote
    (QBO answered such a query with a 4000 "Lexical error", ruckus/quickbooks-ruby#345; escaping the
    backslash is what integrators report working, ej2/python-quickbooks#319 — not in Intuit's
    reference, so treat it as community-confirmed). The sandbox parser reads ``\\x`` as ``x`` too.
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def format_datetime(dt: datetime) -> str:
    """An offset-aware datetime as a query/CDC literal (``2026-06-01T09:00:00-07:00``)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("datetimes sent to QBO must be timezone-aware")
    return dt.isoformat(timespec="seconds")


def parse_qbo_time(raw: object) -> datetime | None:
    """A QBO timestamp (``MetaData`` times, the envelope's ``time``) as an aware datetime; None when
    absent, unreadable or without an offset."""
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def where_clause(where: str | None) -> str:
    return f" WHERE {where}" if where else ""


def with_active(entity: str, where: str | None, include_inactive: bool) -> str | None:
    """``where`` plus ``Active IN (true, false)`` for name-list entities when asked."""
    if not include_inactive or entity not in NAME_LISTS:
        return where
    return f"{where} AND {ACTIVE_ANY}" if where else ACTIVE_ANY


def page_statement(
    entity: str,
    where: str | None,
    start: int,
    page_size: int,
    order_by: str = "Id",
    include_inactive: bool = False,
) -> str:
    """``SELECT * FROM entity [WHERE ..] ORDERBY .. STARTPOSITION n MAXRESULTS m``."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise FatalError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    clause = where_clause(with_active(entity, where, include_inactive))
    order = f" ORDERBY {order_by}" if order_by else ""
    return f"SELECT * FROM {entity}{clause}{order} STARTPOSITION {start} MAXRESULTS {page_size}"


def query_rows(query_response: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a ``QueryResponse`` (no entity key means no rows)."""
    for value in query_response.values():
        if isinstance(value, list):
            return value
    return []


def iter_pages(
    fetch: Callable[[int], list[dict[str, Any]]],
    total: Callable[[], int],
    page_size: int,
    ahead: int = 0,
) -> Iterator[list[dict[str, Any]]]:
    """Yield non-empty pages from ``fetch(start_position)``; see the module docstring.

    ``ahead`` > 0 fetches up to that many of the counted pages concurrently while the caller works
    on the current one (threads; pages are still yielded in order, at most ``ahead`` held unread).
    """
    guard = _LoopGuard(page_size)
    rows = fetch(1)
    if not rows:
        return
    guard.check(rows, 1)
    yield rows
    if len(rows) < page_size:
        return
    count = total()
    guard.max_pages = count // page_size + 2
    read, start, grew = len(rows), 1 + page_size, False
    with _Pages(fetch, ahead, page_size, last_start=count) as pages:
        while read < count or grew:
            if guard.pages >= guard.max_pages:
                raise FatalError(
                    f"paging loop: more than {guard.max_pages} pages of {page_size} for this query"
                )
            rows = pages.get(start)
            if not rows:
                return
            guard.check(rows, start)
            read += len(rows)
            grew = grew or read > count
            yield rows
            if len(rows) < page_size:
                return
            start += page_size


class _LoopGuard:
    """Raises FatalError on a page whose rows were all read already."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self.seen: set[str] = set()
        self.pages = 0
        self.max_pages = 2**62

    def check(self, rows: list[dict[str, Any]], start: int) -> None:
        self.pages += 1
        ids = {str(row.get("Id")) for row in rows}
        if self.pages > 1 and ids <= self.seen:
            raise FatalError(f"paging loop: page at STARTPOSITION {start} repeats rows already read")
        self.seen |= ids


class _Pages:
    """Pages by start position, fetched up to ``ahead`` pages in advance (never past ``last_start``)."""

    def __init__(self, fetch: Callable[[int], list[dict[str, Any]]], ahead: int, size: int, last_start: int):
        self.fetch, self.ahead, self.size, self.last_start = fetch, ahead, size, last_start
        self.pool = ThreadPoolExecutor(ahead + 1, thread_name_prefix="qbo-page") if ahead > 0 else None
        self.pending: dict[int, Future[list[dict[str, Any]]]] = {}

    def __enter__(self) -> _Pages:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def get(self, start: int) -> list[dict[str, Any]]:
        if self.pool is None:
            return self.fetch(start)
        for nxt in range(start, start + self.size * (self.ahead + 1), self.size):
            if nxt not in self.pending and (nxt == start or nxt <= self.last_start):
                self.pending[nxt] = self.pool.submit(self.fetch, nxt)
        return self.pending.pop(start).result()
