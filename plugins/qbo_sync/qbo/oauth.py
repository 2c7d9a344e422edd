"""OAuth 2.0 client for Intuit's authorization server (qbo-api.md §8) and the sandbox's.

Client authentication is HTTP Basic (``client_secret_basic``); bodies are form-encoded; answers are
JSON. ``invalid_grant`` raises :class:`InvalidGrant`; other refusals :class:`OAuthError`; network
failures and 5xx :class:`RetriableError`. Tokens never appear in reprs, logs or error messages.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from qbo_sync.qbo.errors import (
    FatalError,
    InvalidGrant,
    OAuthError,
    RetriableError,
    intuit_tid_of,
)

log = logging.getLogger(__name__)

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
INTUIT_AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
INTUIT_REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
API_BASE_URLS = {
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
    "production": "https://quickbooks.api.intuit.com",
    "local": "http://127.0.0.1:8765",
}
DISCOVERY_PATH = "/.well-known/openid_configuration"


def _mask(token: str) -> str:
    return "***" if token else "''"


@dataclass(frozen=True)
class TokenSet:
    """One token endpoint answer; ``repr`` masks both tokens."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    refresh_expires_at: datetime | None = None

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token={_mask(self.access_token)}, refresh_token={_mask(self.refresh_token)}, "
            f"expires_at={self.expires_at.isoformat()}, refresh_expires_at="
            f"{self.refresh_expires_at.isoformat() if self.refresh_expires_at else None})"
        )

    @classmethod
    def from_response(cls, body: dict[str, Any], now: datetime | None = None) -> TokenSet:
        now = now or datetime.now(UTC)
        try:
            access, refresh = str(body["access_token"]), str(body["refresh_token"])
            expires_in = int(body.get("expires_in", 3600))
        except (KeyError, TypeError, ValueError) as exc:
            raise OAuthError("token response lacks access_token/refresh_token") from exc
        refresh_in = body.get("x_refresh_token_expires_in")
        return cls(
            access_token=access,
            refresh_token=refresh,
            expires_at=now + timedelta(seconds=expires_in),
            refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
        )


@dataclass(frozen=True)
class OAuthEndpoints:
    """Where to authorize, exchange/refresh, revoke, and the data API base URL."""

    authorize_url: str
    token_url: str
    revoke_url: str
    api_base_url: str


def endpoints_for(
    environment: str, base_url: str | None = None, *, session: requests.Session | None = None
) -> OAuthEndpoints:
    """Endpoints for ``sandbox``/``production`` (Intuit's discovery values) or ``local`` (fetched
    from ``{base_url}/.well-known/openid_configuration``)."""
    if environment in ("sandbox", "production"):
        api = (base_url or API_BASE_URLS[environment]).rstrip("/")
        return OAuthEndpoints(INTUIT_AUTHORIZE_URL, INTUIT_TOKEN_URL, INTUIT_REVOKE_URL, api)
    if environment != "local":
        raise FatalError(f"unknown environment {environment!r}; expected sandbox, production or local")
    api = (base_url or API_BASE_URLS["local"]).rstrip("/")
    where = f"{api}{DISCOVERY_PATH}"
    try:
        resp = (session or requests).get(where, timeout=(5, 30))
    except requests.RequestException as exc:
        # Unreachable is an outage, not a configuration error: Airflow retries the task.
        raise RetriableError(
            f"cannot reach the OAuth discovery document at {where} ({exc.__class__.__name__})",
            hint="is the sandbox server running at the connection's base URL?",
        ) from None
    if resp.status_code >= 500 or resp.status_code == 429:
        raise RetriableError(f"the OAuth discovery document at {where} answered HTTP {resp.status_code}")
    try:
        resp.raise_for_status()
        doc = resp.json()
        return OAuthEndpoints(
            doc["authorization_endpoint"], doc["token_endpoint"], doc["revocation_endpoint"], api
        )
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise FatalError(
            f"cannot read the OAuth discovery document at {where} ({exc.__class__.__name__})",
            hint="is the connection's base URL the sandbox server's?",
        ) from exc


class OAuthClient:
    """Talks to the token endpoint for one app (client id + secret)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        authorize_url: str = INTUIT_AUTHORIZE_URL,
        token_url: str = INTUIT_TOKEN_URL,
        revoke_url: str = INTUIT_REVOKE_URL,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5, 30),
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.authorize_url = authorize_url
        self.token_url = token_url
        self.revoke_url = revoke_url
        self.session = session or requests.Session()
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"OAuthClient(client_id={self.client_id!r}, token_url={self.token_url!r})"

    @classmethod
    def for_endpoints(cls, client_id: str, client_secret: str, ep: OAuthEndpoints, **kw: Any) -> OAuthClient:
        return cls(
            client_id,
            client_secret,
            authorize_url=ep.authorize_url,
            token_url=ep.token_url,
            revoke_url=ep.revoke_url,
            **kw,
        )

    def authorization_url(self, redirect_uri: str, state: str, scope: str = ACCOUNTING_SCOPE) -> str:
        query = {
            "client_id": self.client_id,
            "response_type": "code",
            "scope": scope,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return f"{self.authorize_url}?{urlencode(query)}"

    def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return TokenSet.from_response(self._post(self.token_url, data=form, what="code exchange"))

    def refresh(self, refresh_token: str) -> TokenSet:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return TokenSet.from_response(self._post(self.token_url, data=form, what="token refresh"))

    def revoke(self, token: str) -> None:
        self._post(self.revoke_url, json_body={"token": token}, what="revoke")

    def _post(
        self,
        url: str,
        *,
        data: dict[str, str] | None = None,
        json_body: dict[str, str] | None = None,
        what: str,
    ) -> dict[str, Any]:
        try:
            resp = self.session.post(
                url,
                data=data,
                json=json_body,
                auth=(self.client_id, self._client_secret),
                headers={"Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise RetriableError(f"OAuth {what}: network error ({exc.__class__.__name__})") from None
        tid = intuit_tid_of(resp.headers)
        body = _json_or_empty(resp.content)
        if resp.status_code < 400:
            return body
        error = str(body.get("error") or "")
        description = str(body.get("error_description") or "")
        message = f"OAuth {what} refused: {error or 'HTTP ' + str(resp.status_code)}"
        log.warning("%s (HTTP %s, intuit_tid %s)", message, resp.status_code, tid or "-")
        if error == "invalid_grant":
            raise InvalidGrant(
                message, status=resp.status_code, code=error, detail=description, intuit_tid=tid
            )
        if resp.status_code >= 500 or resp.status_code == 429:
            raise RetriableError(message, status=resp.status_code, intuit_tid=tid)
        raise OAuthError(
            message, status=resp.status_code, code=error or None, detail=description, intuit_tid=tid
        )


def _json_or_empty(content: bytes) -> dict[str, Any]:
    if not content:
        return {}
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
