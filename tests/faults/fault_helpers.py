"""What every fault test asks of both sides after a fault: no duplicate, no CMMS row without its
QB ID, the same values in QuickBooks and the CMMS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import comparable, load_mappings, qbo_to_row
from qbo_sync.mapping.names import name_key
from qbo_sync.sync.refs import RefMaps, referenced_tables

DAGS = Path(__file__).resolve().parents[2] / "dags"
QBO_ENTITY = {"customers": "Customer", "items": "Item", "vendors": "Vendor"}
OUTCOMES: list[tuple[str, str]] = []  # (fault, outcome) in the order the tests ran


def record(fault: str, outcome: str) -> None:
    OUTCOMES.append((fault, outcome))


def run_dag(*entities: str, **conf: Any) -> dict[str, str]:
    """One run of qbo_full_sync over ``entities``; returns {task_id: final state}."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).get_dag("qbo_full_sync")
    run_conf = {"entities": list(entities), "full_refresh": False, "dry_run": False, **conf}
    dr = dag.test(run_conf=run_conf)
    return {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}


def q(engine: sa.Engine, sql: str, **params: Any) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def execute(engine: sa.Engine, sql: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def qbo_all(sandbox: Any, entity: str) -> list[dict[str, Any]]:
    answer = sandbox.company.query(f"SELECT * FROM {entity} WHERE Active IN (true, false) MAXRESULTS 1000")
    objects = next((v for v in answer.values() if isinstance(v, list)), [])
    return [o for o in objects if o.get("Type") not in ("Category", "Group")]


def problems(
    sandbox: Any, cmms: sa.Engine, table: str, *, allow_unlinked: int = 0, cmms_twins_ok: bool = False
) -> list[str]:
    """Everything wrong between the two sides for one entity (empty when converged).
    ``allow_unlinked``: CMMS rows refused on purpose; ``cmms_twins_ok``: the CMMS holds same-name
    rows on purpose (only one of them may reach QuickBooks)."""
    mapping = load_mappings()[table]
    objects = qbo_all(sandbox, QBO_ENTITY[table])
    name_field = "Name" if QBO_ENTITY[table] == "Item" else "DisplayName"
    out = _duplicates("QuickBooks", [o.get(name_field) for o in objects])
    rows = [dict(r._mapping) for r in q(cmms, f"SELECT * FROM {table} ORDER BY id")]
    if not cmms_twins_ok:
        out += _duplicates("CMMS", [r.get(mapping.title_column) for r in rows])
    unlinked = [r for r in rows if r["qb_id"] is None]
    if len(unlinked) > allow_unlinked:
        out.append(f"{len(unlinked)} CMMS row(s) without a QB ID: {[r['id'] for r in unlinked]}")
    by_id = {str(o["Id"]): o for o in objects}
    with cmms.connect() as conn:
        refs = RefMaps.load(conn, referenced_tables(mapping))
    for row in rows:
        obj = by_id.get(str(row["qb_id"])) if row["qb_id"] else None
        if row["qb_id"] and obj is None:
            out.append(f"CMMS #{row['id']} points at QuickBooks Id {row['qb_id']}, which does not exist")
        elif obj is not None:
            out += _differences(mapping, row, qbo_to_row(mapping, obj, refs))
    return out


def _duplicates(side: str, names: list[Any]) -> list[str]:
    seen: dict[str, str] = {}
    out = []
    for name in names:
        key = name_key(name)
        if key is not None and key in seen:
            out.append(f"{side} holds {seen[key]!r} and {name!r}, the same name")
        elif key is not None:
            seen[key] = name
    return out


def _differences(mapping: Any, row: dict[str, Any], remote: dict[str, Any]) -> list[str]:
    local_cmp, remote_cmp = comparable(mapping, row), comparable(mapping, remote)
    return [
        f"#{row['id']} {col}: CMMS {local_cmp.get(col)!r} / QuickBooks {remote_cmp[col]!r}"
        for col in sorted(remote_cmp)
        if col in local_cmp and local_cmp[col] != remote_cmp[col]
    ]
