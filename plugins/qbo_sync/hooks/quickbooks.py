"""QuickBooksHook: the one way Airflow code reaches QuickBooks Online.

Built from the ``quickbooks_default`` connection (Client ID / Client Secret as login / password,
Realm ID, environment, optional base URL; see :mod:`qbo_sync.settings`) and the ``cmms_db``
connection, where the OAuth tokens are kept (design decision 3: tasks cannot write connections).
Stateless apart from cached objects; secrets come only from the connections, never from kwargs.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk.bases.hook import BaseHook

from qbo_sync.provider_info import get_provider_info
from qbo_sync.settings import QBOConnectionSettings, settings_from_parts

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from qbo_sync.qbo.client import QBOClient
    from qbo_sync.qbo.oauth import OAuthClient
    from qbo_sync.qbo.tokens import TokenManager


THROTTLE_WAIT_ENV = "QBO_BUDGET_THROTTLE_WAIT"


def throttle_wait() -> float:
    """Seconds the realm pauses after a 429 that names no Retry-After: ``QBO_BUDGET_THROTTLE_WAIT``,
    else 60 (Intuit's guidance, qbo-api.md §4)."""
    raw = os.environ.get(THROTTLE_WAIT_ENV, "").strip()
    if not raw:
        return 60.0
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{THROTTLE_WAIT_ENV} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{THROTTLE_WAIT_ENV} must be >= 0, got {raw!r}")
    return value


class QuickBooksHook(BaseHook):
    """Talks to QuickBooks Online for one connection.

    :param quickbooks_conn_id: the ``quickbooks`` connection (default ``quickbooks_default``).
    :param cmms_conn_id: the CMMS database connection that holds the token table (``cmms_db``).
    """

    conn_name_attr = "quickbooks_conn_id"
    default_conn_name = "quickbooks_default"
    conn_type = "quickbooks"
    hook_name = "QuickBooks Online"

    def __init__(
        self, quickbooks_conn_id: str = default_conn_name, cmms_conn_id: str = "cmms_db", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.quickbooks_conn_id = quickbooks_conn_id
        self.cmms_conn_id = cmms_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Form layout (Airflow also reads it from the provider info)."""
        conn = get_provider_info()["connection-types"][0]["ui-field-behaviour"]
        return {
            "hidden_fields": conn["hidden-fields"],
            "relabeling": conn["relabeling"],
            "placeholders": conn["placeholders"],
        }

    @cached_property
    def settings(self) -> QBOConnectionSettings:
        conn = self.get_connection(self.quickbooks_conn_id)
        return settings_from_parts(
            self.quickbooks_conn_id,
            login=conn.login,
            password=conn.password,
            host=conn.host,
            port=conn.port,
            extra=conn.extra_dejson,
        )

    @cached_property
    def cmms_engine(self) -> Engine:
        from qbo_sync.db.engine import cmms_url, get_engine

        return get_engine(cmms_url(self.cmms_conn_id))

    def get_oauth_client(self) -> OAuthClient:
        from qbo_sync.qbo.oauth import OAuthClient, endpoints_for

        s = self.settings
        endpoints = endpoints_for(s.environment, s.base_url)
        return OAuthClient(
            s.client_id,
            s.client_secret,
            authorize_url=endpoints.authorize_url,
            token_url=endpoints.token_url,
            revoke_url=endpoints.revoke_url,
        )

    def get_token_manager(self) -> TokenManager:
        from qbo_sync.qbo.tokens import TokenManager

        return TokenManager(self.cmms_engine, self.settings.require_realm(), self.get_oauth_client())

    def get_conn(self) -> QBOClient:
        """A ready :class:`QBOClient` for the connection's realm."""
        from qbo_sync.qbo.budget_db import SharedBudget
        from qbo_sync.qbo.client import QBOClient
        from qbo_sync.qbo.transport import Transport

        s = self.settings
        realm = s.require_realm()
        budget = SharedBudget(self.cmms_engine, realm)  # deployment-wide QBO limits (design decision 4)
        transport = Transport(
            s.base_url,
            realm,
            self.get_token_manager(),
            budget=budget,
            minor_version=s.minor_version,
            throttle_wait=throttle_wait(),
        )
        return QBOClient(transport)

    def test_connection(self) -> tuple[bool, str]:
        """Read the company's CompanyInfo; return ``(ok, message)`` naming the company."""
        try:
            info = self.get_conn().company_info()
        except Exception as exc:  # the UI shows the message; it never carries a token
            return False, f"QuickBooks connection failed: {exc}"
        name = info.get("CompanyName") or info.get("LegalName") or "(unnamed company)"
        return True, f"Connected to QuickBooks company '{name}' (realm {self.settings.realm_id})"
