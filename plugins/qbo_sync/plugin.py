"""The Airflow plugin: the QuickBooks page in Airflow's navigation, and a QuickBooks tab on every
DAG run (that run's per-entity counts and record errors).

Registered through the ``airflow.plugins`` entry point (pyproject.toml); ``plugins/.airflowignore``
keeps Airflow's folder loader from importing the package a second time.

Every Airflow process loads plugins, task processes included, but only the API server serves the
pages: the FastAPI app (:mod:`qbo_sync.web`, with FastAPI, Jinja and the page's routes) is built
on the first request, not when the plugin is imported (:class:`LazyApp`).
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin


class LazyApp:
    """An ASGI app that imports and builds :data:`qbo_sync.web.app` on its first request."""

    def __init__(self) -> None:
        self._app: Any = None

    @property
    def built(self) -> bool:
        return self._app is not None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            from qbo_sync.web import app

            self._app = app
        await self._app(scope, receive, send)


class QuickBooksPlugin(AirflowPlugin):
    name = "qbo_sync"
    fastapi_apps = [{"app": LazyApp(), "url_prefix": "/qbo", "name": "QuickBooks Online"}]
    external_views = [
        {
            "name": "QuickBooks",
            "href": "/qbo/",
            "destination": "nav",
            "url_route": "quickbooks",
            "icon": "/qbo/static/quickbooks.svg",
        },
        {
            "name": "QuickBooks",
            "href": "/qbo/run?dag_id={DAG_ID}&run_id={RUN_ID}",
            "destination": "dag_run",
            "url_route": "quickbooks_run",
        },
    ]
