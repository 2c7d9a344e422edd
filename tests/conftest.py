"""Shared test fixtures.

- ``sandbox``: a QBO sandbox server on loopback (real HTTP), one per test module, seeded with the
  demo company. Throttling is off unless a test turns it on.
- ``pg_url``: a fresh, empty PostgreSQL database for the test session. Skips with a visible reason
  when no PostgreSQL is reachable, except under ``CI=true`` where it fails instead.
"""

from __future__ import annotations

import json
import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "qbo-fixtures"
REDIRECT = "http://localhost:8080/qbo/oauth/callback"
PG_ADMIN_URL = os.environ.get("QBO_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")

# Airflow for tests: its own home and SQLite metadata database under .airflow-test/, the repo's
# dags/ folder, no examples, a deterministic non-secret Fernet key. Set unconditionally (before
# anything imports airflow) so a shell that sourced .run/env.sh never points tests at the demo setup.
_AIRFLOW_HOME = REPO / ".airflow-test"
for _name in [
    n for n in os.environ if n.startswith(("AIRFLOW_CONN_", "AIRFLOW__", "QBO_BUDGET_", "QBO_MAPPINGS_DIR"))
]:
    del os.environ[_name]
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__FERNET_KEY": "Wq0lJ7rBx3n1sB1zq0mC4xZx7cXnJtq5m4VbqQe9W3Y=",
    }
)


def _pg_available() -> str | None:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


def require_postgres() -> None:
    reason = _pg_available()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
    pytest.skip(reason)


def create_database(prefix: str = "qbo_test") -> str:
    """Create an empty PostgreSQL database and return its SQLAlchemy URL."""
    import sqlalchemy as sa

    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    import sqlalchemy as sa

    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _sweep_abandoned_test_databases() -> None:
    """Drop test databases an interrupted earlier session left behind (older than an hour, unused)."""
    import sqlalchemy as sa

    if _pg_available() is not None:
        return
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    stale = sa.text(
        "SELECT datname FROM pg_database d "
        "WHERE (datname LIKE 'qbo\\_test\\_%' OR datname LIKE 'qbo\\_dag\\_%') "
        "AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname) "
        "AND (pg_stat_file('base/' || d.oid || '/PG_VERSION', true)).modification < now() - interval '1 hour'"
    )
    # missing_ok: a database another test run is creating or dropping right now has no directory yet
    # (or any more); it is not abandoned, and its absence must not fail this session.
    try:
        with admin.connect() as conn:
            for name in conn.execute(stale).scalars():
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    except sa.exc.OperationalError as exc:  # a concurrent drop between the SELECT and the DROP
        warnings.warn(f"sweeping abandoned test databases failed: {exc.orig}", stacklevel=1)
    finally:
        admin.dispose()


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    """A running QBO sandbox server (demo company, throttling off) for one test module."""
    from qbo_sandbox import SandboxConfig, SandboxServer

    server = SandboxServer(SandboxConfig(port=0, throttle=False))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def sb(sandbox: Any) -> Any:
    """The module's sandbox, reseeded with the demo company and with zeroed counters."""
    sandbox.reset()
    sandbox.reset_counters()
    return sandbox


@pytest.fixture()
def engine(pg_url: str) -> Iterator[sa.Engine]:
    """A CMMS database migrated to head (a fresh one per test)."""
    from qbo_sync.db.engine import create_engine
    from qbo_sync.db.migrate import upgrade

    upgrade(pg_url)
    eng = create_engine(pg_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture()
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"recorded QBO fixtures not found at {FIXTURES}")
    return FIXTURES


def airflow_uri(sqlalchemy_url: str) -> str:
    """The connection URI form Airflow expects (scheme = conn type)."""
    return sqlalchemy_url.replace("postgresql+psycopg2://", "postgresql://", 1)


@pytest.fixture()
def cmms_unconnected(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A migrated CMMS database and both connections set (as env vars), with no QuickBooks tokens yet."""
    from qbo_sync.db.engine import create_engine, dispose_engines
    from qbo_sync.db.migrate import upgrade

    sandbox.reset()
    url = create_database("qbo_dag")
    upgrade(url)
    engine = create_engine(url)
    conn = {
        "conn_type": "quickbooks",
        "login": "sandbox-demo-client",
        "password": "sandbox-demo-secret",
        "host": sandbox.url,
        "extra": {"environment": "local", "realm_id": sandbox.realm_id, "redirect_uri": REDIRECT},
    }
    monkeypatch.setenv("AIRFLOW_CONN_QUICKBOOKS_DEFAULT", json.dumps(conn))
    monkeypatch.setenv("AIRFLOW_CONN_CMMS_DB", airflow_uri(url))
    sandbox.reset_counters()
    try:
        yield engine
    finally:
        engine.dispose()
        dispose_engines()
        drop_database(url)


@pytest.fixture()
def cmms(sandbox: Any, cmms_unconnected: Any) -> Any:
    """:func:`cmms_unconnected`, connected to the sandbox company through the OAuth flow."""
    from qbo_sync.connect_flow import approve_locally, begin_connect, complete_connect
    from qbo_sync.qbo.oauth import OAuthClient, endpoints_for

    engine = cmms_unconnected
    oauth = OAuthClient.for_endpoints(
        "sandbox-demo-client", "sandbox-demo-secret", endpoints_for("local", sandbox.url)
    )
    answer = approve_locally(begin_connect(engine, oauth, REDIRECT))
    complete_connect(engine, oauth, code=answer["code"], state=answer["state"], realm_id=answer["realmId"])
    sandbox.reset_counters()
    return engine
