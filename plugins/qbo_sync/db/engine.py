"""Engines for the CMMS database, resolved from the Airflow connection ``cmms_db``.

- :func:`cmms_url` turns the connection into a SQLAlchemy URL. It asks Airflow first (so a secrets
  backend works) and, when Airflow is not installed or not configured (a plain CLI on a laptop),
  reads ``AIRFLOW_CONN_CMMS_DB`` directly (URI or JSON form). ``postgres://`` and ``postgresql://``
  become ``postgresql+psycopg2://``; ``sqlite:///path`` is accepted as is.
- :func:`get_engine` returns one pooled engine per URL (``pool_pre_ping``; PostgreSQL sessions in
  UTC; SQLite with foreign keys on and real transactions).
- :func:`redact` renders a URL without its password, for logs and error messages.
"""

from __future__ import annotations

import json
import os
import re
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url

DEFAULT_CONN_ID = "cmms_db"
# libpq parameters worth passing through from a connection's extra; Airflow-only keys are dropped.
_LIBPQ_PARAMS = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "connect_timeout",
        "application_name",
        "target_session_attrs",
        "options",
        "keepalives",
        "keepalives_idle",
    }
)
_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


class CMMSConnectionError(RuntimeError):
    """The CMMS database connection is missing or unusable; the message says how to define it."""


def redact(url: str | URL) -> str:
    """``url`` with the password replaced by ``***`` (never raises)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown only by a plausible scheme
        scheme = str(url).split("://", 1)[0]
        return f"{scheme}://***" if re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme) else "<unparsable URL>"


def _env_var(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def _missing(conn_id: str) -> CMMSConnectionError:
    return CMMSConnectionError(
        f"the CMMS database connection `{conn_id}` is not defined: set {_env_var(conn_id)} "
        "(e.g. postgresql://user:password@host:5432/cmms or sqlite:////path/to/cmms.db) "
        "or add the connection in Airflow, or pass --url"
    )


def url_from_parts(
    conn_type: str | None,
    *,
    host: str | None = None,
    login: str | None = None,
    password: str | None = None,
    schema: str | None = None,
    port: int | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Build a SQLAlchemy URL from Airflow connection fields (postgres or sqlite)."""
    kind = (conn_type or "").lower().replace("-", "_")
    if kind == "sqlite":
        path = host or schema or ""
        return f"sqlite:///{path}" if path else "sqlite://"
    if kind in ("postgres", "postgresql"):
        query = {k: str(v) for k, v in (extra or {}).items() if k in _LIBPQ_PARAMS and v not in (None, "")}
        url = URL.create(
            "postgresql+psycopg2",
            username=login or None,
            password=password or None,
            host=host or None,
            port=int(port) if port else None,
            database=schema or None,
            query=query,
        )
        return url.render_as_string(hide_password=False)
    raise CMMSConnectionError(f"the CMMS database must be PostgreSQL or SQLite, not conn_type {conn_type!r}")


def normalise_url(uri: str) -> str:
    """Turn a connection URI into a SQLAlchemy URL (``postgres://`` → ``postgresql+psycopg2://``)."""
    uri = uri.strip()
    scheme, sep, rest = uri.partition("://")
    if not sep:
        raise CMMSConnectionError(f"not a database URI: {redact(uri)}")
    if scheme.lower() in ("postgres", "postgresql"):
        return f"postgresql+psycopg2://{rest}"
    return uri


def _from_env(conn_id: str) -> str:
    raw = os.environ.get(_env_var(conn_id), "").strip()
    if not raw:
        raise _missing(conn_id)
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CMMSConnectionError(f"{_env_var(conn_id)} is not valid JSON ({exc.msg})") from exc
        extra = data.get("extra") or {}
        return url_from_parts(
            data.get("conn_type"),
            host=data.get("host"),
            login=data.get("login"),
            password=data.get("password"),
            schema=data.get("schema"),
            port=data.get("port"),
            extra=json.loads(extra) if isinstance(extra, str) else extra,
        )
    return normalise_url(raw)


def _from_airflow(conn_id: str) -> str | None:
    """The URL from Airflow, or None when Airflow cannot be asked (not installed / configured)."""
    try:
        from airflow.sdk import BaseHook
        from airflow.sdk.exceptions import AirflowNotFoundException
    except Exception:  # no usable Airflow: fall back to the environment
        return None
    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException as exc:
        raise _missing(conn_id) from exc
    except Exception:  # Airflow present but not configured
        return None
    return url_from_parts(
        conn.conn_type,
        host=conn.host,
        login=conn.login,
        password=conn.password,
        schema=conn.schema,
        port=conn.port,
        extra=conn.extra_dejson,
    )


def cmms_url(conn_id: str = DEFAULT_CONN_ID) -> str:
    """The SQLAlchemy URL of the CMMS database from the Airflow connection ``conn_id``."""
    return _from_airflow(conn_id) or _from_env(conn_id)


SQLITE_BEGIN = "sqlite_begin"


def _sqlite_setup(engine: Engine) -> None:
    """Foreign keys on, and transactions that really begin (pysqlite otherwise defers BEGIN).

    A connection with the execution option ``sqlite_begin="BEGIN IMMEDIATE"`` takes the write lock
    up front (what a row lock is on PostgreSQL), e.g. for the token refresh.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(SQLITE_BEGIN, "BEGIN"))


def create_engine(url: str, **kwargs: Any) -> Engine:
    """A new engine for ``url`` with the product's settings (use :func:`get_engine` to share one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() == "psycopg2":
            kwargs.setdefault("executemany_mode", "values_plus_batch")
            kwargs.setdefault("executemany_batch_page_size", 1000)
            kwargs.setdefault("connect_args", {"options": "-c timezone=UTC"})
        engine = sa.create_engine(parsed, pool_pre_ping=True, **kwargs)
    elif parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed, pool_pre_ping=True, **kwargs)
        _sqlite_setup(engine)
    else:
        raise CMMSConnectionError(f"the CMMS database must be PostgreSQL or SQLite, not {redact(url)}")
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The shared engine for ``url`` (default: the ``cmms_db`` connection), created once per URL."""
    url = url or cmms_url()
    with _LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = create_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every shared engine (tests, and workers after fork)."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
