"""Sandbox time: a controllable clock in QBO's zone (America/Los_Angeles) and QBO time formats."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")


class Clock:
    """Thread-safe clock. Without ``start`` it follows real time; ``advance`` shifts it forward.

    With ``start`` it is frozen at that instant until advanced (deterministic tests).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen = start is not None
        base = start if start is not None else datetime.now(PACIFIC)
        if base.tzinfo is None:
            base = base.replace(tzinfo=PACIFIC)
        self._base = base
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """Current time, aware, in America/Los_Angeles."""
        with self._lock:
            current = self._base if self._frozen else datetime.now(PACIFIC)
            return (current + self._offset).astimezone(PACIFIC)

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, when negative) by ``seconds``."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def today(self) -> date:
        """Today's date in the company zone."""
        return self.now().date()


def _offset_text(dt: datetime) -> str:
    off = dt.utcoffset() or timedelta(0)
    total = int(off.total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{(total % 3600) // 60:02d}"


def _pacific(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=PACIFIC)
    return dt.astimezone(PACIFIC)


def format_meta(dt: datetime) -> str:
    """``MetaData`` time: second resolution with the Pacific offset, e.g. 2020-09-29T05:58:16-07:00."""
    p = _pacific(dt)
    return p.strftime("%Y-%m-%dT%H:%M:%S") + _offset_text(p)


def format_time(dt: datetime) -> str:
    """Envelope ``time``: milliseconds with offset, e.g. 2020-09-29T08:02:53.512-07:00."""
    p = _pacific(dt)
    return p.strftime("%Y-%m-%dT%H:%M:%S") + f".{p.microsecond // 1000:03d}" + _offset_text(p)


def parse_datetime(text: str) -> datetime:
    """Parse a QBO date or date-time literal into an aware datetime.

    Accepts ``YYYY-MM-DD`` (midnight Pacific), ``...T..Z``, ``...T..±hh:mm`` and, for offset-less
    date-times, assumes Pacific (how QBO reads those is UNCONFIRMED). Raises ``ValueError``.
    """
    s = text.strip()
    if not s:
        raise ValueError("empty date-time")
    if len(s) == 10:
        d = date.fromisoformat(s)
        return datetime(d.year, d.month, d.day, tzinfo=PACIFIC)
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=PACIFIC)
    return dt
