"""Auth and reachability faults: a 401 mid-run, a revoked refresh token, a refresh whose answer was
lost (strict and grace readings of Intuit's UNCONFIRMED behaviour), QuickBooks unreachable at the
start of a task, two runs at once (defects 4 and 5)."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowFailException

from qbo_sync.qbo.errors import RetriableError
from qbo_sync.qbo.tokens import token_status
from qbo_sync.sync.run_lock import SyncAlreadyRunning, entity_run_lock
from qbo_sync.sync.tasks import sync_entity
from tests.conftest import REDIRECT
from tests.faults.fault_helpers import execute, problems, q, record, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")
TOKEN_PATH = r"/oauth2/v1/tokens/bearer"


def _expire_locally(cmms: sa.Engine) -> None:
    """The stored access token is due for a refresh at the next request."""
    execute(cmms, "UPDATE qbo_tokens SET access_token_expires_at = now() - interval '1 hour'")


def _last_run(cmms: sa.Engine, entity: str = "customers") -> sa.Row:
    return q(
        cmms, "SELECT status, message FROM sync_runs WHERE entity = :e ORDER BY id DESC LIMIT 1", e=entity
    )[0]


def _reconnect(sandbox: Any, cmms: sa.Engine) -> None:
    from qbo_sync.connect_flow import approve_locally, begin_connect, complete_connect
    from qbo_sync.qbo.oauth import OAuthClient, endpoints_for

    oauth = OAuthClient.for_endpoints(
        "sandbox-demo-client", "sandbox-demo-secret", endpoints_for("local", sandbox.url)
    )
    answer = approve_locally(begin_connect(cmms, oauth, REDIRECT))
    complete_connect(cmms, oauth, code=answer["code"], state=answer["state"], realm_id=answer["realmId"])


def test_401_mid_run_refreshes_once_and_goes_on(sandbox: Any, cmms: sa.Engine) -> None:
    assert run_dag("customers")["sync_customers"] == "success"
    execute(cmms, "INSERT INTO customers (display_name) VALUES ('Mid Run Auth Co')")
    sandbox.reset_counters()
    sandbox.add_fault("*", r"/(query|cdc)", "hold")  # the pull's first read waits, already admitted

    def expire_server_side() -> None:
        deadline = time.monotonic() + 60
        while not sandbox.faults.held():
            if time.monotonic() > deadline:
                return  # the test then fails on the token count
            time.sleep(0.02)
        sandbox.advance_clock(3700)  # every access token expires in QuickBooks' eyes, not ours
        sandbox.release_holds()

    helper = threading.Thread(target=expire_server_side)
    helper.start()
    try:
        states = run_dag("customers")
    finally:
        helper.join()

    assert states["sync_customers"] == "success"
    assert sandbox.counters()["token"] == 1  # one refresh, after the 401
    assert q(cmms, "SELECT status, refresh_count FROM qbo_tokens")[0] == ("connected", 1)
    assert q(cmms, "SELECT qb_id FROM customers WHERE display_name = 'Mid Run Auth Co'")[0].qb_id
    assert problems(sandbox, cmms, "customers") == []
    record("401 mid-run", "refreshed once, resent, run success")


def test_revoked_refresh_token_asks_for_a_reconnect_once(sandbox: Any, cmms: sa.Engine) -> None:
    from qbo_sync.qbo.crypto import TokenCipher

    assert run_dag("customers")["sync_customers"] == "success"
    stored = q(cmms, "SELECT refresh_token FROM qbo_tokens")[0].refresh_token
    sandbox.oauth.revoke(*_basic_and(TokenCipher().decrypt(stored)))
    sandbox.reset_counters()

    states = run_dag("customers")

    assert states["sync_customers"] == "failed"  # AirflowFailException: not retried
    tokens = q(cmms, "SELECT status, last_error FROM qbo_tokens")[0]
    assert tokens.status == "reconnect_needed" and tokens.last_error.startswith("invalid_grant at ")
    run = _last_run(cmms)
    assert run.status == "failed" and "must be reconnected" in run.message and "/qbo/connect" in run.message
    assert token_status(cmms, sandbox.realm_id).startswith("reconnect needed: invalid_grant at ")
    assert sandbox.counters()["token"] == 1 and sandbox.counters().get("batch", 0) == 0

    _reconnect(sandbox, cmms)
    assert run_dag("customers")["sync_customers"] == "success"
    assert problems(sandbox, cmms, "customers") == []
    record("revoked refresh token", "task failed once with how to reconnect; token status says so")


def _basic_and(token: str) -> tuple[str, str]:
    import base64

    basic = base64.b64encode(b"sandbox-demo-client:sandbox-demo-secret").decode()
    return f"Basic {basic}", token


@pytest.mark.parametrize("grace", [0, 3600], ids=["strict", "grace"])
def test_lost_refresh_answer(
    sandbox: Any, cmms: sa.Engine, grace: int, caplog: pytest.LogCaptureFixture
) -> None:
    from qbo_sync.qbo.crypto import TokenCipher

    assert run_dag("customers")["sync_customers"] == "success"
    sandbox.set_refresh_grace(grace)
    _expire_locally(cmms)
    old = TokenCipher().decrypt(q(cmms, "SELECT refresh_token FROM qbo_tokens")[0].refresh_token)
    sandbox.reset_counters()
    sandbox.add_fault("POST", TOKEN_PATH, "drop_after_commit")  # rotated, then the answer is lost

    with caplog.at_level(logging.INFO):
        states = run_dag("customers")

    # the refresh failure is logged in words (no ordinary word masked), and no token value
    assert "OAuth token refresh: network error" in caplog.text and old not in caplog.text

    assert sandbox.counters()["token"] == 2  # the lost refresh and its retry with the old token
    tokens = q(cmms, "SELECT status, last_error FROM qbo_tokens")[0]
    if grace:
        assert states["sync_customers"] == "success" and tokens.status == "connected"
        assert problems(sandbox, cmms, "customers") == []
        record("lost refresh answer, grace window", "old token refreshed again; run success")
        return
    assert states["sync_customers"] == "failed"
    assert tokens.status == "reconnect_needed"
    assert "right after a token refresh at " in tokens.last_error and "got no answer" in tokens.last_error
    run = _last_run(cmms)
    assert run.status == "failed" and "got no answer" in run.message and "/qbo/connect" in run.message
    _reconnect(sandbox, cmms)
    assert run_dag("customers")["sync_customers"] == "success"
    record("lost refresh answer, strict", "reconnect needed, said on the run and the token status")


def test_unreachable_at_the_start_of_a_task_is_retried(
    cmms: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    conn = json.loads(os.environ["AIRFLOW_CONN_QUICKBOOKS_DEFAULT"])
    conn["host"] = "http://127.0.0.1:9"  # nothing listens there
    monkeypatch.setenv("AIRFLOW_CONN_QUICKBOOKS_DEFAULT", json.dumps(conn))

    with pytest.raises(RetriableError) as caught:
        sync_entity("customers", {"params": {"entities": ["customers"]}})

    assert not isinstance(caught.value, AirflowFailException)
    assert "cannot reach the OAuth discovery document at http://127.0.0.1:9" in str(caught.value)
    record("QuickBooks unreachable at task start", "RetriableError: Airflow retries the task")


def test_two_runs_at_once(sandbox: Any, cmms: sa.Engine) -> None:
    assert run_dag("customers")["sync_customers"] == "success"
    execute(cmms, "INSERT INTO customers (display_name) VALUES ('Two At Once Co')")
    before = q(cmms, "SELECT count(*) AS n FROM sync_runs")[0].n
    sandbox.reset_counters()

    busy = r"another sync of customers for realm \d+ is running"
    with entity_run_lock(cmms, sandbox.realm_id, "customers"), pytest.raises(SyncAlreadyRunning, match=busy):
        sync_entity("customers", {"params": {"entities": ["customers"]}})  # another run holds it

    assert q(cmms, "SELECT count(*) AS n FROM sync_runs")[0].n == before  # nothing recorded or sent
    assert sandbox.counters().get("batch", 0) == 0
    assert run_dag("customers")["sync_customers"] == "success"
    assert (
        q(
            cmms,
            "SELECT count(*) AS n FROM customers WHERE display_name = 'Two At Once Co' AND qb_id IS NOT NULL",
        )[0].n
        == 1
    )
    assert problems(sandbox, cmms, "customers") == []
    record("two runs at once", "the second refused before writing; the next run syncs")
