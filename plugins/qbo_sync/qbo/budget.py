"""A per-realm request budget that keeps this process under QuickBooks' limits.

QBO allows, per realm and app: 500 requests per minute, 10 requests in flight, 40 batch calls per
minute (qbo-api.md §4, §7). Every client in a process that talks to one realm shares one
:class:`RequestBudget` (module-level registry, :func:`budget_for`), which by default keeps a margin:

- at most 10 requests in flight (a semaphore),
- at most 450 requests in any sliding 60 s window,
- at most 36 batch calls in any sliding 60 s window,
- and nothing at all until a "pause until" set after a 429 has passed.

The budget is per *process*. Deployments keep the realm's limits in the CMMS database instead
(:class:`~qbo_sync.qbo.budget_db.SharedBudget`, which the hook gives every transport); this class is
its fallback on SQLite and what tests use. There, each task's process takes its share of the
realm's limits through a fraction (``QBO_BUDGET_FRACTION`` in the environment, or ``fraction=`` in
the constructor): with a ``qbo_api`` pool of 3 slots set the fraction to 0.33 and each process
allows 148 requests/min, 11 batches/min and 3 in flight. The clock and sleep are injectable so the
arithmetic is testable without waiting.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

WINDOW_SECONDS = 60.0
DEFAULT_PER_MINUTE = 450
DEFAULT_BATCH_PER_MINUTE = 36
DEFAULT_IN_FLIGHT = 10


def fraction_from_env() -> float:
    """``QBO_BUDGET_FRACTION`` (0 < f <= 1), default 1."""
    raw = os.environ.get("QBO_BUDGET_FRACTION", "").strip()
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"QBO_BUDGET_FRACTION must be a number in (0, 1], got {raw!r}") from exc
    if not 0 < value <= 1:
        raise ValueError(f"QBO_BUDGET_FRACTION must be in (0, 1], got {value}")
    return value


class RequestBudget:
    """Blocking admission control for one realm (thread-safe)."""

    def __init__(
        self,
        *,
        per_minute: int = DEFAULT_PER_MINUTE,
        batch_per_minute: int = DEFAULT_BATCH_PER_MINUTE,
        max_in_flight: int = DEFAULT_IN_FLIGHT,
        fraction: float = 1.0,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        self.per_minute = max(1, int(per_minute * fraction))
        self.batch_per_minute = max(1, int(batch_per_minute * fraction))
        self.max_in_flight = max(1, int(max_in_flight * fraction))
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_in_flight)
        self._in_flight = 0
        self._sent: deque[float] = deque()
        self._batches: deque[float] = deque()
        self._paused_until = 0.0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def pause(self, seconds: float) -> None:
        """After a 429: admit nothing for ``seconds`` (never shortens an existing pause)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def sent_in_window(self, kind: str = "any") -> int:
        """How many requests (or batch calls) the current window holds."""
        with self._lock:
            self._expire(self._clock())
            return len(self._batches if kind == "batch" else self._sent)

    @contextmanager
    def acquire(self, kind: str = "read") -> Iterator[None]:
        """Hold an in-flight slot and a window entry (plus a batch entry) while the request runs."""
        self._slots.acquire()
        try:
            self._admit(kind == "batch")
            with self._lock:
                self._in_flight += 1
            try:
                yield
            finally:
                with self._lock:
                    self._in_flight -= 1
        finally:
            self._slots.release()

    def _admit(self, is_batch: bool) -> None:
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now, is_batch)
                if wait <= 0:
                    self._sent.append(now)
                    if is_batch:
                        self._batches.append(now)
                    return
            self._sleep(wait)

    def _wait_needed(self, now: float, is_batch: bool) -> float:
        self._expire(now)
        waits = [self._paused_until - now]
        if len(self._sent) >= self.per_minute:
            waits.append(self._sent[0] + self.window - now)
        if is_batch and len(self._batches) >= self.batch_per_minute:
            waits.append(self._batches[0] + self.window - now)
        return max(waits)

    def _expire(self, now: float) -> None:
        for queue in (self._sent, self._batches):
            while queue and queue[0] <= now - self.window:
                queue.popleft()


_REGISTRY: dict[str, RequestBudget] = {}
_REGISTRY_LOCK = threading.Lock()


def budget_for(realm_id: str, **kwargs: float | int) -> RequestBudget:
    """The process-wide budget for ``realm_id`` (created on first use; later kwargs are ignored).

    ``fraction`` defaults to ``QBO_BUDGET_FRACTION``.
    """
    with _REGISTRY_LOCK:
        budget = _REGISTRY.get(realm_id)
        if budget is None:
            kwargs.setdefault("fraction", fraction_from_env())
            budget = RequestBudget(**kwargs)  # type: ignore[arg-type]
            _REGISTRY[realm_id] = budget
        return budget
