"""Query statements and the paging loop (pure functions, no HTTP).

QBO pages with ``STARTPOSITION`` (1-based) and ``MAXRESULTS`` (≤ 1000). The loop stops on a short
or empty page and guards against loops (a server that keeps answering the same rows): a page whose
Ids were all seen already, or more pages than ``count / page_size + 2``, raises
:class:`~qbo_sync.qbo.errors.FatalError`. The count is asked for only once a second page is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    """A query string literal: single quotes, apostrophes escaped with a backslash."""
    return "'" + value.replace("'", "\\'") + "'"


def format_datetime(dt: datetime) -> str:
    """An offset-aware datetime as a query/CDC literal (``2026-06-01T09:00:00-07:00``)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("datetimes sent to QBO must be timezone-aware")
    return dt.isoformat(timespec="seconds")


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
) -> Iterator[list[dict[str, Any]]]:
    """Yield non-empty pages from ``fetch(start_position)``; see the module docstring."""
    seen: set[str] = set()
    start, pages, max_pages = 1, 0, None
    while True:
        rows = fetch(start)
        pages += 1
        if not rows:
            return
        ids = {str(row.get("Id")) for row in rows}
        if pages > 1 and ids <= seen:
            raise FatalError(f"paging loop: page at STARTPOSITION {start} repeats rows already read")
        seen |= ids
        yield rows
        if len(rows) < page_size:
            return
        if max_pages is None:
            max_pages = total() // page_size + 2
        if pages >= max_pages:
            raise FatalError(f"paging loop: more than {max_pages} pages of {page_size} for this query")
        start += page_size
