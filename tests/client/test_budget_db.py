"""The deployment-wide request budget in the CMMS database (real PostgreSQL, real OS processes).

Rate and pause tests run on an injected clock (a virtual clock shared by the processes, which
moves only when a worker sleeps), so nothing waits for real time and no wall-clock duration is
asserted; the in-flight test uses real concurrency, counted by a shared counter.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.db.engine import create_engine
from qbo_sync.db.migrate import upgrade
from qbo_sync.qbo.budget import RequestBudget, budget_for
from qbo_sync.qbo.budget_db import BUCKETS, Grant, SharedBudget, limits_from_env
from tests.client.client_helpers import FakeClock, make_rig

SPAWN = mp.get_context("spawn")
REALM = "4620816365195093800"


class VirtualClock:
    """Time shared by processes through shared memory; it moves only when a worker sleeps."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self) -> float:
        return float(self.value.value)

    def sleep(self, seconds: float) -> None:
        """Wake at least ``seconds`` after now; sleepers waiting for the same moment do not add up."""
        target = self() + seconds
        with self.value.get_lock():
            self.value.value = max(self.value.value, target)


@pytest.fixture()
def budget_url(pg_url: str) -> str:
    upgrade(pg_url)
    return pg_url


@pytest.fixture()
def engine(budget_url: str) -> Iterator[sa.Engine]:
    eng = create_engine(budget_url)
    try:
        yield eng
    finally:
        eng.dispose()


def _run(target: Any, args_per_worker: list[tuple[Any, ...]]) -> None:
    workers = [SPAWN.Process(target=target, args=args) for args in args_per_worker]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * len(workers)


def _drain(queue: Any, count: int) -> list[Any]:
    return [queue.get(timeout=30) for _ in range(count)]


# --- workers (module level: spawn imports this module in each child) ------------------------------


def rate_worker(url: str, clock: VirtualClock, barrier: Any, out: Any, reads: int, batches: int) -> None:
    """Acquire ``reads`` reads, then ``batches`` batch calls; report (time counted, kind) per grant."""
    engine = create_engine(url)
    budget = SharedBudget(
        engine, REALM, per_minute=20, batch_per_minute=4, clock=clock, sleep=clock.sleep, slot_poll=0.01
    )
    grants = []
    for kind, count in (("read", reads), ("batch", batches)):
        barrier.wait(60)
        for _ in range(count):
            with budget.acquire(kind) as grant:
                grants.append((grant.at, kind))
    out.put(grants)
    engine.dispose()


def slot_worker(url: str, barrier: Any, holders: Any, peak: Any, out: Any, threads: int, n: int) -> None:
    """``threads`` threads each take an in-flight slot ``n`` times and hold it briefly."""
    engine = create_engine(url)
    budget = SharedBudget(engine, REALM, per_minute=100_000, max_in_flight=3, slot_poll=0.004)
    done: list[int] = []

    def run() -> None:
        for _ in range(n):
            with budget.acquire("read"):
                with holders.get_lock():
                    holders.value += 1
                    peak.value = max(peak.value, holders.value)
                time.sleep(0.01)  # the "request": lets others pile up behind the slots
                with holders.get_lock():
                    holders.value -= 1
            done.append(1)

    barrier.wait(60)
    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put(len(done))
    engine.dispose()


def pause_worker(url: str, seconds: float) -> None:
    """Another worker of the deployment sees a 429 at t=1000 and pauses the realm."""
    engine = create_engine(url)
    SharedBudget(engine, REALM, clock=lambda: 1000.0).pause(seconds)
    engine.dispose()


def dying_worker(url: str, out: Any) -> None:
    """Take the only slot, then die without releasing it."""
    engine = create_engine(url)
    budget = SharedBudget(engine, REALM, max_in_flight=1)
    with budget.acquire("read") as grant:
        out.put((grant.slot, budget.in_flight))
        out.close()
        out.join_thread()  # flushed: os._exit skips the queue's feeder thread
        os._exit(0)


# --- tests -----------------------------------------------------------------------------------------


def _most_in_any_window(times: list[float], window: float = 60.0) -> int:
    """The most grants any half-open interval of ``window`` seconds holds."""
    times = sorted(times)
    return max(sum(1 for t in times if end - window < t <= end) for end in times)


def test_processes_together_never_exceed_the_window_limits(budget_url: str, engine: sa.Engine) -> None:
    clock = VirtualClock(SPAWN.Value("d", 1000.0))
    barrier, out = SPAWN.Barrier(4), SPAWN.Queue()
    _run(rate_worker, [(budget_url, clock, barrier, out, 15, 3)] * 4)
    grants = [g for batch in _drain(out, 4) for g in batch]
    every = [at for at, _ in grants]
    batches = [at for at, kind in grants if kind == "batch"]
    assert (len(every), len(batches)) == (72, 12)
    assert _most_in_any_window(every) == 20  # reached, never exceeded: 20/min across 4 processes
    assert _most_in_any_window(batches) == 4  # 4 batch calls/min across 4 processes
    assert max(every) - min(every) > 5 * 60  # 60 reads at 20/min, then 12 batches at 4/min
    assert SharedBudget(engine, REALM, clock=clock).sent_in_window() <= 20


def test_in_flight_never_exceeds_the_slots_across_processes(budget_url: str, engine: sa.Engine) -> None:
    barrier, out = SPAWN.Barrier(3), SPAWN.Queue()
    holders, peak = SPAWN.Value("i", 0), SPAWN.Value("i", 0)
    _run(slot_worker, [(budget_url, barrier, holders, peak, out, 3, 6)] * 3)
    assert _drain(out, 3) == [18, 18, 18]
    assert peak.value == 3  # nine threads in three processes wanted slots; three at most held one
    assert holders.value == 0
    assert SharedBudget(engine, REALM, max_in_flight=3).in_flight == 0  # every slot released


def test_a_slot_takes_exactly_one_lock_and_is_released(engine: sa.Engine) -> None:
    budget = SharedBudget(engine, REALM, max_in_flight=2, clock=FakeClock())
    with budget.acquire() as first:
        assert isinstance(first, Grant) and first.slot == 0 and budget.in_flight == 1
        with budget.acquire() as second:
            assert second.slot == 1 and budget.in_flight == 2
        assert budget.in_flight == 1
    assert budget.in_flight == 0
    with pytest.raises(RuntimeError, match="request failed"), budget.acquire():
        raise RuntimeError("request failed")
    assert budget.in_flight == 0


def test_a_dead_worker_does_not_keep_its_slot(budget_url: str, engine: sa.Engine) -> None:
    out = SPAWN.Queue()
    _run(dying_worker, [(budget_url, out)])
    assert out.get(timeout=30) == (0, 1)
    budget = SharedBudget(engine, REALM, max_in_flight=1)
    for _ in range(200):  # the server notices the closed session within moments
        if budget.in_flight == 0:
            break
        time.sleep(0.01)
    assert budget.in_flight == 0  # the dead session's advisory lock is gone
    sleeps: list[float] = []
    budget = SharedBudget(engine, REALM, max_in_flight=1, sleep=sleeps.append)
    with budget.acquire() as grant:
        assert grant.slot == 0
    assert sleeps == []


def test_a_429_in_one_process_pauses_the_others(budget_url: str, engine: sa.Engine) -> None:
    _run(pause_worker, [(budget_url, 30.0)])
    clock = FakeClock()  # 1000.0, like the worker's
    budget = SharedBudget(engine, REALM, clock=clock, sleep=clock.sleep)
    assert budget.paused_until == 1030.0
    with budget.acquire() as grant:
        assert grant.at == 1030.0 and grant.waited == 30.0
    assert clock.sleeps == [30.0]
    _run(pause_worker, [(budget_url, 5.0)])  # a shorter pause never shortens a longer one
    assert budget.paused_until == 1030.0


def test_transport_429_pauses_the_realm_in_the_database(sandbox: Any, engine: sa.Engine) -> None:
    sandbox.reset()
    sandbox.reset_counters()
    clock = FakeClock()
    budget = SharedBudget(engine, sandbox.realm_id, clock=clock, sleep=clock.sleep)
    rig = make_rig(sandbox, budget=budget)
    sandbox.add_fault("GET", r"/companyinfo/", "429", times=1)
    assert rig.client.company_info()["CompanyName"]
    assert (sandbox.counters()["read"], sandbox.counters()["throttled"]) == (2, 1)
    assert budget.paused_until == 1060.0  # throttle_wait 60 s, stored for every worker
    assert clock.sleeps == [60.0]
    assert budget.sent_in_window() == 2


def _rows(engine: sa.Engine) -> dict[str, list[int]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT kind, bucket FROM qbo_request_budget ORDER BY bucket")).all()
    out: dict[str, list[int]] = {"all": [], "batch": []}
    for kind, bucket in rows:
        out[kind].append(bucket)
    return out


def test_old_buckets_are_deleted(engine: sa.Engine) -> None:
    clock = FakeClock()
    budget = SharedBudget(engine, REALM, per_minute=10_000, batch_per_minute=10_000, clock=clock)
    for step in range(300):  # ten minutes, one request every 2 s, every fifth a batch
        clock.now = 1000.0 + 2 * step
        with budget.acquire("batch" if step % 5 == 0 else "read"):
            pass
        rows = _rows(engine)
        assert len(rows["all"]) <= BUCKETS // 2 + 1 and len(rows["batch"]) <= BUCKETS // 10 + 1
    assert min(_rows(engine)["all"]) >= clock.now - 60
    clock.now += 3600
    with budget.acquire("read"):
        pass
    assert _rows(engine) == {"all": [int(clock.now)], "batch": []}
    assert budget.sent_in_window() == 1 and budget.sent_in_window("batch") == 0


def test_database_clock_paces_requests_without_an_injected_clock(engine: sa.Engine) -> None:
    budget = SharedBudget(engine, REALM, per_minute=3, batch_per_minute=1, window=0.6)
    grants: list[float] = []
    lock = threading.Lock()

    def run() -> None:
        for _ in range(4):
            with budget.acquire("read") as grant, lock:
                grants.append(grant.at)

    pool = [threading.Thread(target=run) for _ in range(2)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert len(grants) == 8
    assert _most_in_any_window(grants, window=0.6) == 3
    assert all(at > 1_700_000_000 for at in grants)  # the server's epoch clock


def test_sqlite_falls_back_to_the_process_budget(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'cmms.db'}"
    upgrade(url)
    lite = create_engine(url)
    realm = f"realm-{uuid.uuid4().hex}"
    try:
        budget = SharedBudget(lite, realm, per_minute=7)
        assert budget.local is budget_for(realm)  # shared with every client of this process
        assert budget.local.per_minute == 7
        with budget.acquire("batch") as grant:
            assert grant is None and budget.in_flight == 1
        assert budget.sent_in_window() == 1 and budget.sent_in_window("batch") == 1
        clock = FakeClock()
        faked = SharedBudget(lite, realm, clock=clock, sleep=clock.sleep)
        assert isinstance(faked.local, RequestBudget) and faked.local is not budget.local
        faked.pause(10)
        with faked.acquire():
            pass
        assert clock.sleeps == [10.0]
    finally:
        lite.dispose()


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, engine: sa.Engine) -> None:
    assert limits_from_env() == {"per_minute": 450, "batch_per_minute": 36, "max_in_flight": 10}
    monkeypatch.setenv("QBO_BUDGET_PER_MINUTE", "300")
    monkeypatch.setenv("QBO_BUDGET_IN_FLIGHT", "4")
    budget = SharedBudget(engine, REALM)
    assert (budget.per_minute, budget.batch_per_minute, budget.max_in_flight) == (300, 36, 4)
    assert SharedBudget(engine, REALM, per_minute=50).per_minute == 50
    monkeypatch.setenv("QBO_BUDGET_BATCH_PER_MINUTE", "lots")
    with pytest.raises(ValueError, match="QBO_BUDGET_BATCH_PER_MINUTE must be a positive whole number"):
        limits_from_env()


def test_the_hook_gives_the_transport_the_shared_budget(sandbox: Any, cmms: sa.Engine) -> None:
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    client = QuickBooksHook().get_conn()
    budget = client.transport.budget
    assert isinstance(budget, SharedBudget) and budget.local is None
    assert client.company_info()["CompanyName"]
    counted = SharedBudget(cmms, sandbox.realm_id)
    assert counted.sent_in_window() == 1 and counted.in_flight == 0


def test_in_flight_counts_only_this_databases_slots(engine: sa.Engine) -> None:
    """Two CMMS databases on one server (or a test beside a demo) never see each other's slots."""
    from tests.conftest import create_database, drop_database

    other_url = create_database()
    upgrade(other_url)
    other = create_engine(other_url)
    try:
        here = SharedBudget(engine, REALM, max_in_flight=2, clock=FakeClock())
        there = SharedBudget(other, REALM, max_in_flight=2, clock=FakeClock())
        with there.acquire(), there.acquire():
            assert there.in_flight == 2
            assert here.in_flight == 0  # same realm, same lock keys, another database
            with here.acquire() as grant:
                assert grant is not None and grant.slot == 0 and here.in_flight == 1
        assert there.in_flight == here.in_flight == 0
    finally:
        other.dispose()
        drop_database(other_url)
