"""Fixtures for DAG-level tests: Airflow's own metadata database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's own metadata database (SQLite under .airflow-test/), migrated once per session."""
    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    out = subprocess.run([AIRFLOW, "db", "migrate"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
