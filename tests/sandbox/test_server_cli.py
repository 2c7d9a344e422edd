"""``python -m qbo_sandbox``: starts, prints where it listens, serves, stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import requests

from qbo_sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


def test_cli_serves_and_stops() -> None:
    cmd = [sys.executable, "-m", "qbo_sandbox", "--port", "0", "--customers", "3", "--latency-ms", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("QBO sandbox listening at http://127.0.0.1:"), first
        url = first.rsplit(" ", 1)[1].strip()
        lines = [proc.stdout.readline() for _ in range(3)]
        assert "9341453050071234" in lines[0]
        assert DEMO_CLIENT_ID in lines[1] and DEMO_CLIENT_SECRET not in "".join(lines)
        assert "http://localhost:8080/qbo/oauth/callback" in lines[2]
        doc = requests.get(f"{url}/.well-known/openid_configuration", timeout=5).json()
        assert doc["token_endpoint"] == f"{url}/oauth2/v1/tokens/bearer"
        counters = requests.get(f"{url}/_sandbox/counters", timeout=5).json()
        assert counters["total"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
    assert code == 0


def test_redirect_uri_option_registers_the_airflow_port_given() -> None:
    """`make run` with AIRFLOW_PORT=8091 starts the sandbox with that port's callback: the
    authorize endpoint approves it and refuses the default 8080 one (Intuit matches exactly)."""
    mine = "http://localhost:8091/qbo/oauth/callback"
    cmd = [sys.executable, "-m", "qbo_sandbox", "--port", "0", "--customers", "1", "--redirect-uri", mine]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[2].split(":", 1)[1].strip() == mine
        authorize = requests.get(f"{url}/.well-known/openid_configuration", timeout=5).json()[
            "authorization_endpoint"
        ]
        params = {
            "client_id": DEMO_CLIENT_ID,
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting",
            "state": "s1",
        }
        ok = requests.get(
            authorize, params={**params, "redirect_uri": mine}, allow_redirects=False, timeout=5
        )
        assert ok.status_code == 302 and ok.headers["Location"].startswith(mine + "?code=")
        old = "http://localhost:8080/qbo/oauth/callback"
        refused = requests.get(
            authorize, params={**params, "redirect_uri": old}, allow_redirects=False, timeout=5
        )
        assert refused.status_code == 400 and "redirect_uri is not registered" in refused.text
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
    assert code == 0
