"""Request/response values shared by the sandbox's HTTP layers (no sockets here)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs

JSON_TYPE = "application/json;charset=utf-8"
FAULT_JSON_TYPE = "application/json"


def new_tid() -> str:
    """A per-request transaction id shaped like QBO's ``intuit_tid`` (``1-<8 hex>-<24 hex>``)."""
    return f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    raw_query: str
    headers: Message
    body: bytes
    tid: str = field(default_factory=new_tid)

    @property
    def target(self) -> str:
        return f"{self.path}?{self.raw_query}" if self.raw_query else self.path

    @property
    def query(self) -> dict[str, str]:
        """Query parameters, first value wins (blank values kept)."""
        parsed = parse_qs(self.raw_query, keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def media_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()


@dataclass
class Response:
    """An HTTP answer, or an instruction not to answer (``action`` ``drop`` / ``hold``)."""

    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    action: str | None = None

    @classmethod
    def json(cls, status: int, payload: Any, content_type: str = JSON_TYPE) -> Response:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return cls(status, body, content_type)

    @classmethod
    def text(cls, status: int, text: str, content_type: str) -> Response:
        return cls(status, text.encode("utf-8"), content_type)

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", "text/plain;charset=utf-8", [("Location", location)])

    @classmethod
    def no_answer(cls, action: str) -> Response:
        return cls(0, action=action)


def error_page(status: int, error: str, description: str) -> Response:
    """A small HTML error page (the authorize endpoint cannot redirect to an untrusted URI)."""
    from html import escape

    html = (
        "<!doctype html><html><head><title>QBO sandbox: authorization error</title></head><body>"
        f"<h1>{escape(error)}</h1><p>{escape(description)}</p></body></html>"
    )
    return Response.text(status, html, "text/html;charset=utf-8")
