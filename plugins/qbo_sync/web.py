"""The QuickBooks pages the plugin adds to the Airflow UI (mounted at ``/qbo``).

- ``/qbo/``: the connection as the user meets it: environment, base URL, realm, token status.
- ``/qbo/connect``: starts the OAuth connect flow (redirects to Intuit, or the sandbox server).
- ``/qbo/oauth/callback``: the redirect URL; stores the tokens for the returned realm.
- ``/qbo/test``: Test Connection (reads CompanyInfo).
- ``/qbo/report``: the latest run per entity, the open conflicts and the record errors.

Every page needs an Airflow user allowed to edit connections. No page ever shows a token.
"""

from __future__ import annotations

from html import escape

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

try:  # the dependency exists when the app runs inside the Airflow API server
    from airflow.api_fastapi.core_api.security import requires_access_connection

    _guard = [Depends(requires_access_connection("PUT"))]
except ImportError:  # pragma: no cover - Airflow without the API server extras
    _guard = []

app = FastAPI(title="QuickBooks Online", dependencies=_guard)


def _hook():
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    return QuickBooksHook()


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = (
        f"<!doctype html><html><head><title>{escape(title)}</title></head><body "
        f"style='font-family:sans-serif;max-width:48rem;margin:2rem auto'><h1>{escape(title)}</h1>"
        f"{body}<p><a href='/qbo/'>QuickBooks settings</a></p></body></html>"
    )
    return HTMLResponse(html, status_code=status_code)


@app.get("/", response_class=HTMLResponse)
def status_page() -> HTMLResponse:
    from qbo_sync.qbo.tokens import token_status

    hook = _hook()
    try:
        s = hook.settings
    except Exception as exc:
        return _page("QuickBooks Online", f"<p>Connection problem: {escape(str(exc))}</p>", 400)
    status = token_status(hook.cmms_engine, s.realm_id) if s.realm_id else None
    rows = {
        "Connection": s.conn_id,
        "Client ID": s.client_id,
        "Environment": s.environment,
        "Base URL": s.base_url,
        "Realm ID": s.realm_id or "(not connected yet)",
        "Redirect URL": s.redirect_uri,
        "Token status": status or "no tokens yet: connect first",
    }
    table = "".join(
        f"<tr><th align=left>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows.items()
    )
    links = (
        "<p><a href='/qbo/connect'>Connect to QuickBooks</a> · <a href='/qbo/test'>Test Connection</a></p>"
    )
    return _page("QuickBooks Online", f"<table>{table}</table>{links}")


@app.get("/connect")
def connect() -> RedirectResponse:
    from qbo_sync.connect_flow import begin_connect

    hook = _hook()
    s = hook.settings
    url = begin_connect(hook.cmms_engine, hook.get_oauth_client(), s.redirect_uri, realm_hint=s.realm_id)
    return RedirectResponse(url, status_code=302)


@app.get("/oauth/callback", response_class=HTMLResponse)
def callback(request: Request) -> HTMLResponse:
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
        return _page("QuickBooks connection failed", f"<p>{escape(str(exc))}</p>", 400)
    note = ""
    if hook.settings.realm_id != result.realm_id:
        note = (
            f"<p><b>Set Realm ID = {escape(result.realm_id)}</b> in the connection "
            f"<code>{escape(hook.settings.conn_id)}</code> so the pipelines use this company.</p>"
        )
    return _page(
        "Connected to QuickBooks", f"<p>Tokens stored for realm {escape(result.realm_id)}.</p>{note}"
    )


@app.get("/test", response_class=HTMLResponse)
def test_connection() -> HTMLResponse:
    ok, message = _hook().test_connection()
    return _page("Test Connection", f"<p>{'✅' if ok else '❌'} {escape(message)}</p>", 200 if ok else 502)


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th align=left>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table border=1 cellpadding=4 style='border-collapse:collapse'><tr>{head}</tr>{body}</table>"


@app.get("/report", response_class=HTMLResponse)
def report_page() -> HTMLResponse:
    from qbo_sync.db.schema_sync import RUN_COUNTS
    from qbo_sync.report import read_report

    report = read_report(_hook().cmms_engine)
    if not report.runs:
        return _page("Sync report", "<p>No sync has run yet.</p>")
    runs = _table(
        ["entity", "status", *RUN_COUNTS, "finished"],
        [[r.entity, r.status, *(getattr(r, c) for c in RUN_COUNTS), r.finished_at] for r in report.runs],
    )
    conflicts = _table(
        ["entity", "CMMS id", "QB id", "field", "last agreed", "CMMS", "QuickBooks"],
        [
            [k.entity, k.cmms_id, k.qb_id, k.field, k.base_value, k.cmms_value, k.qbo_value]
            for k in report.conflicts
        ],
    )
    errors = _table(
        ["entity", "CMMS id", "QB id", "code", "what happened"],
        [[e.entity, e.cmms_id, e.qb_id, e.code, e.message] for e in report.errors],
    )
    body = (
        f"<h2>Latest runs</h2>{runs}<h2>Open conflicts ({report.open_conflicts})</h2>{conflicts}"
        f"<h2>Record errors of these runs</h2>{errors}"
    )
    return _page("Sync report", body)
