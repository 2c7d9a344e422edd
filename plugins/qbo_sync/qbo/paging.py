"""Query statements, the page type and the paging loop (pure functions, no HTTP).

QBO pages with ``STARTPOSITION`` (1-based) and ``MAXRESULTS`` (≤ 1000). The loop stops on a short
or empty page: a short page already says the end, so a read that fits one page costs one request and
never asks for ``COUNT(*)`` (qbo-api.md §2). When the first page comes back full, the second page is
asked for together with ``COUNT(*)`` of the same statement, as two ``Query`` items of one ``/batch``
request (``fetch_counted``; Intuit's batch reference: "read" items of any query), so a read of an
exact multiple of the page size ends on its last full page instead of one trailing empty page:
20,000 rows cost 20 requests, not 21. Where the count is missing (a fault on that item, no
``totalCount``: whether QBO answers COUNT inside a batch is UNCONFIRMED), the loop falls back to the
short or empty page. The client asks for the count only on full reads of a list (no WHERE; inactive
rows included), whose rows can only be added after the last one while paging; rows created after
the first page are then not read by this pass, and the caller's watermark (the first page's server
time) makes the next read find them. Only a page ending exactly at the count ends the read.

Pages are read ahead without knowing the total: once a page comes back *full*, the next one is
requested at once, while the caller handles the current page, so reading overlaps loading and no
request is made that a one-page-at-a-time reader would not have made too (``ahead=1``). A larger
``ahead`` keeps more pages in flight at the price of up to ``ahead - 1`` requests past the end.

A loop guard raises :class:`~qbo_sync.qbo.errors.FatalError` on a page whose Ids were all read
already (a server that keeps answering the same rows).

Every page is a :class:`Page`: its rows and the server time QuickBooks answered it at (the
envelope's ``time``), so a caller knows when its read happened without asking the transport.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from qbo_sync.qbo.errors import FatalError

MAX_PAGE_SIZE = 1000
CDC_MAX_OBJECTS = 1000
# Entities CDC does not support (qbo-api.md §3; Intuit's change-data-capture page): read by query.
NOT_IN_CDC = frozenset({"JournalCode", "TaxAgency", "TimeActivity", "TaxCode", "TaxRate"})
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


class Page(list):  # list[dict[str, Any]] at runtime; typed through the constructor
    """The rows of one query answer and the server time QuickBooks read them at (``None`` when
    the answer had no readable ``time``)."""

    def __init__(self, rows: Iterable[dict[str, Any]] = (), server_time: datetime | None = None) -> None:
        super().__init__(rows)
        self.server_time = server_time


def iter_pages(
    fetch: Callable[[int], Page],
    page_size: int,
    ahead: int = 0,
    fetch_counted: Callable[[int], tuple[Page, int | None]] | None = None,
) -> Iterator[Page]:
    """Yield the pages of ``fetch(start_position)`` up to a short or empty page (module docstring).

    The first page is always yielded, even when empty (its server time tells when the read was
    made); later empty pages are not. ``ahead`` > 0 requests up to that many further pages as soon
    as a page comes back full, while the caller works on it (threads; pages are still yielded in
    order). ``fetch_counted(start)``, when given, answers the second page and the total row count
    in one request; a full page that reaches the total is then the last."""
    guard = LoopGuard()
    with PagesAhead(Fetcher(fetch, page_size, fetch_counted), ahead, page_size) as pages:
        start = 1
        while True:
            rows = pages.get(start)
            if start > 1 and not rows:
                return
            guard.check(rows, start)
            more = len(rows) >= page_size and not pages.fetcher.ends_at(start + page_size - 1)
            if more:
                pages.request_after(start)
            yield rows
            if not more:
                return
            start += page_size


class Fetcher:
    """Pages by start position; the second one with the total when ``counted`` is given."""

    def __init__(
        self,
        fetch: Callable[[int], Page],
        size: int,
        counted: Callable[[int], tuple[Page, int | None]] | None,
    ) -> None:
        self.fetch, self.size, self.counted = fetch, size, counted
        self.total: int | None = None

    def __call__(self, start: int) -> Page:
        if self.counted is None or start != 1 + self.size:
            return self.fetch(start)
        page, self.total = self.counted(start)
        return page

    def ends_at(self, last_position: int) -> bool:
        """Whether the total read with the second page says ``last_position`` is the last row.

        Only an exact match ends the read: a count the rows already outnumber is stale (rows were
        created while paging), and the loop reads on to a short or empty page."""
        return self.total is not None and last_position == self.total


class LoopGuard:
    """Raises FatalError on a page whose rows were all read already."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.pages = 0

    def check(self, rows: list[dict[str, Any]], start: int) -> None:
        self.pages += 1
        ids = {str(row.get("Id")) for row in rows}
        if self.pages > 1 and ids <= self.seen:
            raise FatalError(f"paging loop: page at STARTPOSITION {start} repeats rows already read")
        self.seen |= ids


class PagesAhead:
    """Pages by start position; :meth:`request_after` starts fetching the next ``ahead`` pages."""

    def __init__(self, fetcher: Fetcher, ahead: int, size: int) -> None:
        self.fetcher, self.ahead, self.size = fetcher, ahead, size
        self.pool = ThreadPoolExecutor(ahead, thread_name_prefix="qbo-page") if ahead > 0 else None
        self.pending: dict[int, Future[Page]] = {}

    def __enter__(self) -> PagesAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def request_after(self, start: int) -> None:
        if self.pool is None:
            return
        for nxt in range(start + self.size, start + self.size * (self.ahead + 1), self.size):
            if nxt not in self.pending and not self.fetcher.ends_at(nxt - 1):
                self.pending[nxt] = self.pool.submit(self.fetcher, nxt)

    def get(self, start: int) -> Page:
        future = self.pending.pop(start, None)
        return future.result() if future is not None else self.fetcher(start)
