"""A token endpoint that fails for a moment (5xx, dropped connection) is retried like any request,
over real HTTP against the sandbox, with the tokens in real PostgreSQL; the realm stays connected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from qbo_sync.qbo.budget import RequestBudget
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.errors import RetriableError
from qbo_sync.qbo.oauth import TokenSet
from qbo_sync.qbo.tokens import TokenManager, qbo_tokens
from qbo_sync.qbo.transport import Transport
from tests.client.client_helpers import FakeClock, connect, oauth_for

TOKEN_PATH = r"^/oauth2/v1/tokens/bearer"
MAX_ATTEMPTS = 3


@pytest.fixture()
def engine(pg_url: str, sandbox: object) -> sa.Engine:
    from qbo_sync.db.migrate import upgrade

    sandbox.reset()
    upgrade(pg_url)
    eng = sa.create_engine(pg_url)
    yield eng
    eng.dispose()


def _stored(engine: sa.Engine, sandbox: object, *, expired: bool, bogus_access: bool = False) -> TokenSet:
    oauth = oauth_for(sandbox)
    tokens = connect(sandbox, oauth)
    expires = datetime.now(UTC) + (timedelta(minutes=-1) if expired else timedelta(minutes=50))
    access = "not-a-valid-access-token" if bogus_access else tokens.access_token
    stored = TokenSet(access, tokens.refresh_token, expires, tokens.refresh_expires_at)
    TokenManager(engine, sandbox.realm_id, oauth).store(stored)
    return stored


def _client(engine: sa.Engine, sandbox: object, sleeps: list[float]) -> QBOClient:
    manager = TokenManager(engine, sandbox.realm_id, oauth_for(sandbox))
    clock = FakeClock()
    transport = Transport(
        sandbox.url,
        sandbox.realm_id,
        manager,
        sleep=sleeps.append,
        budget=RequestBudget(clock=clock, sleep=clock.sleep),
        rng=lambda: 0.5,
        timeout=(2, 10),
        max_attempts=MAX_ATTEMPTS,
    )
    return QBOClient(transport)


def _row(engine: sa.Engine, realm: str) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(sa.select(qbo_tokens).where(qbo_tokens.c.realm_id == realm)).one()


@pytest.mark.postgres
@pytest.mark.parametrize("fault", [503, "drop"])
def test_expired_token_refresh_fails_once_then_the_request_succeeds(
    engine: sa.Engine, sandbox: object, fault: object
) -> None:
    stored = _stored(engine, sandbox, expired=True)
    sandbox.add_fault("POST", TOKEN_PATH, fault, times=1)
    before = sandbox.counters()
    sleeps: list[float] = []

    info = _client(engine, sandbox, sleeps).company_info()

    assert info["CompanyName"] == sandbox.company.company_info()["CompanyName"]
    after = sandbox.counters()
    assert after["token"] - before["token"] == 2  # the failed refresh and the one that worked
    assert sleeps == [0.5]  # one backoff (rng 0.5 x base 1 s) before the second try
    row = _row(engine, sandbox.realm_id)
    assert row.status == "connected" and row.last_error is None
    assert row.refresh_count == 1  # exactly one successful refresh
    assert row.access_token_expires_at > datetime.now(UTC)
    assert stored.refresh_token not in row.refresh_token


@pytest.mark.postgres
def test_refresh_after_401_is_retried_when_the_token_endpoint_fails(
    engine: sa.Engine, sandbox: object
) -> None:
    _stored(engine, sandbox, expired=False, bogus_access=True)  # looks valid, the server refuses it
    sandbox.add_fault("POST", TOKEN_PATH, 503, times=1)
    before = sandbox.counters()
    sleeps: list[float] = []

    info = _client(engine, sandbox, sleeps).company_info()

    assert info["CompanyName"]
    assert sandbox.counters()["token"] - before["token"] == 2
    assert sleeps == [0.5]
    row = _row(engine, sandbox.realm_id)
    assert row.status == "connected" and row.refresh_count == 1


@pytest.mark.postgres
def test_token_endpoint_down_beyond_max_attempts_raises_retriable_and_stays_connected(
    engine: sa.Engine, sandbox: object
) -> None:
    stored = _stored(engine, sandbox, expired=True)
    sandbox.add_fault("POST", TOKEN_PATH, 503, times=MAX_ATTEMPTS + 2)
    before = sandbox.counters()
    sleeps: list[float] = []

    with pytest.raises(RetriableError) as info:
        _client(engine, sandbox, sleeps).company_info()

    assert "token refresh" in str(info.value)
    assert stored.refresh_token not in str(info.value)
    after = sandbox.counters()
    assert after["token"] - before["token"] == MAX_ATTEMPTS
    assert after.get("read", 0) == before.get("read", 0)  # no API request was sent without a token
    assert len(sleeps) == MAX_ATTEMPTS - 1
    row = _row(engine, sandbox.realm_id)
    assert row.status == "connected" and row.last_error is None and row.refresh_count == 0
