"""The demo writes only into the embedded default: the local sandbox server and the demo CMMS.

``make run`` / ``make demo`` seed demo customers, items, invoices, bills and expenses, push them with
a full sync and record a payment. A person who later points ``quickbooks_default`` at a real
QuickBooks company, or ``cmms_db`` at the real CMMS, in the same Airflow (Admin -> Connections; or
through ``AIRFLOW_CONN_*`` variables, which Airflow reads before its database) and runs ``make run``
again must not get demo records in their books. :func:`demo_problems` says what is not the demo's;
``qbo-sync demo-guard`` stops the script on it, and ``seed-demo`` and ``demo-payment`` refuse too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def quickbooks_problem(conn_id: str, environment: str, base_url: str, sandbox_port: int | None) -> str | None:
    """Why the QuickBooks connection is not the local sandbox server (None when it is)."""
    if environment != "local":
        return f"connection {conn_id} is a {environment} QuickBooks company, not the local sandbox"
    parts = urlsplit(base_url)
    if parts.hostname not in LOOPBACK:
        return f"connection {conn_id} points at {parts.hostname or base_url!r}, not at this machine"
    if sandbox_port is not None and parts.port != sandbox_port:
        return f"connection {conn_id} points at port {parts.port}, not at the demo sandbox's {sandbox_port}"
    return None


def cmms_problem(conn_id: str, actual_url: str, demo_url: str) -> str | None:
    """Why the CMMS connection is not the demo's database (None when it is)."""
    actual, demo = make_url(actual_url), make_url(demo_url)
    same = (actual.get_backend_name(), actual.host, actual.port or 5432, actual.database) == (
        demo.get_backend_name(),
        demo.host,
        demo.port or 5432,
        demo.database,
    )
    if same:
        return None
    where = f"{actual.get_backend_name()}://{actual.host or ''}/{actual.database}"
    return f"connection {conn_id} points at {where}, not at the demo's CMMS database {demo.database}"


def refusal(problems: list[str]) -> str:
    """What the demo says when it stops."""
    return (
        "the demo writes demo records only into the local sandbox and the demo CMMS, but "
        + "; ".join(problems)
        + ". Nothing was written. To run the demo, restore the connections (Admin -> Connections) or "
        "unset AIRFLOW_CONN_QUICKBOOKS_DEFAULT / AIRFLOW_CONN_CMMS_DB; to sync a real company, use the "
        "Airflow DAGs (qbo_full_sync) instead of make run."
    )
