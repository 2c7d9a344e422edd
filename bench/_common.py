"""Shared benchmark plumbing: a sandbox server in its own process, tokens, peak memory."""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
import sqlalchemy as sa

CLIENT_ID, CLIENT_SECRET = "sandbox-demo-client", "sandbox-demo-secret"
REDIRECT = "http://localhost:8080/qbo/oauth/callback"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def sandbox_process(*args: str):
    """Run ``python -m qbo_sandbox`` in its own process (so its memory is not counted as ours)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qbo_sandbox", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                requests.get(url + "/.well-known/openid_configuration", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise RuntimeError("sandbox server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class StaticTokens:
    """Token provider holding one access token (benchmarks run well inside its hour)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        return self._token

    def refresh(self, rejected_token: str) -> str:
        raise RuntimeError("benchmark token expired")


def connect(url: str) -> tuple[str, StaticTokens]:
    """Go through the sandbox's OAuth flow; return (realm id, token provider)."""
    from qbo_sync.connect_flow import approve_locally
    from qbo_sync.qbo.oauth import OAuthClient, endpoints_for

    oauth = OAuthClient.for_endpoints(CLIENT_ID, CLIENT_SECRET, endpoints_for("local", url))
    answer = approve_locally(oauth.authorization_url(REDIRECT, "bench"))
    tokens = oauth.exchange_code(answer["code"], REDIRECT)
    return answer["realmId"], StaticTokens(tokens.access_token)


def counters(url: str) -> dict[str, int]:
    return requests.get(url + "/_sandbox/counters", timeout=10).json()


@dataclass
class Measured:
    seconds: float
    peak_mib: float
    result: Any


def measure(fn: Callable[[], Any]) -> Measured:
    """Wall time and peak Python heap (tracemalloc) of one call."""
    tracemalloc.start()
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Measured(seconds, peak / 2**20, result)


ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def fresh_database(*, migrated: bool = False) -> str:
    """A new, empty PostgreSQL database for one benchmark (migrated to head when asked)."""
    name = f"qbo_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = ADMIN.rsplit("/", 1)[0] + "/" + name
    if migrated:
        from qbo_sync.db.migrate import upgrade

        upgrade(url)
    return url


def drop_database(url: str) -> None:
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def peak_rss_mib() -> float:
    """The process's peak resident set size so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
