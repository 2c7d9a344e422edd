"""QuickBooksHook and the OAuth connect flow (plugin pages) against the sandbox over real HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import REDIRECT


@pytest.fixture()
def web_client():
    from fastapi.testclient import TestClient

    from qbo_sync import web
    from qbo_sync.ui.guards import can_edit, can_read

    # The Airflow API server authorizes these pages (connection rights); here we are that user.
    web.app.dependency_overrides = {can_read: lambda: None, can_edit: lambda: None}
    yield TestClient(web.app, follow_redirects=False)
    web.app.dependency_overrides = {}


def test_hook_test_connection_names_the_company(sandbox: Any, cmms: sa.Engine) -> None:
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    ok, message = QuickBooksHook().test_connection()
    assert ok, message
    company = sandbox.company.company_info()["CompanyName"]
    assert message == f"Connected to QuickBooks company '{company}' (realm {sandbox.realm_id})"
    assert sandbox.counters()["read"] == 1


def test_test_connection_before_connecting_says_so(sandbox: Any, cmms_unconnected: sa.Engine) -> None:
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    ok, message = QuickBooksHook().test_connection()
    assert not ok
    assert message.startswith("QuickBooks connection failed:")
    assert "connect" in message.lower()
    assert sandbox.counters().get("read", 0) == 0


def test_connect_pages_store_tokens_and_reject_a_replayed_state(
    sandbox: Any, cmms_unconnected: sa.Engine, web_client
) -> None:
    start = web_client.get("/connect")
    assert start.status_code == 302
    authorize = start.headers["location"]
    assert authorize.startswith(sandbox.url) and parse_qs(urlsplit(authorize).query)["redirect_uri"] == [
        REDIRECT
    ]
    approved = requests.get(authorize, allow_redirects=False, timeout=10)
    callback = urlsplit(approved.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == REDIRECT

    done = web_client.get("/oauth/callback?" + callback.query)
    assert done.status_code == 200, done.text
    assert f"Tokens stored for realm {sandbox.realm_id}" in done.text
    with cmms_unconnected.connect() as conn:
        row = conn.execute(sa.text("SELECT status, access_token, refresh_token FROM qbo_tokens")).one()
    assert row.status == "connected"
    assert row.access_token and row.access_token.startswith("gAAAA")  # Fernet, not the token itself

    again = web_client.get("/oauth/callback?" + callback.query)
    assert again.status_code == 400 and "already used" in again.text

    tested = web_client.get("/test")
    assert tested.status_code == 200 and "Connected to QuickBooks company" in tested.text
    status = web_client.get("/")
    assert status.status_code == 200 and 'id="entities"' in status.text
    assert "sandbox-demo-secret" not in status.text
    tested = web_client.post("/api/test").json()
    assert tested["ok"] and sandbox.realm_id in tested["message"]


def test_callback_with_unknown_state_is_refused(
    sandbox: Any, cmms_unconnected: sa.Engine, web_client
) -> None:
    answer = web_client.get(f"/oauth/callback?code=abc&state=forged&realmId={sandbox.realm_id}")
    assert answer.status_code == 400
    assert "unknown state" in answer.text
    assert sandbox.counters().get("token", 0) == 0


def test_denied_authorization_is_explained(cmms_unconnected: sa.Engine, web_client) -> None:
    answer = web_client.get("/oauth/callback?error=access_denied&state=x")
    assert answer.status_code == 400 and "did not authorize the app (access_denied)" in answer.text


def test_starting_a_connection_purges_expired_states(cmms_unconnected: sa.Engine) -> None:
    from qbo_sync.connect_flow import begin_connect
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    with cmms_unconnected.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO qbo_oauth_states (state, redirect_uri, created_at) "
                "VALUES ('old', :r, now() - interval '1 hour')"
            ),
            {"r": REDIRECT},
        )
    url = begin_connect(cmms_unconnected, QuickBooksHook().get_oauth_client(), REDIRECT)
    with cmms_unconnected.connect() as conn:
        states = [r.state for r in conn.execute(sa.text("SELECT state FROM qbo_oauth_states"))]
    assert states == [parse_qs(urlsplit(url).query)["state"][0]]


def test_pages_refuse_an_anonymous_user(cmms_unconnected: sa.Engine) -> None:
    """Without the test override, the real Airflow guard answers before any page logic runs."""
    from fastapi.testclient import TestClient

    from qbo_sync import web

    client = TestClient(web.app, follow_redirects=False)
    for path in (
        "/",
        "/connect",
        "/oauth/callback?code=a&state=b&realmId=c",
        "/test",
        "/run?dag_id=a&run_id=b",
    ):
        answer = client.get(path)
        assert answer.status_code == 303, path  # pages: to Airflow's login, coming back here after it
        assert answer.headers["location"].startswith("/auth/login?next=http%3A%2F%2Ftestserver%2F"), path
    for method, path in (("GET", "/api/summary"), ("PUT", "/api/settings"), ("POST", "/api/conflicts/1")):
        answer = client.request(method, path, json={})
        assert answer.status_code == 401 and answer.json() == {"detail": "Not authenticated"}, path
    with cmms_unconnected.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM qbo_oauth_states")).scalar() == 0
