"""The local demo's redirect URL follows the port Airflow serves on (``AIRFLOW_PORT``).

``make run`` registers Airflow's ``/qbo/oauth/callback`` on that port with the sandbox server and
stores it in the connection; Intuit (and the sandbox) match redirect URLs exactly, so when the
port changes between runs the stored URL must change with it. Only a local connection whose URL is
the demo's own loopback callback is touched: anything else was set by a person and is kept.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

CALLBACK_PATH = "/qbo/oauth/callback"
LOOPBACK = ("localhost", "127.0.0.1")
KEYS = ("redirect_uri", "extra__quickbooks__redirect_uri")  # plain, or as Airflow's form stores it


def local_redirect_uris(port: int) -> list[str]:
    """The callback URLs the sandbox registers for an Airflow on ``port``."""
    return [f"http://{host}:{port}{CALLBACK_PATH}" for host in LOOPBACK]


def follow_port(extra: dict[str, Any], port: int) -> tuple[str, str] | None:
    """``(key, new URL)`` when a local connection's loopback callback names another port, else None."""
    if str(extra.get("environment") or extra.get("extra__quickbooks__environment") or "") != "local":
        return None
    key = next((k for k in KEYS if extra.get(k)), None)
    if key is None:
        return None
    url = urlsplit(str(extra[key]))
    if url.hostname not in LOOPBACK or url.path != CALLBACK_PATH or url.port == port:
        return None
    return key, f"{url.scheme}://{url.hostname}:{port}{CALLBACK_PATH}"


def point_connection_at_port(conn_id: str, port: int) -> str:
    """Update the stored connection ``conn_id`` (Airflow's metadata database) if it needs it; say what
    was done."""
    import json

    import sqlalchemy as sa
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        conn = session.scalar(sa.select(Connection).where(Connection.conn_id == conn_id))
        if conn is None:
            return f"{conn_id} is not stored in Airflow's metadata database: nothing to update"
        extra = conn.extra_dejson
        change = follow_port(extra, port)
        if change is None:
            return f"{conn_id}: redirect URL {extra.get('redirect_uri') or '(not set)'}"
        key, new = change
        old, extra[key] = extra[key], new
        conn.set_extra(json.dumps(extra))
    return f"{conn_id}: redirect URL {old} -> {new} (Airflow now serves on port {port})"
