"""Provider metadata: registers the ``quickbooks`` connection type with Airflow.

Airflow reads this through the ``apache_airflow_provider`` entry point declared in pyproject.toml.
The connection form shows Client ID / Client Secret (login / password), the Realm ID, the
environment (sandbox, production, or local for the bundled sandbox server), an optional base URL
that otherwise follows the environment, the OAuth redirect URL and the minor version.
"""

from __future__ import annotations

from typing import Any

ENVIRONMENTS = ["sandbox", "production", "local"]


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "qbo-sync",
        "name": "QuickBooks Online sync",
        "description": "Keeps a CMMS database and QuickBooks Online in step.",
        "versions": ["0.1.0"],
        "connection-types": [
            {
                "hook-class-name": "qbo_sync.hooks.quickbooks.QuickBooksHook",
                "hook-name": "QuickBooks Online",
                "connection-type": "quickbooks",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {
                        "login": "Client ID",
                        "password": "Client Secret",
                        "host": "Base URL (optional)",
                    },
                    "placeholders": {
                        "login": "the app's Client ID (developer portal, Keys & credentials)",
                        "password": "the app's Client Secret",
                        "host": "empty = follows the environment "
                        "(sandbox: https://sandbox-quickbooks.api.intuit.com, "
                        "production: https://quickbooks.api.intuit.com, local: http://127.0.0.1:8765)",
                    },
                },
                "conn-fields": {
                    "realm_id": {
                        "label": "Realm ID",
                        "description": "The QuickBooks company id (realmId), shown after connecting.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "environment": {
                        "label": "Environment",
                        "description": "sandbox or production QuickBooks, or local for the bundled "
                        "sandbox server. The base URL follows it unless set.",
                        "schema": {"type": "string", "enum": ENVIRONMENTS, "default": "sandbox"},
                    },
                    "redirect_uri": {
                        "label": "Redirect URL",
                        "description": "OAuth redirect URL registered with the app; the Airflow UI "
                        "serves it at /qbo/oauth/callback.",
                        "schema": {
                            "type": ["string", "null"],
                            "format": "url",
                            "default": "http://localhost:8080/qbo/oauth/callback",
                        },
                    },
                    "minor_version": {
                        "label": "Minor version",
                        "description": "QBO API minor version sent with every request.",
                        "schema": {"type": ["integer", "null"], "default": 75, "minimum": 75},
                    },
                },
            }
        ],
        "plugins": [{"name": "qbo_sync", "plugin-class": "qbo_sync.plugin.QuickBooksPlugin"}],
    }
