"""HTTP transport to the QBO data API: auth, budget, classification, bounded retries.

Every request carries ``minorversion=75``, ``Accept: application/json``, ``Accept-Encoding: gzip``
and ``Authorization: Bearer <token>`` from the token provider, and has a (connect, read) timeout
(``kind_timeouts`` may set another per request kind, e.g. a longer read for batches).
Each response goes through :func:`~qbo_sync.qbo.errors.classify`; then:

- :class:`AuthError` → ``token_provider.refresh(rejected_token)`` once, resend (like httpx's auth
  flow); a second auth failure is raised.
- a :class:`RetriableError` while getting or refreshing the token (token endpoint unreachable or
  5xx) counts as a failed attempt of the request and is retried with the same backoff (the token
  provider never marks the realm ``reconnect_needed`` for it; only ``invalid_grant`` does).
- :class:`ThrottledError` (429) → the realm's budget pauses every client for ``Retry-After`` seconds
  if the server sent it, else ``throttle_wait`` (60 s, Intuit's guidance), then retry.
- other :class:`RetriableError` (5xx, network error, timeout) → sleep ``uniform(0, min(backoff_max,
  backoff_base * 2**(attempt-1)))`` (exponential backoff, full jitter), then retry; at most
  ``max_attempts`` attempts in all.
- anything else is raised at once.

**Write retry policy.** A read (``kind`` read/query/cdc) is always safe to resend. A write or batch
carrying a ``requestid`` is resent too: QBO answers a repeated requestid with the original response
instead of executing it again. A write *without* a requestid is resent only when it certainly did
not execute (connect failure, 429, 401); if it timed out, the connection dropped, or a 5xx came back,
:class:`AmbiguousOutcome` is raised so the caller can look the record up by its natural key first.

Failures are logged with method, path (sensitive query parameters redacted), status, QBO code and
``intuit_tid``; URLs and headers carrying tokens are never logged.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter

from qbo_sync.qbo.budget import RequestBudget, budget_for
from qbo_sync.qbo.errors import (
    AmbiguousOutcome,
    AuthError,
    FatalError,
    QBOError,
    RetriableError,
    ThrottledError,
    classify,
    intuit_tid_of,
    parse_body,
)

log = logging.getLogger(__name__)

MINOR_VERSION = "75"
SAFE_KINDS = frozenset({"read", "query", "cdc"})
SENSITIVE_PARAMS = frozenset(
    {"access_token", "refresh_token", "token", "code", "client_secret", "id_token", "assertion"}
)


class TokenProvider(Protocol):
    """What the transport needs from token custody (see :class:`~qbo_sync.qbo.tokens.TokenManager`)."""

    def access_token(self) -> str: ...

    def refresh(self, rejected_token: str) -> str: ...


@dataclass(frozen=True)
class ParsedResponse:
    """A successful response: the parsed JSON body (floats as ``Decimal``)."""

    body: dict[str, Any]
    intuit_tid: str | None
    status: int


def redacted_target(path: str, params: Mapping[str, Any] | None) -> str:
    """``path?query`` with sensitive parameter values replaced by ``***`` (for logs)."""
    if not params:
        return path
    safe = {k: ("***" if k.lower() in SENSITIVE_PARAMS else v) for k, v in params.items()}
    return f"{path}?{urlencode(safe, safe='*,:')}"


def make_session(pool_size: int = 10) -> requests.Session:
    """A session whose connection pool matches QBO's 10-in-flight limit; no urllib3 retries."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class Transport:
    """Sends requests to ``{base_url}/v3/company/{realm_id}/...`` for one realm."""

    def __init__(
        self,
        base_url: str,
        realm_id: str,
        token_provider: TokenProvider,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5, 60),
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        throttle_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        budget: RequestBudget | None = None,
        rng: Callable[[], float] = random.random,
        kind_timeouts: Mapping[str, tuple[float, float]] | None = None,
        minor_version: int | str = MINOR_VERSION,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.realm_id = str(realm_id)
        self.token_provider = token_provider
        self.session = session or make_session()
        self.timeout = timeout
        # (connect, read) timeouts of particular request kinds (read/query/cdc/write/batch)
        self.kind_timeouts = dict(kind_timeouts or {})
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.throttle_wait = throttle_wait
        self._sleep = sleep
        self.budget = budget or budget_for(self.realm_id)
        self._rng = rng
        # The connection's minor version (settings raise anything older to 75, qbo-api.md §1).
        self.minor_version = str(minor_version)

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, realm_id={self.realm_id!r})"

    def url_for(self, path: str) -> str:
        return f"{self.base_url}/v3/company/{self.realm_id}/{path.lstrip('/')}"

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff before retry number ``attempt`` (1-based)."""
        cap = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return self._rng() * cap

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: str | bytes | None = None,
        content_type: str | None = None,
        kind: str = "read",
    ) -> ParsedResponse:
        """Send one logical request (with retries); return the parsed body or raise a QBOError."""
        query = {**(params or {}), "minorversion": self.minor_version}
        retry_safe = kind in SAFE_KINDS or bool(query.get("requestid"))
        target = redacted_target(path, query)
        refreshed = False
        rejected: str | None = None  # refused by the server; its refresh has not succeeded yet
        attempt = 0
        while True:
            attempt += 1
            token = self._token(rejected)
            if isinstance(token, RetriableError):
                outcome: ParsedResponse | QBOError = token
            else:
                rejected = None
                outcome = self._attempt(method, path, query, json, data, content_type, kind, token)
            if isinstance(outcome, ParsedResponse):
                return outcome
            error = outcome
            if isinstance(error, AuthError) and not refreshed:
                refreshed = True
                attempt -= 1
                rejected = token if isinstance(token, str) else None
                self._log(logging.INFO, method, target, error, "refreshing the access token and resending")
                continue
            error = self._unless_safe(error, retry_safe)
            if not isinstance(error, RetriableError) or attempt >= self.max_attempts:
                self._log(logging.ERROR, method, target, error, f"giving up after {attempt} attempt(s)")
                raise error
            self._wait_before_retry(method, target, error, attempt)

    def _token(self, rejected: str | None) -> str | RetriableError:
        """The access token to send (after refreshing ``rejected`` if the server refused it), or the
        network/5xx error of the token endpoint: retried like any attempt, and never ambiguous for a
        write (the API request was not sent)."""
        try:
            if rejected is not None:
                return self.token_provider.refresh(rejected)
            return self.token_provider.access_token()
        except RetriableError as error:
            error._not_sent = True  # type: ignore[attr-defined]
            return error

    def _attempt(
        self,
        method: str,
        path: str,
        query: dict[str, Any],
        json_body: Any,
        data: str | bytes | None,
        content_type: str | None,
        kind: str,
        token: str,
    ) -> ParsedResponse | QBOError:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
        }
        if content_type:
            headers["Content-Type"] = content_type
        if isinstance(data, str):
            data = data.encode("utf-8")
        try:
            with self.budget.acquire("batch" if kind == "batch" else "read"):
                response = self.session.request(
                    method,
                    self.url_for(path),
                    params=query,
                    json=json_body,
                    data=data,
                    headers=headers,
                    timeout=self.kind_timeouts.get(kind, self.timeout),
                )
        except requests.RequestException as exc:
            return _network_error(exc)
        body = _decode(response.content)
        error = classify(response.status_code, response.headers, body)
        if error is not None:
            return error
        return _parsed(response, body)

    def _unless_safe(self, error: QBOError, retry_safe: bool) -> QBOError:
        """A write without requestid that may have executed becomes :class:`AmbiguousOutcome`."""
        if retry_safe or not isinstance(error, RetriableError) or isinstance(error, ThrottledError):
            return error
        if getattr(error, "_not_sent", False):
            return error
        return AmbiguousOutcome(
            f"{error.message}; the write may or may not have been applied",
            status=error.status,
            code=error.code,
            intuit_tid=error.intuit_tid,
            hint="look the record up by its natural key before sending it again",
        )

    def _wait_before_retry(self, method: str, target: str, error: RetriableError, attempt: int) -> None:
        if isinstance(error, ThrottledError):
            wait = error.retry_after if error.retry_after is not None else self.throttle_wait
            self._log(logging.WARNING, method, target, error, f"throttled; pausing the realm {wait:.1f}s")
            self.budget.pause(wait)
            return
        wait = self.backoff(attempt)
        self._log(logging.WARNING, method, target, error, f"attempt {attempt}; retrying in {wait:.2f}s")
        self._sleep(wait)

    def _log(self, level: int, method: str, target: str, error: QBOError, what: str) -> None:
        log.log(
            level,
            "QBO %s %s failed: HTTP %s code %s intuit_tid %s: %s (%s)",
            method,
            target,
            error.status if error.status is not None else "-",
            error.code or "-",
            error.intuit_tid or "-",
            error.message or error.__class__.__name__,
            what,
        )


def _network_error(exc: requests.RequestException) -> RetriableError:
    """A connection failure or timeout as a RetriableError (``_not_sent`` when nothing was sent)."""
    not_sent = isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc)
    )
    what = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
    error = RetriableError(f"network error: request {what} ({exc.__class__.__name__})")
    error._not_sent = not_sent  # type: ignore[attr-defined]
    return error


def _decode(content: bytes) -> dict[str, Any] | str | None:
    """The body parsed once (JSON object straight from bytes, floats as ``Decimal``; else
    :func:`parse_body`'s XML/text handling)."""
    if content[:1] == b"{":
        try:
            parsed = json.loads(content, parse_float=Decimal)
        except ValueError:
            return parse_body(content)
        if isinstance(parsed, dict):
            return parsed
    return parse_body(content)


def _parsed(response: requests.Response, body: dict[str, Any] | str | None) -> ParsedResponse | QBOError:
    tid = intuit_tid_of(response.headers)
    if not isinstance(body, dict) or "_xml" in body or "_list" in body:
        return FatalError(
            "unexpected non-JSON success response",
            status=response.status_code,
            intuit_tid=tid,
            hint="the server ignored Accept: application/json",
        )
    return ParsedResponse(body=body, intuit_tid=tid, status=response.status_code)


__all__ = ["ParsedResponse", "TokenProvider", "Transport", "make_session", "redacted_target"]
