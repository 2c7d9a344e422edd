"""Fixtures for DAG-level tests: Airflow's metadata DB, a migrated CMMS on PostgreSQL, a connected
sandbox company, and the connections as ``AIRFLOW_CONN_*`` environment variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import create_database, drop_database

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def airflow_uri(sqlalchemy_url: str) -> str:
    """The connection URI form Airflow expects (scheme = conn type)."""
    return sqlalchemy_url.replace("postgresql+psycopg2://", "postgresql://", 1)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's own metadata database (SQLite under .airflow-test/), migrated once per session."""
    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    out = subprocess.run([AIRFLOW, "db", "migrate"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]


@pytest.fixture()
def cmms(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """A migrated CMMS database, connected to a freshly reseeded sandbox company."""
    from qbo_sync.connect_flow import approve_locally, begin_connect, complete_connect
    from qbo_sync.db.engine import create_engine
    from qbo_sync.db.migrate import upgrade
    from qbo_sync.qbo.oauth import OAuthClient, endpoints_for

    sandbox.reset()
    url = create_database("qbo_dag")
    upgrade(url)
    engine = create_engine(url)
    redirect = "http://localhost:8080/qbo/oauth/callback"
    conn = {
        "conn_type": "quickbooks",
        "login": "sandbox-demo-client",
        "password": "sandbox-demo-secret",
        "host": sandbox.url,
        "extra": {"environment": "local", "realm_id": sandbox.realm_id, "redirect_uri": redirect},
    }
    monkeypatch.setenv("AIRFLOW_CONN_QUICKBOOKS_DEFAULT", json.dumps(conn))
    monkeypatch.setenv("AIRFLOW_CONN_CMMS_DB", airflow_uri(url))
    oauth = OAuthClient.for_endpoints(conn["login"], conn["password"], endpoints_for("local", sandbox.url))
    answer = approve_locally(begin_connect(engine, oauth, redirect))
    complete_connect(engine, oauth, code=answer["code"], state=answer["state"], realm_id=answer["realmId"])
    sandbox.reset_counters()
    try:
        yield engine
    finally:
        engine.dispose()
        from qbo_sync.db.engine import dispose_engines

        dispose_engines()
        drop_database(url)
