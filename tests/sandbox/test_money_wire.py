"""Wire details QBO shows: client_secret_post, the 429 body, fault keys."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.sandbox.conftest import Api

XML_429 = (
    '<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; '
    "statusCode=429</Message><Detail>The request limit was reached.  Try again later</Detail></Error></Fault>"
)


def _code(sandbox: Any) -> str:
    redirect = sandbox.config.redirect_uris[0]
    params = {
        "client_id": sandbox.config.client_id,
        "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting",
        "redirect_uri": redirect,
        "state": "s1",
    }
    answer = requests.get(f"{sandbox.url}/connect/oauth2", params=params, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def test_token_endpoint_accepts_client_secret_post(fresh_sandbox: Any) -> None:
    cfg = fresh_sandbox.config
    form = {
        "grant_type": "authorization_code",
        "code": _code(fresh_sandbox),
        "redirect_uri": cfg.redirect_uris[0],
        "client_id": cfg.client_id,
        "client_secret": cfg.client_secret,
    }
    answer = requests.post(f"{fresh_sandbox.url}/oauth2/v1/tokens/bearer", data=form, timeout=10)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["token_type"] == "bearer" and tokens["refresh_token"]
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": cfg.client_id,
        "client_secret": "wrong",
    }
    refused = requests.post(f"{fresh_sandbox.url}/oauth2/v1/tokens/bearer", data=refresh, timeout=10)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    assert fresh_sandbox.counters()["token"] == 2


def test_discovery_advertises_both_client_auth_methods(fresh_sandbox: Any) -> None:
    doc = requests.get(f"{fresh_sandbox.url}/.well-known/openid_configuration", timeout=10).json()
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_post", "client_secret_basic"]


def test_throttled_429_is_xml_by_default_even_when_json_was_asked(fresh_sandbox: Any, fresh_api: Api) -> None:
    from qbo_sandbox.http.throttle import Limits

    fresh_sandbox.throttle.limits = Limits(per_minute=1, in_flight=10, batch_per_minute=40)
    fresh_sandbox.set_throttle(True)
    assert fresh_api.get("query", query="select count(*) from Item").status_code == 200
    refused = fresh_api.get("query", query="select count(*) from Item")  # Accept: application/json
    assert refused.status_code == 429
    assert refused.headers["Content-Type"].startswith("application/xml")
    assert XML_429 in refused.text
    fresh_sandbox.set_throttle(True, xml=False)
    as_json = fresh_api.get("query", query="select count(*) from Item")
    assert as_json.json()["Fault"]["Error"] == [
        {
            "Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "Detail": "The request limit was reached.  Try again later",
            "code": "3001",
        }
    ]
