"""Fixtures for the sandbox server's HTTP tests: token sets and a small bearer-token API client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests

if TYPE_CHECKING:
    from qbo_sandbox.http.server import SandboxServer


class Api:
    """Minimal QBO data-API caller over real HTTP (no retries, short timeouts)."""

    def __init__(self, server: SandboxServer, access_token: str) -> None:
        self.server = server
        self.base = f"{server.url}/v3/company/{server.realm_id}"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {access_token}", "Accept": "application/json"})

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(f"{self.base}/{path}", params=params, timeout=10)

    def post(self, path: str, body: Any, **params: Any) -> requests.Response:
        return self.session.post(
            f"{self.base}/{path}",
            params=params,
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
            timeout=10,
        )

    def query(self, statement: str) -> dict[str, Any]:
        answer = self.get("query", query=statement, minorversion=75)
        assert answer.status_code == 200, answer.text
        return answer.json()["QueryResponse"]

    def close(self) -> None:
        self.session.close()


@pytest.fixture()
def fresh_sandbox() -> Iterator[SandboxServer]:
    """A private server for tests that move its clock, throttle it or script faults."""
    from qbo_sandbox import SandboxConfig, SandboxServer

    server = SandboxServer(SandboxConfig(port=0, timeout_sleep_s=5.0))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def api(sandbox: SandboxServer) -> Iterator[Api]:
    client = Api(sandbox, sandbox.issue_tokens()["access_token"])
    try:
        yield client
    finally:
        client.close()


@pytest.fixture()
def fresh_api(fresh_sandbox: SandboxServer) -> Iterator[Api]:
    client = Api(fresh_sandbox, fresh_sandbox.issue_tokens()["access_token"])
    try:
        yield client
    finally:
        client.close()
