"""The per-realm budget and the backoff arithmetic, with a fake clock (no waiting)."""

from __future__ import annotations

import threading

import pytest

from qbo_sync.qbo import budget as budget_mod
from qbo_sync.qbo.budget import RequestBudget, budget_for, fraction_from_env
from qbo_sync.qbo.transport import Transport
from tests.client.client_helpers import FakeClock


def test_sliding_window_blocks_until_the_oldest_request_leaves() -> None:
    clock = FakeClock()
    budget = RequestBudget(per_minute=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        with budget.acquire():
            clock.now += 10
    assert clock.sleeps == []
    with budget.acquire():
        pass
    # first request at t=1000; window 60 s; now is 1030 → waits 30 s
    assert clock.sleeps == [30.0]
    assert budget.sent_in_window() == 3


def test_batch_calls_have_their_own_window() -> None:
    clock = FakeClock()
    budget = RequestBudget(per_minute=100, batch_per_minute=2, clock=clock, sleep=clock.sleep)
    for _ in range(2):
        with budget.acquire("batch"):
            pass
    with budget.acquire("read"):
        pass
    assert clock.sleeps == []
    with budget.acquire("batch"):
        pass
    assert clock.sleeps == [60.0]
    assert budget.sent_in_window("batch") == 1


def test_pause_after_429_holds_every_request() -> None:
    clock = FakeClock()
    budget = RequestBudget(clock=clock, sleep=clock.sleep)
    budget.pause(60)
    budget.pause(5)  # never shortens
    with budget.acquire():
        pass
    assert clock.sleeps == [60.0]


def test_fraction_divides_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    b = RequestBudget(fraction=0.34)
    assert (b.per_minute, b.batch_per_minute, b.max_in_flight) == (153, 12, 3)
    monkeypatch.setenv("QBO_BUDGET_FRACTION", "0.5")
    assert fraction_from_env() == 0.5
    monkeypatch.setenv("QBO_BUDGET_FRACTION", "2")
    with pytest.raises(ValueError, match="QBO_BUDGET_FRACTION"):
        fraction_from_env()


def test_registry_shares_one_budget_per_realm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget_mod, "_REGISTRY", {})
    monkeypatch.setenv("QBO_BUDGET_FRACTION", "0.5")
    a = budget_for("realm-1")
    assert budget_for("realm-1") is a and budget_for("realm-2") is not a
    assert a.per_minute == 225


def test_at_most_max_in_flight() -> None:
    budget = RequestBudget(max_in_flight=2)
    release = threading.Event()
    entered = threading.Semaphore(0)
    peak: list[int] = []

    def worker() -> None:
        with budget.acquire():
            peak.append(budget.in_flight)
            entered.release()
            release.wait(5)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    assert entered.acquire(timeout=5) and entered.acquire(timeout=5)
    assert not entered.acquire(timeout=0.2)  # the third is held back
    assert budget.in_flight == 2
    release.set()
    assert entered.acquire(timeout=5)
    for t in threads:
        t.join(5)
    assert max(peak) == 2 and budget.in_flight == 0


def test_backoff_is_exponential_full_jitter_and_bounded() -> None:
    t = Transport(
        "http://x",
        "r",
        tokens_stub(),
        rng=lambda: 1.0,
        backoff_base=1.0,
        backoff_max=10.0,
        budget=RequestBudget(),
    )
    assert [t.backoff(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    half = Transport("http://x", "r", tokens_stub(), rng=lambda: 0.5, budget=RequestBudget())
    assert half.backoff(3) == 2.0
    zero = Transport("http://x", "r", tokens_stub(), rng=lambda: 0.0, budget=RequestBudget())
    assert zero.backoff(5) == 0.0


def tokens_stub() -> object:
    class _Tokens:
        def access_token(self) -> str:
            return "unused"

        def refresh(self, rejected_token: str) -> str:
            return "unused"

    return _Tokens()
