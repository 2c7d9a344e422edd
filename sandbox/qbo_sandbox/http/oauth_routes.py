"""HTTP face of the sandbox's OAuth server: discovery, authorize, token, revoke (qbo-api.md §8)."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from qbo_sandbox.http.common import Request, Response, error_page
from qbo_sandbox.oauth import OAuthError, discovery_document

if TYPE_CHECKING:
    from qbo_sandbox.http.context import ServerContext

DISCOVERY_PATHS = frozenset({"/.well-known/openid_configuration", "/.well-known/openid_configuration/"})
AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/oauth2/v1/tokens/revoke"
OAUTH_PATHS = DISCOVERY_PATHS | {AUTHORIZE_PATH, TOKEN_PATH, REVOKE_PATH}
NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def classify(method: str, path: str) -> str | None:
    """Counter kind of an OAuth request."""
    if path == TOKEN_PATH:
        return "token"
    if path == REVOKE_PATH:
        return "revoke"
    return None


def _oauth_error(exc: OAuthError) -> Response:
    answer = Response.json(exc.status, exc.body(), "application/json;charset=utf-8")
    answer.headers.extend(NO_STORE)
    if exc.status == 401:
        answer.headers.append(("WWW-Authenticate", 'Basic realm="Intuit"'))
    return answer


def handle_oauth(server: ServerContext, req: Request) -> Response:
    """Answer a request to one of :data:`OAUTH_PATHS`."""
    path, method = req.path, req.method
    if path in DISCOVERY_PATHS and method == "GET":
        return Response.json(200, discovery_document(server.url))
    if path == AUTHORIZE_PATH and method == "GET":
        result = server.oauth.authorize(req.query)
        if result.location is not None:
            return Response.redirect(result.location)
        return error_page(result.status, result.error or "invalid_request", result.description)
    if path == TOKEN_PATH and method == "POST":
        return _token(server, req)
    if path == REVOKE_PATH and method == "POST":
        return _revoke(server, req)
    return Response.json(405, {"error": "invalid_request", "error_description": "method not allowed"})


def client_authorization(req: Request, form: dict[str, str]) -> str | None:
    """The client's credentials as a Basic header: the request's own (``client_secret_basic``), or
    built from ``client_id``/``client_secret`` in the form body (``client_secret_post``, RFC 6749
    §2.3.1), which Intuit's token endpoint also accepts and advertises (NET discovery.json)."""
    header = req.header("Authorization")
    if header or "client_id" not in form or "client_secret" not in form:
        return header
    pair = f"{form.pop('client_id')}:{form.pop('client_secret')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def _token(server: ServerContext, req: Request) -> Response:
    try:
        parsed = parse_qs(req.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        form = {key: values[0] for key, values in parsed.items()}
        authorization = client_authorization(req, form)
        server.oauth.check_client(authorization)
        if req.media_type != "application/x-www-form-urlencoded":
            return Response.json(
                415, {"error": "invalid_request", "error_description": "Unsupported Media Type"}
            )
        tokens = server.oauth.token(authorization, form)
    except OAuthError as exc:
        return _oauth_error(exc)
    answer = Response.json(200, tokens, "application/json;charset=utf-8")
    answer.headers.extend(NO_STORE)
    return answer


def _revoke(server: ServerContext, req: Request) -> Response:
    try:
        server.oauth.check_client(req.header("Authorization"))
        if req.media_type != "application/json":
            raise OAuthError(400, "invalid_request", 'send the token as JSON: {"token": ...}')
        try:
            body = json.loads(req.body.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise OAuthError(400, "invalid_request", "body is not JSON") from exc
        token = body.get("token") if isinstance(body, dict) else None
        server.oauth.revoke(req.header("Authorization"), token if isinstance(token, str) else None)
    except OAuthError as exc:
        return _oauth_error(exc)
    return Response(200, b"", "application/json;charset=utf-8")
