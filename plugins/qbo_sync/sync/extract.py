"""Reading QuickBooks: which objects changed since the watermark (design decision 5).

- Reference data (pull-only mappings: accounts, tax codes, tax rates): every object, every run,
  inactive ones too (TaxCode/TaxRate are not in CDC anyway).
- Masters: every object the first time (no watermark) or on ``full_refresh``; then CDC while the
  watermark is younger than 30 days and the answer is not saturated (≥ 1000 objects), else
  ``LastUpdatedTime`` queries from the watermark on.

Objects are deduplicated on (Id, SyncToken) within the run (overlap windows repeat some). The
watermark to store afterwards is the CDC response time; for a full or query pull it is the latest
``LastUpdatedTime`` seen but never later than the server time of the pull's first answer (else,
a query that found nothing, that server time), minus :data:`OVERLAP`. A full or query pull reads
pages by Id while QuickBooks keeps changing: an object edited on a page already read is not seen
again by this pull, so only the time the pull started bounds what it is sure to have read. The
caller stores the watermark only after the load committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from qbo_sync.mapping import Mapping
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.paging import parse_qbo_time

log = logging.getLogger("qbo_sync.sync")

OVERLAP = timedelta(minutes=5)
CDC_MAX_AGE = timedelta(days=29)  # QBO allows 30; keep a day of margin for clock skew


def plan_mode(mapping: Mapping, mark: datetime | None, full_refresh: bool, now: datetime) -> str:
    """``full``, ``cdc`` or ``query``."""
    if mapping.direction == "pull" or full_refresh or mark is None:
        return "full"
    return "cdc" if now - mark < CDC_MAX_AGE else "query"


def _last_updated(obj: dict[str, Any]) -> datetime | None:
    return parse_qbo_time((obj.get("MetaData") or {}).get("LastUpdatedTime"))


class Extract:
    """The pages of QuickBooks objects to load in one run, and the watermark they justify."""

    def __init__(self, mapping: Mapping, client: QBOClient, mark: datetime | None, mode: str) -> None:
        self.mapping = mapping
        self.client = client
        self.mark = mark
        self.mode = mode
        self.high: datetime | None = None
        self.start_time: datetime | None = None  # server time of a full/query pull's first answer
        self.quiet_time: datetime | None = None  # server time of a query that found no change
        self._seen: set[tuple[str, str]] = set()

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """Deduplicated, non-empty pages; ``high`` is final once this is exhausted."""
        for page in self._raw_pages():
            fresh = []
            for obj in page:
                key = (str(obj.get("Id")), str(obj.get("SyncToken")))
                if key in self._seen:
                    continue
                self._seen.add(key)
                self._see(_last_updated(obj))
                fresh.append(obj)
            if fresh:
                yield fresh

    def _see(self, moment: datetime | None) -> None:
        if moment is not None and (self.high is None or moment > self.high):
            self.high = moment

    def _raw_pages(self) -> Iterator[list[dict[str, Any]]]:
        entity = self.mapping.qbo_entity
        if self.mode == "cdc":
            assert self.mark is not None
            result = self.client.cdc([entity], self.mark)
            if not result.saturated:
                deleted = result.deleted.get(entity) or []
                if deleted:
                    log.info(
                        "%s: QuickBooks reports %d deleted object(s); kept in the CMMS", entity, len(deleted)
                    )
                self._see(result.time)
                yield result.changes.get(entity) or []
                return
            log.info("%s: CDC answer is saturated; reading changes with LastUpdatedTime queries", entity)
            self.mode = "query"
        if self.mode == "query":
            assert self.mark is not None
            found = False
            pages = self.client.query_changed_since(entity, self.mark, include_inactive=True)
            for page in self._timed(pages):
                found = found or bool(page)
                yield page
            if not found:  # nothing changed: one request was made, the empty first page
                self.quiet_time = self.start_time
            return
        yield from self._timed(self.client.iter_pages(entity, include_inactive=self.mapping.pull_inactive))

    def _timed(self, pages: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
        """``pages``, noting the server time of the first answer in :attr:`start_time`.

        The first page is fetched on this thread (pages read ahead use helper threads), so the
        transport's per-thread server time right after it is that page's answer time."""
        self._server_time()  # forget any earlier answer's time
        first = True
        for page in pages:
            if first:
                first = False
                self.start_time = self._server_time()
            yield page
        if first:  # no page at all: the one (empty) answer still told the time
            self.start_time = self._server_time()

    def _server_time(self) -> datetime | None:
        transport = getattr(self.client, "transport", None)
        take = getattr(transport, "take_server_time", None)
        return take() if callable(take) else None

    def next_watermark(self, oldest_failed: datetime | None) -> datetime | None:
        """What to store after the load committed (never past a record that failed to load).

        When nothing changed, a query's server time (minus the overlap) moves the watermark on, so
        an entity quiet for a month gets back to CDC instead of querying forever. A full or query
        pull never moves it past its own start (objects edited on pages already read)."""
        high = self.high
        if high is not None and self.mode != "cdc" and self.start_time is not None:
            high = min(high, self.start_time)
        if oldest_failed is not None and (high is None or oldest_failed < high):
            high = oldest_failed
        if high is None and oldest_failed is None:
            high = self.quiet_time
        if high is None:
            return self.mark
        candidate = high - OVERLAP
        if self.mark is not None and candidate < self.mark and oldest_failed is None:
            return self.mark
        return candidate
