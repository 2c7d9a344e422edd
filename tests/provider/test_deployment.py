"""docker-compose.yaml stays in the official Airflow shape and its connections are usable."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yaml").read_text())


def test_official_airflow_services_and_the_sandbox():
    services = compose()["services"]
    for name in (
        "postgres",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    ):
        assert name in services, name
    assert services["airflow-apiserver"]["command"] == "api-server"
    assert services["qbo-sandbox"]["command"][:3] == ["python", "-m", "qbo_sandbox"]
    init = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in init and "qbo-sync migrate" in init and "pools set qbo_api" in init


def test_compose_connections_parse():
    """airflow-init stores both connections in Airflow's metadata database (Admin -> Connections)."""
    import re
    import shlex

    from qbo_sync.settings import settings_from_parts

    init = " ".join(compose()["services"]["airflow-init"]["command"])
    added = {
        m.group(1): shlex.split(m.group(3))[0]
        for m in re.finditer(r"airflow connections add (\S+) --conn-(json|uri) ('[^']*')", init)
    }
    assert set(added) == {"cmms_db", "quickbooks_default"}
    conn = json.loads(added["quickbooks_default"])
    s = settings_from_parts(
        "quickbooks_default", **{k: conn.get(k) for k in ("login", "password", "host", "extra")}
    )
    assert (s.environment, s.base_url) == ("local", "http://qbo-sandbox:8765")
    assert added["cmms_db"].startswith("postgresql://")
    env = compose()["x-airflow-common"]["environment"]
    assert not [k for k in env if k.startswith("AIRFLOW_CONN_")]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert init.index("connections add quickbooks_default") < init.index("qbo-sync migrate")


def test_image_installs_the_lock_and_the_package():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "FROM apache/airflow:3.3.2" in dockerfile
    assert "-r /opt/qbo-sync/requirements.txt" in dockerfile and "-e /opt/qbo-sync" in dockerfile
