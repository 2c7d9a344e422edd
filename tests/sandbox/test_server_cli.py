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
