"""Sandbox OAuth: the authorization server rules, then the whole flow over real HTTP."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from qbo_sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from qbo_sandbox.oauth import OAuthApp, OAuthError, OAuthServer

REDIRECT = "http://localhost:8080/qbo/oauth/callback"
SCOPE = "com.intuit.quickbooks.accounting"
BASIC = "Basic " + base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> FakeTime:
    return FakeTime()


@pytest.fixture()
def oauth(clock: FakeTime) -> OAuthServer:
    app = OAuthApp(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, (REDIRECT,), "123", access_ttl=3600, code_ttl=600)
    return OAuthServer(app, clock)


def _authorize(oauth: OAuthServer, **overrides: str) -> dict[str, str]:
    params = {
        "client_id": DEMO_CLIENT_ID,
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": REDIRECT,
        "state": "s1",
        **overrides,
    }
    result = oauth.authorize(params)
    assert result.location is not None, result
    query = parse_qs(urlsplit(result.location).query)
    return {key: values[0] for key, values in query.items()}


def _exchange(oauth: OAuthServer, code: str, redirect_uri: str = REDIRECT) -> dict[str, object]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return oauth.token(BASIC, form)


def test_authorize_redirects_with_code_state_and_realm(oauth: OAuthServer) -> None:
    answer = _authorize(oauth)
    assert answer["state"] == "s1"
    assert answer["realmId"] == "123"
    assert len(answer["code"]) > 20


def test_authorize_rejects_unknown_client_and_unregistered_redirect(oauth: OAuthServer) -> None:
    base = {"client_id": DEMO_CLIENT_ID, "response_type": "code", "scope": SCOPE, "state": "x"}
    unknown = oauth.authorize({**base, "client_id": "other", "redirect_uri": REDIRECT})
    assert (unknown.status, unknown.location, unknown.error) == (400, None, "invalid_client")
    foreign = oauth.authorize({**base, "redirect_uri": "http://evil.example/cb"})
    assert (foreign.status, foreign.location) == (400, None)


def test_authorize_missing_scope_redirects_with_invalid_scope(oauth: OAuthServer) -> None:
    answer = _authorize(oauth, scope="")
    assert answer == {"error": "invalid_scope", "state": "s1"}


def test_code_is_single_use_and_bound_to_redirect(oauth: OAuthServer) -> None:
    code = _authorize(oauth)["code"]
    with pytest.raises(OAuthError) as wrong_uri:
        _exchange(oauth, code, "http://127.0.0.1:8080/qbo/oauth/callback")
    assert (wrong_uri.value.status, wrong_uri.value.error) == (400, "invalid_grant")
    tokens = _exchange(oauth, code)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["x_refresh_token_expires_in"] == 8726400
    with pytest.raises(OAuthError) as reused:
        _exchange(oauth, code)
    assert reused.value.body() == {"error": "invalid_grant"}


def test_code_expires(oauth: OAuthServer, clock: FakeTime) -> None:
    code = _authorize(oauth)["code"]
    clock.now += 601
    with pytest.raises(OAuthError) as expired:
        _exchange(oauth, code)
    assert expired.value.error == "invalid_grant"


def test_refresh_rotates_and_supersedes(oauth: OAuthServer) -> None:
    first = _exchange(oauth, _authorize(oauth)["code"])
    second = oauth.token(BASIC, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    with pytest.raises(OAuthError) as superseded:
        oauth.token(BASIC, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert (superseded.value.status, superseded.value.body()) == (400, {"error": "invalid_grant"})
    third = oauth.token(BASIC, {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]})
    assert oauth.check_access(str(third["access_token"])) == ("123", "")


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer abc", "Basic !!!", "Basic " + base64.b64encode(b"sandbox-demo-client:wrong").decode()],
)
def test_token_endpoint_requires_basic_client_auth(oauth: OAuthServer, authorization: str | None) -> None:
    code = _authorize(oauth)["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    with pytest.raises(OAuthError) as denied:
        oauth.token(authorization, form)
    assert (denied.value.status, denied.value.error) == (401, "invalid_client")


def test_access_token_expires_by_clock(oauth: OAuthServer, clock: FakeTime) -> None:
    tokens = _exchange(oauth, _authorize(oauth)["code"])
    access = str(tokens["access_token"])
    clock.now += 3599
    assert oauth.check_access(access) == ("123", "")
    clock.now += 2
    assert oauth.check_access(access) == (None, "Token expired")


def test_revoke_ends_the_grant(oauth: OAuthServer) -> None:
    tokens = _exchange(oauth, _authorize(oauth)["code"])
    oauth.revoke(BASIC, str(tokens["refresh_token"]))
    assert oauth.check_access(str(tokens["access_token"]))[0] is None
    with pytest.raises(OAuthError) as revoked:
        oauth.token(BASIC, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert revoked.value.error == "invalid_grant"


def test_unsupported_grant_type(oauth: OAuthServer) -> None:
    with pytest.raises(OAuthError) as bad:
        oauth.token(BASIC, {"grant_type": "password"})
    assert (bad.value.status, bad.value.error) == (400, "unsupported_grant_type")


def test_repr_hides_secrets(oauth: OAuthServer) -> None:
    tokens = _exchange(oauth, _authorize(oauth)["code"])
    text = repr(oauth) + repr(oauth.app)
    assert DEMO_CLIENT_SECRET not in text
    assert str(tokens["refresh_token"]) not in text


# --- over HTTP -------------------------------------------------------------------------------------


def test_discovery_document_points_at_the_server(sandbox) -> None:
    doc = requests.get(f"{sandbox.url}/.well-known/openid_configuration", timeout=5).json()
    assert doc["authorization_endpoint"] == f"{sandbox.url}/connect/oauth2"
    assert doc["token_endpoint"] == f"{sandbox.url}/oauth2/v1/tokens/bearer"
    assert doc["revocation_endpoint"] == f"{sandbox.url}/oauth2/v1/tokens/revoke"
    for key in ("issuer", "userinfo_endpoint", "jwks_uri", "response_types_supported"):
        assert key in doc
    assert "client_secret_basic" in doc["token_endpoint_auth_methods_supported"]


def _http_authorize(sandbox, **overrides: str) -> requests.Response:
    params = {
        "client_id": DEMO_CLIENT_ID,
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": REDIRECT,
        "state": "csrf-123",
        **overrides,
    }
    return requests.get(f"{sandbox.url}/connect/oauth2", params=params, allow_redirects=False, timeout=5)


def _http_token(sandbox, form: dict[str, str], auth: tuple[str, str] | None = None) -> requests.Response:
    return requests.post(
        f"{sandbox.url}/oauth2/v1/tokens/bearer",
        data=form,
        auth=auth if auth is not None else (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        headers={"Accept": "application/json"},
        timeout=5,
    )


def test_http_flow_code_refresh_revoke(sandbox) -> None:
    redirect = _http_authorize(sandbox)
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["state"] == "csrf-123" and query["realmId"] == sandbox.realm_id
    before = sandbox.counters()["token"]
    form = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": REDIRECT}
    exchanged = _http_token(sandbox, form)
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.headers["intuit_tid"]
    tokens = exchanged.json()
    assert set(tokens) == {
        "token_type",
        "access_token",
        "expires_in",
        "refresh_token",
        "x_refresh_token_expires_in",
    }
    assert _http_token(sandbox, form).json() == {"error": "invalid_grant"}  # code reuse
    refreshed = _http_token(
        sandbox, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    stale = _http_token(sandbox, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert (stale.status_code, stale.json()) == (400, {"error": "invalid_grant"})
    assert sandbox.counters()["token"] - before == 4
    new = refreshed.json()
    revoke = requests.post(
        f"{sandbox.url}/oauth2/v1/tokens/revoke",
        json={"token": new["refresh_token"]},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        timeout=5,
    )
    assert revoke.status_code == 200
    data = requests.get(
        f"{sandbox.url}/v3/company/{sandbox.realm_id}/companyinfo/{sandbox.realm_id}",
        headers={"Authorization": f"Bearer {new['access_token']}", "Accept": "application/json"},
        timeout=5,
    )
    assert data.status_code == 401
    assert data.json()["fault"]["error"][0]["code"] == "3200"


def test_http_token_wrong_client_auth_is_401(sandbox) -> None:
    code = parse_qs(urlsplit(_http_authorize(sandbox).headers["Location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    wrong = _http_token(sandbox, form, auth=(DEMO_CLIENT_ID, "not-the-secret"))
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    missing = requests.post(f"{sandbox.url}/oauth2/v1/tokens/bearer", data=form, timeout=5)
    assert (missing.status_code, missing.json()) == (401, {"error": "invalid_client"})
    assert _http_token(sandbox, form).status_code == 200  # the code was not burnt by failed auth


def test_http_authorize_errors(sandbox) -> None:
    unknown = _http_authorize(sandbox, client_id="someone-else")
    assert unknown.status_code == 400 and "Location" not in unknown.headers
    foreign = _http_authorize(sandbox, redirect_uri="http://attacker.example/cb")
    assert foreign.status_code == 400 and "Location" not in foreign.headers
    no_scope = _http_authorize(sandbox, scope="")
    assert no_scope.status_code == 302
    assert parse_qs(urlsplit(no_scope.headers["Location"]).query)["error"] == ["invalid_scope"]


def test_http_token_json_body_is_rejected(sandbox) -> None:
    answer = requests.post(
        f"{sandbox.url}/oauth2/v1/tokens/bearer",
        json={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        timeout=5,
    )
    assert answer.status_code == 415
