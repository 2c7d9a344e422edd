"""What the sync did, read from the integration's own tables.

Shared by ``qbo-sync report`` (plain text) and the plugin's ``/qbo/report`` page (HTML): the latest
run per entity with its counts, the open conflicts (fields edited differently on both sides that a
person must decide), and the record errors of those runs in words a bookkeeper understands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from qbo_sync.db.schema_sync import RUN_COUNTS, sync_conflicts, sync_record_errors, sync_runs

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
    lines = [f"{'entity':12} {'status':9} " + " ".join(f"{c:>9}" for c in RUN_COUNTS)]
    for r in report.runs:
        flag = " (dry run)" if r.dry_run else ""
        counts = " ".join(f"{getattr(r, c):>9}" for c in RUN_COUNTS)
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
