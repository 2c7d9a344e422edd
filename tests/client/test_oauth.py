"""OAuthClient against the sandbox's OAuth server over real HTTP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from qbo_sync.qbo.errors import FatalError, InvalidGrant, OAuthError
from qbo_sync.qbo.oauth import INTUIT_TOKEN_URL, OAuthClient, endpoints_for
from tests.client.client_helpers import connect, oauth_for


def test_endpoints_for_each_environment(sandbox: object) -> None:
    local = endpoints_for("local", sandbox.url)
    assert local.token_url == f"{sandbox.url}/oauth2/v1/tokens/bearer"
    assert local.authorize_url == f"{sandbox.url}/connect/oauth2" and local.api_base_url == sandbox.url
    prod = endpoints_for("production")
    assert prod.token_url == INTUIT_TOKEN_URL and prod.api_base_url == "https://quickbooks.api.intuit.com"
    assert endpoints_for("sandbox").api_base_url == "https://sandbox-quickbooks.api.intuit.com"
    with pytest.raises(FatalError, match="environment"):
        endpoints_for("staging")


def test_exchange_refresh_rotation_and_revoke(sandbox: object, caplog: pytest.LogCaptureFixture) -> None:
    oauth = oauth_for(sandbox)
    first = connect(sandbox, oauth)
    assert first.refresh_expires_at is not None and first.refresh_expires_at > first.expires_at
    assert (first.expires_at - datetime.now(UTC)).total_seconds() > 3500
    second = oauth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    with caplog.at_level(logging.WARNING), pytest.raises(InvalidGrant) as info:
        oauth.refresh(first.refresh_token)
    assert info.value.code == "invalid_grant" and info.value.status == 400
    assert first.refresh_token not in str(info.value) and first.refresh_token not in caplog.text
    oauth.revoke(second.refresh_token)
    with pytest.raises(InvalidGrant):
        oauth.refresh(second.refresh_token)
    assert "***" in repr(second) and second.access_token not in repr(second)


def test_wrong_client_secret_is_oauth_error(sandbox: object) -> None:
    good = oauth_for(sandbox)
    bad = OAuthClient(good.client_id, "wrong-secret", token_url=good.token_url)
    with pytest.raises(OAuthError) as info:
        bad.refresh("anything")
    assert not isinstance(info.value, InvalidGrant) and info.value.code == "invalid_client"
    assert "wrong-secret" not in repr(bad) and "wrong-secret" not in str(info.value)


def test_unreachable_discovery_is_retriable_and_a_bad_document_is_fatal(sandbox: object) -> None:
    from qbo_sync.qbo.errors import RetriableError

    with pytest.raises(
        RetriableError, match=r"cannot reach the OAuth discovery document at http://127\.0\.0\.1:9"
    ):
        endpoints_for("local", "http://127.0.0.1:9")
    with pytest.raises(FatalError, match="cannot read the OAuth discovery document"):
        endpoints_for("local", sandbox.url + "/v3")  # answers, but not with the document


@pytest.mark.parametrize("grace", [0, 3600])
def test_a_superseded_refresh_token_within_the_grace_window(sandbox: object, grace: int) -> None:
    oauth = oauth_for(sandbox)
    first = connect(sandbox, oauth)
    sandbox.set_refresh_grace(grace)
    try:
        second = oauth.refresh(first.refresh_token)
        if not grace:
            with pytest.raises(InvalidGrant):
                oauth.refresh(first.refresh_token)
            return
        third = oauth.refresh(first.refresh_token)  # superseded, still inside the window
        assert third.refresh_token not in (first.refresh_token, second.refresh_token)
        oauth.refresh(third.refresh_token)
        sandbox.advance_clock(grace + 1)
        with pytest.raises(InvalidGrant):
            oauth.refresh(first.refresh_token)  # the window has passed
    finally:
        sandbox.set_refresh_grace(0)


def test_refresh_grace_is_switched_over_http_and_reset_restores_strict(sandbox: object) -> None:
    import requests

    answer = requests.post(f"{sandbox.url}/_sandbox/refresh-grace", json={"seconds": 120}, timeout=5)
    assert answer.status_code == 200 and answer.json() == {"refresh_grace_s": 120.0}
    assert sandbox.oauth.refresh_grace_s == 120.0
    sandbox.reset()
    assert sandbox.oauth.refresh_grace_s == 0.0  # the configured (strict) reading
