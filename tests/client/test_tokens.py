"""Token custody on real PostgreSQL (and SQLite), against the sandbox's rotating OAuth server."""

from __future__ import annotations

import logging
import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from qbo_sync.qbo.crypto import EncryptionKeyMissing, TokenCipher
from qbo_sync.qbo.errors import InvalidGrant, ReconnectNeeded
from qbo_sync.qbo.oauth import TokenSet
from qbo_sync.qbo.tokens import TokenManager, qbo_tokens, token_status
from tests.client.client_helpers import connect, oauth_for, token_worker

WORKERS = 10


def _schema(url: str) -> sa.Engine:
    from qbo_sync.db.migrate import upgrade

    upgrade(url)
    return sa.create_engine(url)


def _expired(tokens: TokenSet) -> TokenSet:
    past = datetime.now(UTC) - timedelta(minutes=1)
    return TokenSet(tokens.access_token, tokens.refresh_token, past, tokens.refresh_expires_at)


def _row(engine: sa.Engine, realm: str) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(sa.select(qbo_tokens).where(qbo_tokens.c.realm_id == realm)).one()


@pytest.mark.postgres
def test_ten_processes_one_refresh(pg_url: str, sandbox: object) -> None:
    engine = _schema(pg_url)
    oauth = oauth_for(sandbox)
    first = connect(sandbox, oauth)
    TokenManager(engine, sandbox.realm_id, oauth).store(_expired(first))
    before = sandbox.counters()["token"]

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    args = (pg_url, sandbox.realm_id, sandbox.url, barrier, results)
    procs = [ctx.Process(target=token_worker, args=args) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    answers = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)

    assert [a[0] for a in answers] == ["ok"] * WORKERS, answers
    tokens = {a[1] for a in answers}
    assert len(tokens) == 1 and first.access_token not in tokens
    assert {a[2] for a in answers} == {sandbox.company.company_info()["CompanyName"]}
    assert sandbox.counters()["token"] - before == 1

    row = _row(engine, sandbox.realm_id)
    assert row.refresh_count == 1 and row.status == "connected"
    cipher = TokenCipher()
    assert cipher.decrypt(row.access_token) == tokens.pop()
    stored_refresh = cipher.decrypt(row.refresh_token)
    assert stored_refresh != first.refresh_token
    assert first.refresh_token not in row.refresh_token  # encrypted at rest
    with pytest.raises(InvalidGrant):
        oauth.refresh(first.refresh_token)  # the old one is superseded: the stored one is the newest
    assert oauth.refresh(stored_refresh).access_token
    engine.dispose()


@pytest.mark.postgres
def test_invalid_grant_marks_reconnect_needed(
    pg_url: str, sandbox: object, caplog: pytest.LogCaptureFixture
) -> None:
    engine = _schema(pg_url)
    oauth = oauth_for(sandbox)
    dead = connect(sandbox, oauth)
    oauth.refresh(dead.refresh_token)  # rotated elsewhere and lost: `dead` is superseded
    manager = TokenManager(engine, sandbox.realm_id, oauth)
    manager.store(_expired(dead))
    with caplog.at_level(logging.DEBUG), pytest.raises(ReconnectNeeded) as info:
        manager.access_token()
    message = str(info.value)
    assert sandbox.realm_id in message and "invalid_grant" in message and "/qbo/connect" in message
    row = _row(engine, sandbox.realm_id)
    assert row.status == "reconnect_needed" and "invalid_grant" in row.last_error
    for secret in (dead.access_token, dead.refresh_token):
        assert secret not in message and secret not in caplog.text and secret not in row.last_error
    before = sandbox.counters()["token"]
    with pytest.raises(ReconnectNeeded, match="reconnect_needed"):
        manager.access_token()  # no further refresh attempts
    assert sandbox.counters()["token"] == before
    assert token_status(engine, sandbox.realm_id).startswith("reconnect needed: invalid_grant")
    manager.store(connect(sandbox, oauth))  # reconnecting heals the realm
    assert manager.access_token() and _row(engine, sandbox.realm_id).status == "connected"
    engine.dispose()


@pytest.mark.postgres
def test_invalid_grant_after_another_worker_rotated_uses_the_newer_token(
    pg_url: str, sandbox: object
) -> None:
    engine = _schema(pg_url)
    oauth = oauth_for(sandbox)
    superseded = connect(sandbox, oauth)
    newer = oauth.refresh(superseded.refresh_token)  # another worker rotated and has not stored yet

    class Racing(TokenManager):
        """The other worker's write lands between our invalid_grant and our re-read."""

        def _rotated_since(self, failed_refresh_token: str) -> bool:
            TokenManager(engine, sandbox.realm_id, oauth).store(newer)
            return super()._rotated_since(failed_refresh_token)

    manager = Racing(engine, sandbox.realm_id, oauth)
    manager.store(_expired(superseded))
    before = sandbox.counters()["token"]
    assert manager.access_token() == newer.access_token
    assert sandbox.counters()["token"] - before == 1  # our one refused refresh; no reconnect flagged
    row = _row(engine, sandbox.realm_id)
    assert row.status == "connected" and row.last_error is None
    assert TokenCipher().decrypt(row.refresh_token) == newer.refresh_token
    engine.dispose()


def test_sqlite_refresh_and_no_plaintext(tmp_path: object, sandbox: object) -> None:
    from qbo_sync.db.engine import create_engine
    from qbo_sync.db.migrate import upgrade

    upgrade(f"sqlite:///{tmp_path}/tokens.db")
    engine = create_engine(f"sqlite:///{tmp_path}/tokens.db")
    oauth = oauth_for(sandbox)
    first = connect(sandbox, oauth)
    manager = TokenManager(engine, sandbox.realm_id, oauth)
    manager.store(_expired(first))
    fresh = manager.access_token()
    assert fresh != first.access_token
    assert manager.access_token() == fresh  # not near expiry: no second refresh
    assert manager.refresh(first.access_token) == fresh  # already replaced: no refresh
    row = _row(engine, sandbox.realm_id)
    assert row.refresh_count == 1 and fresh not in row.access_token
    assert "***" in repr(first) and first.access_token not in repr(first)
    engine.dispose()


def test_no_fernet_key_refuses_to_store(monkeypatch: pytest.MonkeyPatch, sandbox: object) -> None:
    from airflow.configuration import conf

    monkeypatch.delenv("AIRFLOW__CORE__FERNET_KEY", raising=False)
    monkeypatch.setattr(conf, "get", lambda *args, **kwargs: "")
    engine = sa.create_engine("sqlite://")
    with pytest.raises(EncryptionKeyMissing, match="AIRFLOW__CORE__FERNET_KEY"):
        TokenManager(engine, sandbox.realm_id, oauth_for(sandbox))
    new_key, old_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    rotated = TokenCipher(f"{new_key},{old_key}")
    assert rotated.decrypt(TokenCipher(old_key).encrypt("secret-value")) == "secret-value"
