"""The sandbox server: QBO's OAuth and data API on loopback, with test controls.

Every request (except ``/_sandbox/`` controls) goes through :meth:`SandboxServer.dispatch`:
count it → scripted fault? → (data API) bearer token → realm → throttle → latency → answer.

``reset()`` reseeds the company and forgets requestid answers, scripted faults and throttle windows,
and puts ``replay_faults`` back to its configured value;
OAuth tokens survive it unless ``reset(tokens=True)`` (so a test's token set stays usable).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from qbo_sandbox import faults
from qbo_sandbox.clock import Clock, format_time
from qbo_sandbox.config import SandboxConfig
from qbo_sandbox.http.api import DataAPI
from qbo_sandbox.http.api import classify as classify_api
from qbo_sandbox.http.common import Request, Response
from qbo_sandbox.http.controls import handle_control
from qbo_sandbox.http.handler import SandboxHTTPServer
from qbo_sandbox.http.oauth_routes import OAUTH_PATHS, handle_oauth
from qbo_sandbox.http.oauth_routes import classify as classify_oauth
from qbo_sandbox.http.replay import ReplayCache
from qbo_sandbox.http.scripts import AFTER_COMMIT, Counters, FaultRule, FaultScript
from qbo_sandbox.http.throttle import Throttle
from qbo_sandbox.model import entities
from qbo_sandbox.model.company import Company
from qbo_sandbox.model.info import CompanyOptions
from qbo_sandbox.model.seed import seed_company
from qbo_sandbox.oauth import OAuthApp, OAuthServer

log = logging.getLogger("qbo_sandbox")
CONTROL_PREFIX = "/_sandbox/"
WWW_AUTHENTICATE = 'Bearer realm="Intuit", error="invalid_token"'


class SandboxServer:
    """A QBO stand-in on a real socket. ``start()`` returns once it listens; ``stop()`` ends it."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = Clock()
        self.faults = FaultScript()
        self.replay = ReplayCache(replay_faults=self.config.replay_faults)
        self.throttle = Throttle(enabled=self.config.throttle)
        self._counters = Counters()
        self._latency_ms = self.config.latency_ms
        self._throttle_xml = self.config.throttle_xml
        self._stopping = threading.Event()
        self._company_lock = threading.Lock()
        self._company = self._new_company()
        app = OAuthApp(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            redirect_uris=tuple(self.config.redirect_uris),
            realm_id=self.config.realm_id,
            access_ttl=self.config.access_token_ttl,
            refresh_ttl=self.config.refresh_token_ttl,
            code_ttl=self.config.code_ttl,
        )
        self.oauth = OAuthServer(app, lambda: self.clock.now().timestamp())
        self.oauth.refresh_grace_s = self.config.refresh_grace_s
        self.api = DataAPI(self)
        self._httpd: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"SandboxServer(url={self.url!r}, realm_id={self.realm_id!r})"

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            raise RuntimeError("sandbox server already started")
        self._stopping.clear()
        self._httpd = SandboxHTTPServer((self.config.host, self.config.port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="qbo-sandbox", daemon=True
        )
        self._thread.start()
        log.info("QBO sandbox listening at %s (realm %s)", self.url, self.realm_id)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.faults.release_holds()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        port = self._httpd.server_address[1] if self._httpd is not None else self.config.port
        return f"http://{self.config.host}:{port}"

    @property
    def realm_id(self) -> str:
        return self.config.realm_id

    @property
    def company(self) -> Company:
        return self._company

    # --- controls -------------------------------------------------------------------------------

    def _new_company(self) -> Company:
        cfg = self.config
        options = CompanyOptions(
            automated_sales_tax=cfg.automated_sales_tax,
            warn_duplicate_doc_num=cfg.warn_duplicate_doc_num,
            custom_txn_numbers=cfg.custom_txn_numbers,
            voided_payment_lines=cfg.voided_payment_lines,
            book_close_date=cfg.book_close_date,
        )
        company = Company(
            cfg.realm_id, self.clock, item_income_rule=cfg.item_income_account_rule, options=options
        )
        seed_company(company, self.config.seed)
        return company

    def counters(self) -> dict[str, int]:
        return self._counters.snapshot()

    def count(self, kind: str, n: int = 1) -> None:
        self._counters.incr(kind, n)

    def reset_counters(self) -> None:
        self._counters.reset()

    def reset(self, tokens: bool = False) -> None:
        """Reseed the company; forget requestid answers, scripted faults, throttle windows
        (and OAuth tokens when ``tokens``)."""
        with self._company_lock:
            self._company = self._new_company()
        self.replay.clear()
        self.replay.replay_faults = self.config.replay_faults
        self.faults.clear()
        self.throttle.reset()
        self._throttle_xml = self.config.throttle_xml
        self.oauth.refresh_grace_s = self.config.refresh_grace_s
        if tokens:
            self.oauth.clear()

    def set_latency(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("latency must be >= 0 ms")
        self._latency_ms = ms

    def set_replay_faults(self, enabled: bool) -> None:
        """Replay (True) or re-execute (False) faulted items of a remembered batch answer."""
        self.replay.replay_faults = enabled

    def set_refresh_grace(self, seconds: float) -> None:
        """Seconds a superseded refresh token still refreshes (0: strict, ``invalid_grant``)."""
        if seconds < 0:
            raise ValueError("the refresh grace must be >= 0 s")
        self.oauth.refresh_grace_s = float(seconds)

    def set_throttle(self, enabled: bool, *, xml: bool | None = None) -> None:
        """Throttle at QBO's limits (or not); ``xml`` chooses the 429 body (see ``throttle_xml``)."""
        self.throttle.enabled = enabled
        if xml is not None:
            self._throttle_xml = xml

    def add_fault(
        self, method: str, path_regex: str, kind: str | int, times: int = 1, xml: bool = False
    ) -> FaultRule:
        """Script ``kind`` (429/500/503/timeout_after_commit/drop/hold) for the next ``times`` requests
        whose method matches (``*`` = any) and whose path+query ``path_regex`` finds."""
        return self.faults.add(method, path_regex, str(kind), times, xml)

    def release_holds(self) -> int:
        """Let requests held by a ``hold`` fault go on; returns how many were held."""
        return self.faults.release_holds()

    def advance_clock(self, seconds: float) -> None:
        """Move sandbox time (token expiry, MetaData) and the throttle windows forward."""
        self.clock.advance(seconds)
        self.throttle.advance(seconds)

    def issue_tokens(self, scope: str = "com.intuit.quickbooks.accounting") -> dict[str, Any]:
        """A token set, obtained through the same authorize + authorization_code path as a browser."""
        redirect_uri = self.config.redirect_uris[0]
        params = {
            "client_id": self.config.client_id,
            "response_type": "code",
            "scope": scope,
            "redirect_uri": redirect_uri,
            "state": "issue-tokens",
        }
        result = self.oauth.authorize(params)
        if result.location is None:
            raise RuntimeError(f"authorize failed: {result.error}")
        code = parse_qs(urlsplit(result.location).query)["code"][0]
        basic = base64.b64encode(f"{self.config.client_id}:{self.config.client_secret}".encode()).decode()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        tokens = self.oauth.token(f"Basic {basic}", form)
        return {**tokens, "realm_id": self.realm_id}

    def entity_name(self, segment: str) -> str | None:
        """QBO's entity name for a URL path segment (``salesreceipt`` → ``SalesReceipt``)."""
        return entities.canonical(segment)

    # --- request pipeline ------------------------------------------------------------------------

    def _delay(self) -> None:
        if self._latency_ms > 0:
            self._stopping.wait(self._latency_ms / 1000.0)

    def hold_connection(self) -> None:
        """``timeout_after_commit``: keep the client waiting (until stop), then close unanswered."""
        self._stopping.wait(self.config.timeout_sleep_s)

    def dispatch(self, req: Request) -> Response:
        if req.path.startswith(CONTROL_PREFIX):
            return self._control(req)
        self.count("total")
        api_route = _split_api_path(req.path)
        if api_route is not None:
            kind = classify_api(req.method, api_route[1])
        else:
            kind = classify_oauth(req.method, req.path)
        if kind is not None:
            self.count(kind)
        rule = self.faults.take(req.method, req.target)
        if rule is not None and rule.kind not in (*AFTER_COMMIT, "hold"):
            self._delay()
            return self._scripted(rule)
        hold = rule is not None and rule.kind == "hold"
        if api_route is not None:
            answer = self._serve_api(req, api_route[0], api_route[1], kind, hold)
        else:
            self._delay()
            if hold:
                self.faults.hold()
            answer = self._serve_other(req)
        if rule is not None and rule.kind == "timeout_after_commit":
            return Response.no_answer("hold")
        if rule is not None and rule.kind == "drop_after_commit":
            return Response.no_answer("drop")
        return answer

    def _serve_other(self, req: Request) -> Response:
        if req.path in OAUTH_PATHS:
            return handle_oauth(self, req)
        return Response.json(404, {"error": "not_found", "path": req.path})

    def _serve_api(
        self, req: Request, realm_in_path: str, rest: list[str], kind: str | None, hold: bool = False
    ) -> Response:
        scheme, _, token = (req.header("Authorization") or "").partition(" ")
        realm, reason = self.oauth.check_access(token.strip() if scheme.lower() == "bearer" else None)
        if realm is None:
            self._delay()
            return self._gateway_fault(401, reason)
        if realm != realm_in_path:
            self._delay()
            return self._gateway_fault(403, "Application is not authorized for this company (realm)")
        if not self.throttle.admit(realm, batch=kind == "batch"):
            self.count("throttled")
            self._delay()
            return self._throttled(xml=self._throttle_xml or "xml" in (req.header("Accept") or "").lower())
        try:
            self._delay()
            if hold:  # scripted ``hold``: wait, admitted and in flight, until released
                self.faults.hold()
            return self.api.handle(req, realm, rest)
        finally:
            self.throttle.release(realm)

    # --- canned answers --------------------------------------------------------------------------

    def _epoch_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def _gateway_fault(self, status: int, detail: str) -> Response:
        answer = Response.json(status, faults.gateway_auth_body(status, detail, self._epoch_ms()))
        if status == 401:
            answer.headers.append(("WWW-Authenticate", WWW_AUTHENTICATE))
        return answer

    def _throttled(self, xml: bool) -> Response:
        now = format_time(self.clock.now())
        if xml:
            return Response.text(429, faults.throttle_xml(now), "application/xml;charset=utf-8")
        return Response.json(429, {**faults.throttle_body(), "time": now})

    def _scripted(self, rule: FaultRule) -> Response:
        if rule.kind == "drop":
            return Response.no_answer("drop")
        if rule.kind == "429":
            self.count("throttled")
            return self._throttled(rule.xml)
        status = int(rule.kind)
        fault = system_failure(status)
        now = format_time(self.clock.now())
        if rule.xml:
            return Response.text(status, fault_xml(fault, now), "application/xml;charset=utf-8")
        return Response.json(status, {**fault.body(), "time": now})

    def _control(self, req: Request) -> Response:
        name = req.path[len(CONTROL_PREFIX) :].strip("/")
        try:
            body = json.loads(req.body.decode("utf-8")) if req.body.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            return Response.json(400, {"error": "control body must be JSON"})
        if not isinstance(body, dict):
            return Response.json(400, {"error": "control body must be a JSON object"})
        status, payload = handle_control(self, req.method, name, body)
        return Response.json(status, payload)


def _split_api_path(path: str) -> tuple[str, list[str]] | None:
    """``/v3/company/{realm}/a/b`` → ``(realm, ["a", "b"])``; None for other paths."""
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 3 and parts[0] == "v3" and parts[1] == "company":
        return parts[2], parts[3:]
    return None


def system_failure(status: int) -> faults.QBOFault:
    """The 5xx ``SystemFault`` (code 10000) QBO answers when it fails internally."""
    detail = (
        "System Failure Error: An unexpected error occurred while accessing or saving your data. "
        "Please wait a few minutes and try again. If the problem persists, contact customer support."
    )
    message = "An application error has occurred while processing your request"
    return faults.QBOFault(status, "10000", message, detail, fault_type="SystemFault")


def fault_xml(fault: faults.QBOFault, time_text: str) -> str:
    """A fault as QBO's XML ``IntuitResponse``."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time={quoteattr(time_text)}>'
        f"<Fault type={quoteattr(fault.fault_type)}><Error code={quoteattr(fault.code)}>"
        f"<Message>{escape(fault.message)}</Message><Detail>{escape(fault.detail)}</Detail>"
        "</Error></Fault></IntuitResponse>"
    )
