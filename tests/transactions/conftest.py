"""Fixtures of the transaction-push tests: a migrated PostgreSQL CMMS whose accounts, tax codes,
customers, items and vendors are synced with a reseeded sandbox company, and a push runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.mapping import Mapping, load_mappings
from qbo_sync.qbo.budget import RequestBudget
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.transport import Transport
from qbo_sync.sync import EntitySync, SyncCounts
from qbo_sync.sync.push.txn import TransactionPush
from tests.transactions.txn_helpers import MASTERS, StaticTokens


class FakeClock:
    """The budget's clock: its waits (a 60 s pause after a 429) pass instantly."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def make_client(sb: Any, **transport: Any) -> QBOClient:
    tokens = StaticTokens(sb.issue_tokens()["access_token"])
    clock = FakeClock()
    budget = RequestBudget(clock=clock, sleep=clock.sleep)
    options: dict[str, Any] = {"budget": budget, "sleep": lambda _s: None, "timeout": (2, 5)}
    options.update(transport)
    return QBOClient(Transport(sb.url, sb.realm_id, tokens, **options))


@pytest.fixture()
def client(sb: Any) -> QBOClient:
    return make_client(sb)


@pytest.fixture(scope="session")
def mappings() -> dict[str, Mapping]:
    return load_mappings()


@pytest.fixture()
def masters(sb: Any, client: QBOClient, engine: sa.Engine, mappings: dict[str, Mapping]) -> sa.Engine:
    """The CMMS with the demo company's reference data and masters linked; counters zeroed."""
    for entity in MASTERS:
        EntitySync(mappings[entity], client, engine, realm_id=sb.realm_id, run_key=f"setup/{entity}").run()
    sb.reset_counters()
    return engine


Pusher = Callable[..., SyncCounts]


@pytest.fixture()
def push(sb: Any, client: QBOClient, engine: sa.Engine, mappings: dict[str, Mapping]) -> Pusher:
    """``push(entity, dry_run=False, client=None)``: one transaction push run."""
    runs = {"n": 0}

    def run(entity: str, *, dry_run: bool = False, with_client: QBOClient | None = None) -> SyncCounts:
        runs["n"] += 1
        return TransactionPush(
            mappings[entity],
            with_client or client,
            engine,
            realm_id=sb.realm_id,
            run_key=f"test/run{runs['n']}/{entity}",
            dry_run=dry_run,
        ).run()

    return run


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's own metadata database (SQLite under .airflow-test/), migrated once per session."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    airflow = str(Path(sys.executable).with_name("airflow"))
    out = subprocess.run([airflow, "db", "migrate"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
