"""The ``qbo-sync`` command line: migrate and check-db against a URL or the cmms_db connection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from qbo_sync.cli import COMMANDS, main
from qbo_sync.db.engine import create_engine
from qbo_sync.db.migrate import current_revision, head_revision

CONSOLE_SCRIPT = Path(sys.executable).with_name("qbo-sync")


def test_migrate_then_check_db(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-db", "--url", db_url]) == 1
    assert "`qbo-sync migrate`" in capsys.readouterr().err

    assert main(["migrate", "--url", db_url]) == 0
    assert f"revision {head_revision()}" in capsys.readouterr().out
    engine = create_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
        assert "customers" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()

    assert main(["check-db", "--url", db_url]) == 0
    assert ": OK" in capsys.readouterr().out


def test_unreachable_database_is_one_readable_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-db", "--url", "postgresql://cmms:hunter2-secret@127.0.0.1:1/cmms"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "qbo-sync check-db: cannot use the CMMS database postgresql://cmms:***@127.0.0.1:1/cmms"
    )
    assert "hunter2" not in err and len(err.strip().splitlines()) == 1


def test_registry_lists_the_subcommands() -> None:
    assert {"migrate", "check-db"} <= set(COMMANDS)
    assert main([]) == 2


def test_console_script_migrates_the_cmms_db_connection(pg_url: str) -> None:
    env = {**os.environ, "AIRFLOW_CONN_CMMS_DB": pg_url.replace("postgresql+psycopg2://", "postgresql://")}
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "migrate"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "is at revision 0011" in done.stdout
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "check-db"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
