"""The QuickBooks connection as the product reads it.

Credentials (Client ID, Client Secret, Realm ID, environment, base URL) live in the Airflow
connection ``quickbooks_default`` (design decision 2). This module turns a connection into a typed,
validated :class:`QBOConnectionSettings`, with the base URL following the environment unless set.
It is pure (no Airflow import) so it can be tested with plain inputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Environment = Literal["sandbox", "production", "local"]

DATA_API_BASE = {
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
    "production": "https://quickbooks.api.intuit.com",
    "local": "http://127.0.0.1:8765",
}
DEFAULT_REDIRECT_URI = "http://localhost:8080/qbo/oauth/callback"
MINOR_VERSION = 75


class ConnectionConfigError(ValueError):
    """The QuickBooks connection is incomplete or inconsistent; the message says what to fix."""


@dataclass(frozen=True)
class QBOConnectionSettings:
    conn_id: str
    client_id: str
    client_secret: str = field(repr=False)
    realm_id: str | None
    environment: Environment
    base_url: str
    redirect_uri: str
    minor_version: int = MINOR_VERSION

    def require_realm(self) -> str:
        if not self.realm_id:
            raise ConnectionConfigError(
                f"connection `{self.conn_id}` has no Realm ID: connect the QuickBooks company first "
                "(Airflow UI → QuickBooks → Connect, or `qbo-sync connect` for the local sandbox)."
            )
        return self.realm_id


def _extra_value(extra: dict[str, Any], name: str) -> Any:
    """Read a custom field whether the UI stored it plain or with the ``extra__quickbooks__`` prefix."""
    value = extra.get(name)
    if value in (None, ""):
        value = extra.get(f"extra__quickbooks__{name}")
    return None if value == "" else value


def settings_from_parts(
    conn_id: str,
    *,
    login: str | None,
    password: str | None,
    host: str | None,
    extra: str | dict[str, Any] | None,
    port: int | None = None,
) -> QBOConnectionSettings:
    """Build settings from a connection's parts; raise :class:`ConnectionConfigError` when unusable."""
    if isinstance(extra, str):
        try:
            extra = json.loads(extra) if extra.strip() else {}
        except json.JSONDecodeError as exc:
            raise ConnectionConfigError(
                f"connection `{conn_id}`: Extra is not valid JSON ({exc.msg})"
            ) from exc
    extra = dict(extra or {})
    environment = str(_extra_value(extra, "environment") or "sandbox").lower()
    if environment not in DATA_API_BASE:
        raise ConnectionConfigError(
            f"connection `{conn_id}`: Environment must be one of sandbox, production, local "
            f"(got {environment!r})"
        )
    if not login:
        raise ConnectionConfigError(f"connection `{conn_id}`: Client ID (login) is empty")
    if not password:
        raise ConnectionConfigError(f"connection `{conn_id}`: Client Secret (password) is empty")
    base_url = _normalise_base_url(host, port, environment) or DATA_API_BASE[environment]
    minor = int(_extra_value(extra, "minor_version") or MINOR_VERSION)
    realm = _extra_value(extra, "realm_id")
    return QBOConnectionSettings(
        conn_id=conn_id,
        client_id=login,
        client_secret=password,
        realm_id=str(realm) if realm is not None else None,
        environment=environment,  # type: ignore[arg-type]
        base_url=base_url,
        redirect_uri=str(_extra_value(extra, "redirect_uri") or DEFAULT_REDIRECT_URI),
        minor_version=max(minor, MINOR_VERSION),
    )


def _normalise_base_url(host: str | None, port: int | None, environment: str) -> str | None:
    if not host:
        return None
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = f"{'http' if environment == 'local' else 'https'}://{host}"
    if port and host.count(":") < 2:
        host = f"{host}:{port}"
    return host
