"""OAuth 2.0 authorization server of the sandbox (qbo-api.md §8), without HTTP.

One registered app (client id/secret + exact redirect URIs) and one company (realm). The flow:

- ``authorize(params)`` auto-approves the app and answers with a redirect carrying ``code``,
  ``state`` and ``realmId`` (or an OAuth ``error=`` redirect, or an error page when the client or
  redirect URI cannot be trusted).
- ``token(authorization, form)``: ``authorization_code`` (single use, bound to its redirect URI,
  short-lived) and ``refresh_token`` (rotating: every refresh issues a new refresh token and the
  superseded one then gets ``invalid_grant``; with ``refresh_grace_s`` > 0 a superseded token still
  refreshes for that many seconds, rotating the grant again: Intuit's grace window is UNCONFIRMED,
  qbo-api.md §8, older docs said 24 h, ruckus/quickbooks-ruby#389).
- ``revoke(authorization, token)`` ends the whole grant (its refresh and access tokens).
- ``check_access(token)`` is what the data API asks: which realm the bearer token unlocks.

Tokens are opaque random strings; expiry follows the sandbox clock. Tokens never appear in error
messages or reprs.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
KNOWN_SCOPES = frozenset(
    {ACCOUNTING_SCOPE, "com.intuit.quickbooks.payment", "openid", "profile", "email", "phone", "address"}
)


@dataclass(frozen=True)
class OAuthApp:
    """The one app registered with the sandbox."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    realm_id: str
    access_ttl: int = 3600
    refresh_ttl: int = 8726400
    code_ttl: int = 600


@dataclass(frozen=True)
class AuthorizeResult:
    """Either a redirect (``location``) or an error page (``status`` + ``error``)."""

    status: int
    location: str | None = None
    error: str | None = None
    description: str = ""


@dataclass
class _Code:
    redirect_uri: str
    scope: str
    expires_at: float
    used: bool = False


@dataclass
class _Grant:
    realm_id: str
    scope: str
    refresh_token: str = field(repr=False)
    refresh_expires_at: float
    revoked: bool = False
    access_tokens: set[str] = field(default_factory=set, repr=False)


@dataclass
class _Access:
    grant: _Grant
    expires_at: float


class OAuthError(Exception):
    """An OAuth error answer: HTTP status + ``{"error": ..., "error_description": ...}``."""

    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


def _new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


class OAuthServer:
    """Codes, grants and tokens of the sandbox's OAuth server. Thread-safe."""

    def __init__(self, app: OAuthApp, now: Callable[[], float]) -> None:
        self.app = app
        self._now = now
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._grants_by_refresh: dict[str, _Grant] = {}
        self._access: dict[str, _Access] = {}
        # Seconds a superseded refresh token still refreshes (0: strict, the default).
        self.refresh_grace_s = 0.0
        self._superseded: dict[str, tuple[_Grant, float]] = {}  # old refresh token -> (grant, when)

    def __repr__(self) -> str:
        return f"OAuthServer(client_id={self.app.client_id!r}, realm_id={self.app.realm_id!r})"

    # --- authorize ------------------------------------------------------------------------------

    def authorize(self, params: Mapping[str, str]) -> AuthorizeResult:
        """Auto-approve the registered app; see the module docstring for the error rules."""
        if params.get("client_id") != self.app.client_id:
            return AuthorizeResult(400, error="invalid_client", description="Unknown client_id")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in self.app.redirect_uris:
            return AuthorizeResult(
                400, error="invalid_request", description="redirect_uri is not registered for this app"
            )
        state = params.get("state")
        if params.get("response_type") != "code":
            return self._error_redirect(redirect_uri, state, "unsupported_response_type")
        scopes = params.get("scope", "").split()
        if not scopes or not set(scopes) <= KNOWN_SCOPES:
            return self._error_redirect(redirect_uri, state, "invalid_scope")
        if not state:
            return self._error_redirect(redirect_uri, state, "invalid_request", "state is required")
        code = _new_token("AB11")
        with self._lock:
            self._codes[code] = _Code(redirect_uri, " ".join(scopes), self._now() + self.app.code_ttl)
        query = urlencode({"code": code, "state": state, "realmId": self.app.realm_id})
        return AuthorizeResult(302, location=_append_query(redirect_uri, query))

    @staticmethod
    def _error_redirect(
        redirect_uri: str, state: str | None, error: str, description: str = ""
    ) -> AuthorizeResult:
        params = {"error": error}
        if description:
            params["error_description"] = description
        if state:
            params["state"] = state
        return AuthorizeResult(302, location=_append_query(redirect_uri, urlencode(params)), error=error)

    # --- token endpoint -------------------------------------------------------------------------

    def check_client(self, authorization: str | None) -> None:
        """HTTP Basic client authentication; raises 401 ``invalid_client``."""
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise OAuthError(401, "invalid_client")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError(401, "invalid_client") from exc
        client_id, sep, secret = decoded.partition(":")
        ok_id = hmac.compare_digest(client_id.encode(), self.app.client_id.encode())
        ok_secret = hmac.compare_digest(secret.encode(), self.app.client_secret.encode())
        if not (sep and ok_id and ok_secret):
            raise OAuthError(401, "invalid_client")

    def token(self, authorization: str | None, form: Mapping[str, str]) -> dict[str, object]:
        """The token endpoint; returns the token response or raises :class:`OAuthError`."""
        self.check_client(authorization)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        if not grant_type:
            raise OAuthError(400, "invalid_request", "grant_type is required")
        raise OAuthError(400, "unsupported_grant_type")

    def _exchange_code(self, form: Mapping[str, str]) -> dict[str, object]:
        code_value = form.get("code")
        redirect_uri = form.get("redirect_uri")
        if not code_value or not redirect_uri:
            raise OAuthError(400, "invalid_request", "code and redirect_uri are required")
        with self._lock:
            code = self._codes.get(code_value)
            if code is None or code.used or code.expires_at <= self._now():
                raise OAuthError(400, "invalid_grant")
            if code.redirect_uri != redirect_uri:
                raise OAuthError(400, "invalid_grant", "redirect_uri does not match the authorization")
            code.used = True
            grant = _Grant(self.app.realm_id, code.scope, "", 0.0)
            return self._issue(grant)

    def _refresh(self, form: Mapping[str, str]) -> dict[str, object]:
        value = form.get("refresh_token")
        if not value:
            raise OAuthError(400, "invalid_request", "refresh_token is required")
        with self._lock:
            grant = self._grants_by_refresh.get(value) or self._in_grace(value)
            if grant is None or grant.revoked or grant.refresh_expires_at <= self._now():
                raise OAuthError(400, "invalid_grant")
            self._grants_by_refresh.pop(grant.refresh_token, None)
            return self._issue(grant)

    def _in_grace(self, value: str) -> _Grant | None:
        """The grant of a superseded refresh token still inside the grace window (caller locks)."""
        superseded = self._superseded.get(value)
        if superseded is None or self._now() - superseded[1] >= self.refresh_grace_s:
            return None
        return superseded[0]

    def _issue(self, grant: _Grant) -> dict[str, object]:
        """Issue a fresh access token and a rotated refresh token (caller holds the lock)."""
        now = self._now()
        if grant.refresh_token:
            self._superseded[grant.refresh_token] = (grant, now)
        grant.refresh_token = _new_token("RT1-")
        grant.refresh_expires_at = now + self.app.refresh_ttl
        self._grants_by_refresh[grant.refresh_token] = grant
        access = _new_token("eyJ")
        grant.access_tokens.add(access)
        self._access[access] = _Access(grant, now + self.app.access_ttl)
        return {
            "token_type": "bearer",
            "access_token": access,
            "expires_in": self.app.access_ttl,
            "refresh_token": grant.refresh_token,
            "x_refresh_token_expires_in": self.app.refresh_ttl,
        }

    # --- revoke ---------------------------------------------------------------------------------

    def revoke(self, authorization: str | None, token: str | None) -> None:
        """Revoke the grant that ``token`` (refresh or access) belongs to. Unknown tokens: no-op."""
        self.check_client(authorization)
        if not token:
            raise OAuthError(400, "invalid_request", "token is required")
        with self._lock:
            grant = self._grants_by_refresh.get(token)
            if grant is None and token in self._access:
                grant = self._access[token].grant
            if grant is None:
                return
            grant.revoked = True
            self._grants_by_refresh.pop(grant.refresh_token, None)
            for access in grant.access_tokens:
                self._access.pop(access, None)

    # --- data API -------------------------------------------------------------------------------

    def check_access(self, token: str | None) -> tuple[str | None, str]:
        """``(realm_id, "")`` for a valid bearer token, else ``(None, reason)``."""
        if not token:
            return None, "Token invalid: no bearer token supplied"
        with self._lock:
            access = self._access.get(token)
            if access is None:
                return None, "Token invalid or revoked"
            if access.expires_at <= self._now():
                return None, "Token expired"
            return access.grant.realm_id, ""

    def clear(self) -> None:
        """Forget every code, grant and token."""
        with self._lock:
            self._codes.clear()
            self._grants_by_refresh.clear()
            self._superseded.clear()
            self._access.clear()


def _append_query(uri: str, query: str) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


def discovery_document(base_url: str) -> dict[str, object]:
    """The OpenID discovery document, with Intuit's keys, pointing at this server."""
    return {
        "issuer": base_url,
        "authorization_endpoint": f"{base_url}/connect/oauth2",
        "token_endpoint": f"{base_url}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base_url}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base_url}/oauth2/v1/tokens/revoke",
        "jwks_uri": f"{base_url}/oauth2/v1/keys",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        # Both, as Intuit's discovery document advertises (NET Documents/discovery.json).
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": [
            "aud",
            "exp",
            "iat",
            "iss",
            "realmid",
            "sub",
        ],
    }
