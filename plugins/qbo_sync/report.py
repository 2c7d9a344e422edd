"""What the sync did, read from the integration's own tables.

Shared by ``qbo-sync report`` (plain text) and the plugin's ``/qbo/report`` page (HTML): the latest
run per entity with its counts, the open conflicts (fields edited differently on both sides that a
person must decide), and the record errors of those runs in words a bookkeeper understands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

# schema (not schema_sync): it completes sync_runs with the columns of later migrations (outcomes)
from qbo_sync.db.schema import sync_conflicts, sync_record_errors, sync_runs
from qbo_sync.db.schema_sync import RUN_COUNTS

SHOWN = 50


@dataclass(frozen=True)
class SyncReport:
    runs: list[sa.Row]
    conflicts: list[sa.Row]
    open_conflicts: int
    errors: list[sa.Row]
    abandoned: list[sa.Row] = field(default_factory=list)  # recent runs whose worker died


def latest_runs(conn: sa.Connection) -> list[sa.Row]:
    """The most recent run of every entity, in the order they ran."""
    latest = sa.select(sa.func.max(sync_runs.c.id)).group_by(sync_runs.c.entity).scalar_subquery()
    return list(conn.execute(sa.select(sync_runs).where(sync_runs.c.id.in_(latest)).order_by(sync_runs.c.id)))


def read_report(engine: sa.Engine, limit: int = SHOWN) -> SyncReport:
    c, e = sync_conflicts.c, sync_record_errors.c
    with engine.connect() as conn:
        runs = latest_runs(conn)
        is_open = c.status == "open"
        count = conn.execute(
            sa.select(sa.func.count()).select_from(sync_conflicts).where(is_open)
        ).scalar_one()
        conflicts = list(
            conn.execute(
                sa.select(
                    c.entity,
                    c.cmms_id,
                    c.qb_id,
                    c.field,
                    c.base_value,
                    c.cmms_value,
                    c.qbo_value,
                    c.created_at,
                )
                .where(is_open)
                .order_by(c.id)
                .limit(limit)
            )
        )
        errors = list(
            conn.execute(
                sa.select(e.entity, e.cmms_id, e.qb_id, e.code, e.message, e.created_at)
                .where(e.run_id.in_([r.id for r in runs]))
                .order_by(e.id)
                .limit(limit)
            )
        )
        abandoned = list(
            conn.execute(
                sa.select(sync_runs.c.entity, sync_runs.c.run_key, sync_runs.c.message)
                .where(sync_runs.c.status == "abandoned")
                .order_by(sync_runs.c.id.desc())
                .limit(limit)
            )
        )
    return SyncReport(runs, conflicts, count, errors, abandoned)


def sync_report(engine: sa.Engine, limit: int = 10) -> str:
    """The report as plain text (``qbo-sync report``)."""
    report = read_report(engine, limit)
    if not report.runs:
        return "No sync has run yet."
    from qbo_sync.sync.record.counts import describe_directions

    lines = []
    for r in report.runs:
        flag = " (dry run)" if r.dry_run else ""
        if r.outcomes:  # what a person reads: direction and outcome
            counts = describe_directions(r.outcomes)
        else:  # a run recorded before outcomes existed, or a skipped one
            counts = r.message or " ".join(f"{c} {getattr(r, c)}" for c in RUN_COUNTS)
        lines.append(f"{r.entity:12} {r.status:9} {counts}{flag}")
    lines.extend(f"abandoned run: {a.entity}: {a.message}" for a in report.abandoned)
    lines.append(f"open conflicts: {report.open_conflicts}")
    for k in report.conflicts:
        lines.append(
            f"conflict: {k.entity} #{k.cmms_id} {k.field}: CMMS {k.cmms_value} / QuickBooks {k.qbo_value}"
        )
    for e in report.errors:
        lines.append(f"error: {e.entity} #{e.cmms_id}: {e.message}")
    return "\n".join(lines)


# --- one DAG run (the "QuickBooks" tab of a run, and the DAG's final check) ----------------------


@dataclass(frozen=True)
class RunReport:
    """What one Airflow DAG run did per entity, and its record errors."""

    dag_id: str
    run_id: str
    entities: list[dict]
    errors: list[sa.Row]
    failed: int

    @property
    def found(self) -> bool:
        return bool(self.entities)


def _run_rows(conn: sa.Connection, dag_id: str, run_id: str) -> list[sa.Row]:
    """The ``sync_runs`` rows of one DAG run: the last try of each task."""
    prefix = f"{dag_id}/{run_id}/"
    t = sync_runs.c
    rows = conn.execute(
        sa.select(sync_runs).where(sa.func.substr(t.run_key, 1, len(prefix)) == prefix).order_by(t.id)
    ).all()
    latest: dict[str, sa.Row] = {}
    for r in rows:
        latest[r.entity] = r  # later tries replace earlier ones
    return list(latest.values())


def run_report(engine: sa.Engine, dag_id: str, run_id: str, limit: int = 200) -> RunReport:
    from qbo_sync.sync.record.counts import describe_directions

    e = sync_record_errors.c
    with engine.connect() as conn:
        rows = _run_rows(conn, dag_id, run_id)
        errors = list(
            conn.execute(
                sa.select(e.entity, e.cmms_id, e.qb_id, e.code, e.message, e.intuit_tid)
                .where(e.run_id.in_([r.id for r in rows]))
                .order_by(e.id)
                .limit(limit)
            )
        )
    entities = [
        {
            "entity": r.entity,
            "status": r.status,
            "dry_run": bool(r.dry_run),
            "outcomes": r.outcomes,
            "directions": describe_directions(r.outcomes) if r.outcomes else None,
            "failed": r.failed,
            "conflicts": r.conflicts,
            "message": r.message,
            "finished_at": r.finished_at,
        }
        for r in rows
    ]
    return RunReport(dag_id, run_id, entities, errors, sum(r.failed for r in rows))


def failed_records_message(report: RunReport) -> str | None:
    """None when no record failed; else what failed where, and where to look."""
    if not report.failed:
        return None
    where = ", ".join(f"{x['entity']} {x['failed']}" for x in report.entities if x["failed"])
    return (
        f"{report.failed} record(s) could not be synced ({where}); the others were. Open this run's "
        "QuickBooks tab (or the QuickBooks page → View → Failed) for each record's reason, fix the "
        "records and run the sync again."
    )


def record_finished_run(
    engine: sa.Engine, run_key: str, entities: list[str], *, direction: str, status: str, message: str
) -> None:
    """A run that did nothing, recorded per entity so the QuickBooks page shows it (``sync_runs``
    started and finished now, with ``status`` and the reason in ``message``)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    rows = [
        {"run_key": run_key, "entity": entity, "direction": direction, "started_at": now,
         "finished_at": now, "status": status, "message": message}
        for entity in entities
    ]  # fmt: skip
    if rows:
        with engine.begin() as conn:
            conn.execute(sa.insert(sync_runs), rows)


def record_skipped(engine: sa.Engine, run_key: str, entities: list[str], reason: str) -> None:
    """Record a switched-off run per entity (``sync_runs.status = skipped`` with the reason)."""
    record_finished_run(engine, run_key, entities, direction="both", status="skipped", message=reason)
