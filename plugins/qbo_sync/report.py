"""A plain-text report of what the sync did, read from the integration's own tables.

Used by ``qbo-sync report`` (and the local run script): the latest run per entity with its
counts, the open conflicts, and the record errors of those runs in words a bookkeeper understands.
"""

from __future__ import annotations

import sqlalchemy as sa

from qbo_sync.db.schema_sync import RUN_COUNTS, sync_conflicts, sync_record_errors, sync_runs

SHOWN_ERRORS = 10


def latest_runs(conn: sa.Connection) -> list[sa.Row]:
    """The most recent run of every entity, in the order the entities were first synced."""
    latest = sa.select(sa.func.max(sync_runs.c.id)).group_by(sync_runs.c.entity).scalar_subquery()
    return list(conn.execute(sa.select(sync_runs).where(sync_runs.c.id.in_(latest)).order_by(sync_runs.c.id)))


def sync_report(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        runs = latest_runs(conn)
        open_conflicts = conn.execute(
            sa.select(sa.func.count()).select_from(sync_conflicts).where(sync_conflicts.c.status == "open")
        ).scalar_one()
        errors = list(
            conn.execute(
                sa.select(
                    sync_record_errors.c.entity, sync_record_errors.c.cmms_id, sync_record_errors.c.message
                )
                .where(sync_record_errors.c.run_id.in_([r.id for r in runs]))
                .order_by(sync_record_errors.c.id)
                .limit(SHOWN_ERRORS)
            )
        )
    if not runs:
        return "No sync has run yet."
    lines = [f"{'entity':12} {'status':9} " + " ".join(f"{c:>9}" for c in RUN_COUNTS)]
    for r in runs:
        flag = " (dry run)" if r.dry_run else ""
        counts = " ".join(f"{getattr(r, c):>9}" for c in RUN_COUNTS)
        lines.append(f"{r.entity:12} {r.status:9} {counts}{flag}")
    lines.append(f"open conflicts: {open_conflicts}")
    for e in errors:
        lines.append(f"error: {e.entity} #{e.cmms_id}: {e.message}")
    return "\n".join(lines)
