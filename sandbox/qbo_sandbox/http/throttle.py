"""QBO's per-realm limits (qbo-api.md §7, §4): 500 requests/min (sliding 60 s window), at most 10
requests in flight, 40 batch requests/min. A request over any limit is refused (HTTP 429, 3001).

Refused requests do not count toward the windows. Time comes from a monotonic source plus an offset
that :meth:`Throttle.advance` moves (the sandbox's clock control moves it too).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_S = 60.0


@dataclass(frozen=True)
class Limits:
    per_minute: int = 500
    in_flight: int = 10
    batch_per_minute: int = 40


class Throttle:
    """Admission control per realm. ``admit`` returns False when QBO would answer 429."""

    def __init__(
        self, enabled: bool = False, limits: Limits | None = None, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.enabled = enabled
        self.limits = limits or Limits()
        self._now = now
        self._offset = 0.0
        self._lock = threading.Lock()
        self._requests: dict[str, deque[float]] = defaultdict(deque)
        self._batches: dict[str, deque[float]] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._batches.clear()

    def admit(self, realm: str, batch: bool = False) -> bool:
        """Try to start a request; on True the caller must :meth:`release` it when answered.

        In-flight requests are tracked even while throttling is off, so turning it on mid-run is exact.
        """
        with self._lock:
            now = self._now() + self._offset
            requests = self._requests[realm]
            batches = self._batches[realm]
            _expire(requests, now)
            _expire(batches, now)
            if self.enabled and (
                len(requests) >= self.limits.per_minute
                or self._in_flight[realm] >= self.limits.in_flight
                or (batch and len(batches) >= self.limits.batch_per_minute)
            ):
                return False
            requests.append(now)
            if batch:
                batches.append(now)
            self._in_flight[realm] += 1
            return True

    def release(self, realm: str) -> None:
        with self._lock:
            self._in_flight[realm] = max(0, self._in_flight[realm] - 1)

    def in_flight(self, realm: str) -> int:
        with self._lock:
            return self._in_flight[realm]


def _expire(stamps: deque[float], now: float) -> None:
    while stamps and stamps[0] <= now - WINDOW_S:
        stamps.popleft()
