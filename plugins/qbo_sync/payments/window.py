"""Which changes a payment run reads: :class:`PaymentWindow` and :func:`plan_window` (pure).

The DAG's timetable gives every scheduled run a real 30-minute data interval (design decision 9):

- **backfill** (``airflow backfill create``), or ``window = data_interval``: exactly the data
  interval, ``[start, end)``; re-running it changes nothing that is already right.
- **scheduled**: its data interval, but starting at the stored watermark when that is earlier (runs
  were missed or a batch was quarantined): the next run tries again and catches up by itself. With
  no watermark yet (a fresh install, or every run so far failed) it reads from the beginning, so the
  payments QuickBooks already holds are not skipped.
- **manual** ("click Sync"), or ``window = since_watermark``: from the stored watermark (minus an
  overlap) to now; with no watermark yet, every payment QuickBooks has.

Objects changed at or after ``end`` belong to a later window: their payments are left to it, and an
invoice changed after ``end`` is not compared with QuickBooks' balance yet (its balance already
includes payments this window does not publish).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

OVERLAP = timedelta(minutes=5)
WINDOW_CHOICES = ("auto", "since_watermark", "data_interval")


@dataclass(frozen=True)
class PaymentWindow:
    """``start`` None = from the beginning; ``end`` None = up to the time QuickBooks answers."""

    start: datetime | None
    end: datetime | None
    kind: str  # data_interval | catch_up | since_watermark

    def describe(self) -> str:
        start = self.start.isoformat() if self.start else "the beginning"
        end = self.end.isoformat() if self.end else "now"
        return f"{self.kind} window [{start}, {end})"


def plan_window(
    *,
    run_type: str,
    choice: str,
    interval_start: datetime | None,
    interval_end: datetime | None,
    watermark: datetime | None,
) -> PaymentWindow:
    """The window of one run (see the module docstring)."""
    if choice not in WINDOW_CHOICES:
        raise ValueError(f"param `window` must be one of {', '.join(WINDOW_CHOICES)}, not {choice!r}")
    has_interval = interval_start is not None and interval_end is not None and interval_end > interval_start
    if choice == "auto":
        choice = (
            "data_interval" if run_type in ("scheduled", "backfill") and has_interval else "since_watermark"
        )
    if choice == "since_watermark":
        return PaymentWindow(watermark - OVERLAP if watermark else None, None, "since_watermark")
    if not has_interval:
        raise ValueError("param `window` = data_interval needs a run with a data interval (a logical date)")
    if run_type == "scheduled" and watermark is None:  # the first run: every payment QuickBooks has
        return PaymentWindow(None, interval_end, "catch_up")
    if run_type == "scheduled" and watermark < interval_start:  # type: ignore[operator]
        return PaymentWindow(watermark - OVERLAP, interval_end, "catch_up")
    return PaymentWindow(interval_start, interval_end, "data_interval")


def next_watermark(current: datetime | None, window: PaymentWindow, read_until: datetime) -> datetime | None:
    """The watermark after ``window`` was published up to ``read_until``.

    It moves only forward, and only when the window joins what is already loaded (no gap): a
    backfill of a later window alone does not claim the windows before it.
    """
    joins = current is None or window.start is None or window.start <= current
    if not joins:
        return current
    return read_until if current is None or read_until > current else current
