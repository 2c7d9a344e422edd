"""The Airflow plugin: adds the QuickBooks pages (settings, OAuth connect, Test Connection) to the UI.

Registered through the ``airflow.plugins`` entry point (pyproject.toml); ``plugins/.airflowignore``
keeps Airflow's folder loader from importing the package a second time.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


def _app():
    from qbo_sync.web import app

    return app


class QuickBooksPlugin(AirflowPlugin):
    name = "qbo_sync"
    fastapi_apps = [{"app": _app(), "url_prefix": "/qbo", "name": "QuickBooks Online"}]
    external_views = [
        {
            "name": "QuickBooks",
            "href": "/qbo/",
            "destination": "nav",
            "category": "admin",
            "url_route": "quickbooks",
        }
    ]
