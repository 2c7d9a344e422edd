"""Socket level of the sandbox: a ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive, Content-Length,
daemon threads) whose handler turns bytes into :class:`Request` and writes :class:`Response` back,
or closes the connection unanswered when a scripted fault says so."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from qbo_sandbox.http.common import Request, Response

if TYPE_CHECKING:
    from qbo_sandbox.http.context import ServerContext

log = logging.getLogger("qbo_sandbox.http")


class SandboxHTTPServer(ThreadingHTTPServer):
    """Keeps a handle on the app and on open connections (so ``stop`` can close idle keep-alives)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: ServerContext) -> None:
        self.app = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, SandboxHandler)

    def close_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
            self.connections.clear()
        for conn in open_now:
            _shutdown(conn)


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxHTTPServer
    server_version = "nginx"

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._write(Response.json(400, {"error": "bad Content-Length or chunk size"}), "-")
            return
        parts = urlsplit(self.path)
        req = Request(self.command, parts.path, parts.query, self.headers, body)
        answer = self.server.app.dispatch(req)
        if answer.action == "hold":
            self.server.app.hold_connection()
        if answer.action is not None:
            self._abort()
            return
        self._write(answer, req.tid)

    def _abort(self) -> None:
        """Close without answering (the client sees a dropped connection or its own timeout)."""
        self.close_connection = True
        _shutdown(self.connection)

    def _write(self, answer: Response, tid: str) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("intuit_tid", tid)
        self.send_header("QBO-Version", self.server.app.config.qbo_version)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and answer.body:
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line carries no secrets (tokens travel in headers and bodies only).
        log.debug("%s %s", self.address_string(), format % args)
