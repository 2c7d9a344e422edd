"""Reading QuickBooks: which objects changed since the watermark (design decision 5).

- Reference data (pull-only mappings: accounts, tax codes, tax rates): every object, inactive ones
  too, whenever they are read at all (TaxCode/TaxRate are not in CDC anyway).
- Masters: every object the first time (no watermark) or on ``full_refresh``; then CDC while the
  watermark is younger than 30 days and the answer is not saturated (≥ 1000 objects), else
  ``LastUpdatedTime`` queries from the watermark on.
- A change check made upstream for all entities at once (:mod:`qbo_sync.sync.pull.changes`) may
  already have said that nothing changed: then nothing is read at all (masters and reference data).

Objects are deduplicated on (Id, SyncToken) within the run (overlap windows repeat some).

The watermark to store afterwards is the *time of the read* (QuickBooks' server time, carried by
every page and CDC answer), minus :data:`OVERLAP`, never the newest record's time: a quiet company
moves on and keeps reading by CDC. A full or query pull reads pages by Id while QuickBooks keeps
changing, so the time of its *first* answer bounds what it is sure to have read (an object edited
on a page already read has a later ``LastUpdatedTime`` and is read by the next run). The watermark
never moves past a record that failed to load, and never back. The caller stores it only after
the load committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
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


def last_updated(obj: dict[str, Any]) -> datetime | None:
    """An object's ``MetaData.LastUpdatedTime`` (None when absent or unreadable)."""
    return parse_qbo_time((obj.get("MetaData") or {}).get("LastUpdatedTime"))


class Extract:
    """The pages of QuickBooks objects to load in one run, and the watermark they justify.

    ``quiet_since``: the server time of an upstream change check that found nothing changed for
    this entity since ``mark`` (then :meth:`pages` makes no request)."""

    def __init__(
        self,
        mapping: Mapping,
        client: QBOClient,
        mark: datetime | None,
        mode: str,
        *,
        quiet_since: datetime | None = None,
    ) -> None:
        self.mapping = mapping
        self.client = client
        self.mark = mark
        self.mode = mode
        self.quiet_since = quiet_since
        self.read_time: datetime | None = None  # server time of the read (its first answer)
        self._seen: set[tuple[str, str]] = set()

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """Deduplicated, non-empty pages; :attr:`read_time` is set by the first answer."""
        for page in self._raw_pages():
            fresh = []
            for obj in page:
                key = (str(obj.get("Id")), str(obj.get("SyncToken")))
                if key not in self._seen:
                    self._seen.add(key)
                    fresh.append(obj)
            if fresh:
                yield fresh

    def _raw_pages(self) -> Iterator[list[dict[str, Any]]]:
        entity = self.mapping.qbo_entity
        if self.quiet_since is not None:  # the change check's time is the time of this read
            self.read_time = self.quiet_since
            return
        if self.mode == "cdc":
            assert self.mark is not None
            result = self.client.cdc([entity], self.mark)
            if not result.saturated:
                deleted = result.deleted.get(entity) or []
                if deleted:
                    log.info(
                        "%s: QuickBooks reports %d deleted object(s); kept in the CMMS", entity, len(deleted)
                    )
                self.read_time = result.time
                yield result.changes.get(entity) or []
                return
            log.info("%s: CDC answer is saturated; reading changes with LastUpdatedTime queries", entity)
            self.mode = "query"
        if self.mode == "query":
            assert self.mark is not None
            yield from self._timed(self.client.query_changed_since(entity, self.mark, include_inactive=True))
            return
        yield from self._timed(self.client.iter_pages(entity, include_inactive=self.mapping.pull_inactive))

    def _timed(self, pages: Iterable[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
        """``pages``, noting the server time of the first answer (carried by the page)."""
        for page in pages:
            if self.read_time is None:
                self.read_time = getattr(page, "server_time", None)
            yield page

    def next_watermark(self, oldest_failed: datetime | None) -> datetime | None:
        """What to store after the load committed: the read's time minus the overlap, never past
        a record that failed to load (then that record's time minus the overlap), never back."""
        moment = self.read_time
        if oldest_failed is not None and (moment is None or oldest_failed < moment):
            moment = oldest_failed
        if moment is None:
            return self.mark
        candidate = moment - OVERLAP
        if self.mark is not None and candidate < self.mark and oldest_failed is None:
            return self.mark
        return candidate
