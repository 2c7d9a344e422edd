"""The OAuth 2.0 connect flow that gives the product its first QuickBooks token.

1. :func:`begin_connect` stores a one-time ``state`` (CSRF protection) in ``qbo_oauth_states`` and
   returns Intuit's authorization URL; the user approves the app there.
2. Intuit redirects to the redirect URL (served by the plugin at ``/qbo/oauth/callback``) with
   ``code``, ``state`` and ``realmId``; :func:`complete_connect` checks the state (known, unused,
   fresh, same redirect URL), exchanges the code and stores the tokens for that realm.

The same functions serve the Airflow UI plugin and the ``qbo-sync connect`` command.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from qbo_sync.qbo.oauth import OAuthClient

STATE_TTL = timedelta(minutes=10)


class ConnectError(ValueError):
    """The connect attempt cannot be completed; the message says why and what to do."""


@dataclass(frozen=True)
class ConnectResult:
    realm_id: str
    refresh_expires_at: datetime | None


def begin_connect(
    engine: Engine, oauth: OAuthClient, redirect_uri: str, *, realm_hint: str | None = None
) -> str:
    """Record a fresh state and return the authorization URL to send the user to."""
    state = secrets.token_urlsafe(24)
    with engine.begin() as conn:
        # expired or used states are of no further use: keep the table small
        conn.execute(
            sa.text("DELETE FROM qbo_oauth_states WHERE created_at < :cutoff OR used_at IS NOT NULL"),
            {"cutoff": _now() - STATE_TTL},
        )
        conn.execute(
            sa.text(
                "INSERT INTO qbo_oauth_states (state, realm_hint, redirect_uri, created_at) "
                "VALUES (:state, :realm_hint, :redirect_uri, :now)"
            ),
            {"state": state, "realm_hint": realm_hint, "redirect_uri": redirect_uri, "now": _now()},
        )
    return oauth.authorization_url(redirect_uri, state)


def complete_connect(
    engine: Engine,
    oauth: OAuthClient,
    *,
    code: str | None,
    state: str | None,
    realm_id: str | None,
    error: str | None = None,
) -> ConnectResult:
    """Check the callback's state, exchange the code and store the tokens for ``realm_id``."""
    from qbo_sync.qbo.tokens import TokenManager

    if error:
        raise ConnectError(f"QuickBooks did not authorize the app ({error}). Start the connection again.")
    if not code or not state or not realm_id:
        raise ConnectError("the callback is missing code, state or realmId; start the connection again.")
    redirect_uri = _consume_state(engine, state)
    token_set = oauth.exchange_code(code, redirect_uri)
    TokenManager(engine, realm_id, oauth).store(token_set)
    return ConnectResult(realm_id=realm_id, refresh_expires_at=token_set.refresh_expires_at)


def _consume_state(engine: Engine, state: str) -> str:
    with engine.begin() as conn:
        row = conn.execute(
            sa.text("SELECT redirect_uri, created_at, used_at FROM qbo_oauth_states WHERE state = :s"),
            {"s": state},
        ).one_or_none()
        if row is None:
            raise ConnectError(
                "unknown state: this callback was not started here. Start the connection again."
            )
        if row.used_at is not None:
            raise ConnectError("this authorization was already used. Start the connection again.")
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        if _now() - created > STATE_TTL:
            raise ConnectError("the authorization took longer than 10 minutes. Start the connection again.")
        conn.execute(
            sa.text("UPDATE qbo_oauth_states SET used_at = :now WHERE state = :s"),
            {"now": _now(), "s": state},
        )
    return str(row.redirect_uri)


def _now() -> datetime:
    return datetime.now(UTC)


def approve_locally(authorization_url: str, *, timeout: float = 10.0) -> dict[str, str]:
    """Follow the authorization URL of the *local sandbox server*, which auto-approves the demo app,
    and return the redirect's query (``code``, ``state``, ``realmId``) without a browser.

    Only for environment ``local``: real QuickBooks needs a person to sign in and approve.
    """
    from urllib.parse import parse_qsl, urlsplit

    import requests

    resp = requests.get(authorization_url, allow_redirects=False, timeout=timeout)
    location = resp.headers.get("Location")
    if resp.status_code not in (302, 303) or not location:
        raise ConnectError(
            f"the sandbox did not approve the app (HTTP {resp.status_code}): {resp.text[:200]}"
        )
    return dict(parse_qsl(urlsplit(location).query))
