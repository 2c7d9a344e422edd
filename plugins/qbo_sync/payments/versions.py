"""Which of two QuickBooks versions of an object is newer (pure functions).

QuickBooks increments an object's ``SyncToken`` on every change and stamps
``MetaData.LastUpdatedTime`` (qbo-api.md §5). Two payment runs can publish beside each other (a
backfill next to a scheduled run), so a batch read earlier can reach the publish step after a batch
read later; the publish compares each staged object with the version the CMMS already holds and
never replaces a newer one with an older one.

The SyncTokens are compared when both are whole numbers (QuickBooks' are), else the change times;
with neither on both sides the staged copy is not called older (nothing to tell them apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Version:
    """One QuickBooks version of an object: its SyncToken and its LastUpdatedTime (either may be
    unknown)."""

    token: str | None = None
    updated: datetime | None = None

    @property
    def known(self) -> bool:
        return self.token is not None or self.updated is not None

    def describe(self) -> str:
        parts = []
        if self.token is not None:
            parts.append(f"SyncToken {self.token}")
        if self.updated is not None:
            parts.append(f"changed {self.updated.astimezone(UTC).isoformat(timespec='seconds')}")
        return ", ".join(parts) or "version unknown"


def _number(token: str | None) -> int | None:
    if token is None:
        return None
    text = str(token).strip()
    return int(text) if text.isdigit() else None


def newest(*versions: Version) -> Version:
    """The newest of ``versions`` by SyncToken, the change time breaking ties (and standing in
    for an unreadable token)."""
    best = Version()
    for v in versions:
        if v.known and (not best.known or is_older(best, v)):
            best = v
    return best


def is_older(staged: Version, held: Version) -> bool:
    """True when ``staged`` is an older QuickBooks version than ``held``."""
    a, b = _number(staged.token), _number(held.token)
    if a is not None and b is not None and a != b:
        return a < b
    if staged.updated is not None and held.updated is not None:
        return staged.updated < held.updated
    return False
