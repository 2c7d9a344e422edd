"""Fixtures of the sync-engine tests: a migrated PostgreSQL CMMS, a reseeded sandbox, a client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.mapping import Mapping, load_mappings
from qbo_sync.qbo.budget import RequestBudget
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.transport import Transport
from qbo_sync.sync import EntitySync, SyncCounts
from tests.sync.sync_helpers import ORDER


@dataclass
class StaticTokens:
    """A token provider with one access token from the sandbox (no refresh needed in a test)."""

    token: str

    def access_token(self) -> str:
        return self.token

    def refresh(self, rejected_token: str) -> str:
        raise AssertionError("the sandbox refused a fresh access token")


@pytest.fixture()
def client(sb: Any) -> QBOClient:
    tokens = StaticTokens(sb.issue_tokens()["access_token"])
    budget = RequestBudget()  # one per test: a test stays far below QBO's limits
    transport = Transport(sb.url, sb.realm_id, tokens, budget=budget, sleep=lambda _s: None, timeout=(2, 10))
    return QBOClient(transport)


@pytest.fixture(scope="session")
def mappings() -> dict[str, Mapping]:
    return load_mappings()


Runner = Callable[..., dict[str, SyncCounts]]


@pytest.fixture()
def run_sync(sb: Any, client: QBOClient, engine: sa.Engine, mappings: dict[str, Mapping]) -> Runner:
    """``run_sync(*entities, dry_run=False, full_refresh=False)``: one run over the entities, in order."""
    runs = {"n": 0}

    def run(*entities: str, dry_run: bool = False, full_refresh: bool = False) -> dict[str, SyncCounts]:
        runs["n"] += 1
        out = {}
        for entity in entities or ORDER:
            out[entity] = EntitySync(
                mappings[entity],
                client,
                engine,
                realm_id=sb.realm_id,
                run_key=f"test/run{runs['n']}/{entity}",
                dry_run=dry_run,
                full_refresh=full_refresh,
            ).run()
        return out

    return run
