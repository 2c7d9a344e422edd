"""A real Airflow (API server, scheduler, DAG processor) for the browser tests.

Started once per test module on a free loopback port, against a temporary AIRFLOW_HOME, a fresh
PostgreSQL metadata database and a copy of the repo's dags/ (``dags_folder``: a test may take a DAG
away, as an undeployed one would be); the QuickBooks connections are stored in
Airflow's metadata database (as the demo does). Every process is started in its own process
group and stopped by its own id.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USERS = {"admin": "admin-pass-ui", "viewer": "viewer-pass-ui"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AirflowStack:
    home: Path
    metadata_url: str
    connections: dict[str, dict[str, Any]]
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def dags_folder(self) -> Path:
        return self.home / "dags"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
                "AIRFLOW__CORE__FERNET_KEY": os.environ["AIRFLOW__CORE__FERNET_KEY"],
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_url,
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__BASE_URL": self.url,
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                "QBO_BUDGET_FRACTION": "0.5",
            }
        )
        return env

    def airflow(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "airflow"), *args], env=self.env(), capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"airflow {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        shutil.copytree(
            REPO / "dags", self.dags_folder, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
        )
        (self.home / "passwords.json").write_text(json.dumps(USERS))
        self.airflow("db", "migrate")
        self.airflow("pools", "set", "qbo_api", "2", "Concurrent QuickBooks Online tasks")
        for conn_id, conn in self.connections.items():
            self.airflow("connections", "add", conn_id, "--conn-json", json.dumps(conn))
        for component in (["api-server"], ["scheduler"], ["dag-processor"]):
            log = open(self.home / f"{component[0]}.log", "w")  # noqa: SIM115 - closed with the process
            self.procs.append(
                subprocess.Popen(
                    [str(BIN / "airflow"), *component],
                    env=self.env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        self.wait_until_ready()

    def wait_until_ready(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(
                        f"an Airflow process exited early; see {self.home}/*.log\n{self.logs()}"
                    )
            try:
                if requests.get(f"{self.url}/api/v2/monitor/health", timeout=2).ok and self.dag_parsed():
                    return
            except requests.RequestException:
                pass
            time.sleep(2)
        raise RuntimeError(f"Airflow did not become ready in {timeout:.0f} s\n{self.logs()}")

    def token(self, user: str = "admin") -> str:
        answer = requests.post(
            f"{self.url}/auth/token", json={"username": user, "password": USERS[user]}, timeout=10
        )
        answer.raise_for_status()
        return answer.json()["access_token"]

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def dag_parsed(self, dag_id: str = "qbo_full_sync") -> bool:
        try:
            return self.api("GET", f"/api/v2/dags/{dag_id}").status_code == 200
        except requests.RequestException:
            return False

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(
            f"--- {f.name}\n{f.read_text(errors='replace')[-tail:]}" for f in sorted(self.home.glob("*.log"))
        )

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        self.procs.clear()
