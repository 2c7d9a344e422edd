"""The QuickBooks pages the plugin adds to the Airflow UI (mounted at ``/qbo``).

Pages (HTML, shown inside Airflow's frame by the plugin's external views):

- ``/qbo/``: the QuickBooks page: per entity (seed's order) total / synced / waiting / failed /
  in conflict, last run, Sync and View; conflicts; payment log; settings; Test Connection; Connect.
- ``/qbo/run?dag_id=…&run_id=…``: one run's report (the "QuickBooks" tab of a DAG run).
- ``/qbo/report``: the latest run per entity, open conflicts and record errors (``qbo-sync report``).
- ``/qbo/connect`` and ``/qbo/oauth/callback``: the OAuth connect flow (state checked once).

JSON for the page under ``/qbo/api/`` (:mod:`qbo_sync.ui.api`). Sync buttons trigger DAG runs
through Airflow's own REST API from the browser, so Airflow checks the user's DAG permissions.

Who may do what: reading needs the right to read connections; changing settings, resolving
conflicts, Test Connection and Connect need the right to edit connections. A visitor who is not
logged in is sent to Airflow's login page (pages) or answered 401 (JSON). No page shows a token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from qbo_sync.ui.guards import can_edit, can_read

UI = Path(__file__).resolve().parent / "ui"


def _static_root(request: Request) -> dict[str, Any]:
    """Templates link static files under the mount point (``/qbo``), whatever it is."""
    return {"static": request.scope.get("root_path", "").rstrip("/") + "/static"}


templates = Jinja2Templates(directory=str(UI / "templates"), context_processors=[_static_root])

app = FastAPI(title="QuickBooks Online")
app.mount("/static", StaticFiles(directory=str(UI / "static")), name="static")


def _hook():
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    return QuickBooksHook()


@app.exception_handler(HTTPException)
async def _not_logged_in(request: Request, exc: HTTPException) -> Response:
    """Pages send a visitor without a (valid) login to Airflow's login, as Airflow's pages do."""
    no_login = exc.status_code == 401 or (exc.status_code == 403 and exc.detail == "Invalid JWT token")
    if no_login and request.method == "GET" and "/api/" not in request.url.path:
        return RedirectResponse(_login_url(str(request.url)), 303)
    if exc.status_code == 403 and "/api/" not in request.url.path:
        return _message(request, "Not allowed", "Your Airflow role may not use this QuickBooks page.", 403)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _here(request: Request) -> str:
    """This app's absolute base URL (scheme, host and the mount point, e.g. ``/qbo``)."""
    root = request.scope.get("root_path", "").rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}{root}"


def _login_url(next_url: str) -> str:
    """The configured auth manager's login page (the API server has initialised it)."""
    from airflow.api_fastapi.app import create_auth_manager, get_auth_manager

    try:
        manager = get_auth_manager()
    except RuntimeError:  # outside the API server (e.g. a test client): build the configured one
        manager = create_auth_manager()
    return manager.get_url_login(next_url=next_url)


def _message(request: Request, title: str, text: str, status_code: int = 200, **extra: Any) -> Response:
    return templates.TemplateResponse(
        request, "message.html", {"title": title, "text": text, **extra}, status_code=status_code
    )


@app.get("/", response_class=HTMLResponse, dependencies=[Depends(can_read)])
def quickbooks_page(request: Request) -> Response:
    from qbo_sync.settings import DATA_API_BASE
    from qbo_sync.ui.entities import ENTITIES

    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "entities": ENTITIES,
            "base_urls": DATA_API_BASE,
            "redirect_suggestion": _here(request) + "/oauth/callback",
            "conn_id": "quickbooks_default",
        },
    )


@app.get("/run", response_class=HTMLResponse, dependencies=[Depends(can_read)])
def run_page(request: Request, dag_id: str, run_id: str) -> Response:
    from qbo_sync.report import run_report

    report = run_report(_hook().cmms_engine, dag_id, run_id)
    return templates.TemplateResponse(request, "run.html", {"report": report})


@app.get("/report", response_class=HTMLResponse, dependencies=[Depends(can_read)])
def report_page(request: Request) -> Response:
    """The latest run per entity, the open conflicts and the record errors (``qbo-sync report``)."""
    from qbo_sync.db.schema_sync import RUN_COUNTS
    from qbo_sync.reconcile.store import drift_overview
    from qbo_sync.report import read_report

    engine = _hook().cmms_engine
    report = read_report(engine)
    context = {"report": report, "counts": RUN_COUNTS, "drift": drift_overview(engine)}
    return templates.TemplateResponse(request, "report.html", context)


@app.get("/connect", dependencies=[Depends(can_edit)])
def connect(request: Request) -> Response:
    from qbo_sync.connect_flow import begin_connect
    from qbo_sync.settings import ConnectionConfigError

    hook = _hook()
    try:
        s = hook.settings
        url = begin_connect(hook.cmms_engine, hook.get_oauth_client(), s.redirect_uri, realm_hint=s.realm_id)
    except ConnectionConfigError as exc:
        return _message(request, "Cannot connect to QuickBooks", str(exc), 400)
    return RedirectResponse(url, status_code=302)


@app.get("/oauth/callback", response_class=HTMLResponse, dependencies=[Depends(can_edit)])
def callback(request: Request) -> Response:
    from qbo_sync.connect_flow import ConnectError, complete_connect

    q = request.query_params
    hook = _hook()
    try:
        result = complete_connect(
            hook.cmms_engine,
            hook.get_oauth_client(),
            code=q.get("code"),
            state=q.get("state"),
            realm_id=q.get("realmId"),
            error=q.get("error"),
        )
    except ConnectError as exc:
        return _message(request, "QuickBooks connection failed", str(exc), 400)
    note = ""
    if hook.settings.realm_id != result.realm_id:
        note = (
            f"Set Realm ID = {result.realm_id} in the connection {hook.settings.conn_id} "
            "(QuickBooks page → Settings) so the pipelines use this company."
        )
    return _message(
        request, "Connected to QuickBooks", f"Tokens stored for realm {result.realm_id}.", note=note
    )


@app.get("/test", response_class=HTMLResponse, dependencies=[Depends(can_edit)])
def test_connection(request: Request) -> Response:
    ok, message = _hook().test_connection()
    return _message(request, "Test Connection", message, 200 if ok else 502, ok=ok)


def _api_router():
    from qbo_sync.ui.api import router

    return router


app.include_router(_api_router(), prefix="/api")
