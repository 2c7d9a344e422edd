"""Resolving the ``cmms_db`` connection, engine settings and URL redaction."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from qbo_sync.db.engine import (
    CMMSConnectionError,
    cmms_url,
    get_engine,
    normalise_url,
    redact,
    url_from_parts,
)


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_cmms_url_from_env_uri(monkeypatch: pytest.MonkeyPatch, scheme: str) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_CMMS_DB", f"{scheme}://cmms:p%40ss@db.internal:5433/cmms?sslmode=require"
    )
    url = sa.make_url(cmms_url())
    assert url.drivername == "postgresql+psycopg2"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "cmms",
        "p@ss",
        "db.internal",
        5433,
        "cmms",
    )
    assert url.query == {"sslmode": "require"}


def test_cmms_url_from_env_sqlite_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_CMMS_DB", "sqlite:////var/lib/cmms/cmms.db")
    assert cmms_url() == "sqlite:////var/lib/cmms/cmms.db"
    monkeypatch.setenv(
        "AIRFLOW_CONN_OTHER_DB",
        json.dumps({"conn_type": "postgres", "host": "h", "login": "u", "password": "pw", "schema": "d"}),
    )
    assert cmms_url("other_db") == "postgresql+psycopg2://u:pw@h/d"


def test_cmms_url_missing_says_how_to_define_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_NO_SUCH_DB", raising=False)
    with pytest.raises(CMMSConnectionError, match="set AIRFLOW_CONN_NO_SUCH_DB"):
        cmms_url("no_such_db")


def test_url_conversions() -> None:
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert url_from_parts("sqlite", host="/tmp/c.db") == "sqlite:////tmp/c.db"
    assert url_from_parts("postgres", host="h", port=5432, schema="d", extra={"cursor": "dict"}) == (
        "postgresql+psycopg2://h:5432/d"
    )
    with pytest.raises(CMMSConnectionError, match="PostgreSQL or SQLite"):
        url_from_parts("mysql", host="h")


def test_redact_hides_the_password() -> None:
    shown = redact("postgresql+psycopg2://cmms:s3cret-Value@h:5432/cmms")
    assert "s3cret" not in shown and shown == "postgresql+psycopg2://cmms:***@h:5432/cmms"
    assert "s3cret" not in redact("not a url s3cret://x")


def test_get_engine_is_shared_per_url_and_enforces_foreign_keys(migrated_url: str) -> None:
    engine = get_engine(migrated_url)
    assert get_engine(migrated_url) is engine
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO items (name, income_account_id) VALUES ('x', 424242)"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM items")).scalar_one() == 0
    engine.dispose()
