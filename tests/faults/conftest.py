"""Fixtures of the fault suite: the DAG against a sandbox whose "after commit" faults end fast.

Every test drives ``qbo_full_sync`` (``dag.test()``: real Airflow, the sandbox over HTTP, a real
PostgreSQL CMMS) or, where the task itself is the subject (a ``kill -9``, an unreachable server),
the task function in a subprocess or directly. Each records its fault and outcome; the table of
them is printed at the end of the session (``-rA`` not needed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.dags.conftest import airflow_db  # noqa: F401  (Airflow's metadata database, once per session)
from tests.faults.fault_helpers import OUTCOMES


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    """The module's sandbox; a ``timeout_after_commit`` holds the connection 1 s (not 30 s)."""
    from qbo_sandbox import SandboxConfig, SandboxServer

    server = SandboxServer(SandboxConfig(port=0, throttle=False, timeout_sleep_s=1.0))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _short_throttle_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scripted 429 carries no Retry-After; pause the realm 0.2 s instead of Intuit's 60 s."""
    monkeypatch.setenv("QBO_BUDGET_THROTTLE_WAIT", "0.2")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not OUTCOMES:
        return
    width = max(len(f) for f, _ in OUTCOMES)
    terminalreporter.section("fault suite: fault x outcome")
    for fault, outcome in OUTCOMES:
        terminalreporter.write_line(f"{fault:<{width}}  {outcome}")
