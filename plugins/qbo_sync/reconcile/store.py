"""Recording drifts in ``sync_drift``: one open row per check and subject, kept across runs.

A drift seen again updates its values, ``last_seen_at`` and ``run_id`` and keeps ``first_seen_at``
(so "open since" means since it was first noticed); an open drift of a checked kind that this run
no longer finds is ``resolved``. All in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from qbo_sync.db.schema import sync_drift
from qbo_sync.reconcile.compare import Drift


def record_drifts(
    engine: sa.Engine,
    realm_id: str,
    drifts: Iterable[Drift],
    checks: Iterable[str],
    *,
    now: datetime,
    run_id: str,
    healed: Iterable[Drift] = (),
) -> dict[str, int]:
    """Write this run's drifts; mark ``healed`` ones healed (found and fixed by this run); resolve
    open ones of ``checks`` (check-name prefixes) not seen again."""
    seen = {(d.check_name, d.subject): d for d in drifts}
    prefixes = tuple(checks)
    fixed = {(d.check_name, d.subject): d for d in healed}
    counts = {"new": 0, "still_open": 0, "resolved": 0, "healed": len(fixed)}
    with engine.begin() as conn:
        open_rows = conn.execute(
            sa.select(sync_drift.c.id, sync_drift.c.check_name, sync_drift.c.subject).where(
                sync_drift.c.realm_id == realm_id, sync_drift.c.status == "open"
            )
        ).all()
        known = {(r.check_name, r.subject): r.id for r in open_rows}
        for key, drift in seen.items():
            values = _values(drift) | {"last_seen_at": now, "run_id": run_id}
            if key in known:
                conn.execute(sa.update(sync_drift).where(sync_drift.c.id == known[key]).values(**values))
                counts["still_open"] += 1
            else:
                conn.execute(sa.insert(sync_drift).values(realm_id=realm_id, first_seen_at=now, **values))
                counts["new"] += 1
        for key, drift in fixed.items():
            done = _values(drift) | {
                "last_seen_at": now,
                "run_id": run_id,
                "status": "healed",
                "healed_at": now,
            }
            if key in known:
                conn.execute(sa.update(sync_drift).where(sync_drift.c.id == known[key]).values(**done))
            else:
                conn.execute(sa.insert(sync_drift).values(realm_id=realm_id, first_seen_at=now, **done))
        gone = [
            i
            for key, i in known.items()
            if key not in seen and key not in fixed and key[0].startswith(prefixes)
        ]
        if gone:
            conn.execute(
                sa.update(sync_drift)
                .where(sync_drift.c.id.in_(gone))
                .values(status="resolved", resolved_at=now, run_id=run_id)
            )
        counts["resolved"] = len(gone)
    return counts


def _values(drift: Drift) -> dict[str, object]:
    return {
        "check_name": drift.check_name,
        "subject": drift.subject,
        "entity": drift.entity,
        "cmms_id": drift.cmms_id,
        "qb_id": drift.qb_id,
        "cmms_value": drift.cmms_value,
        "qbo_value": drift.qbo_value,
        "amount_at_stake": drift.amount_at_stake,
        "cause": drift.cause,
    }


def open_summary(engine: sa.Engine, realm_id: str) -> dict[str, object]:
    """What the QuickBooks page and the run report show: open drifts, total at stake, oldest."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sync_drift.c.amount_at_stake), 0),
                sa.func.min(sync_drift.c.first_seen_at),
            ).where(sync_drift.c.realm_id == realm_id, sync_drift.c.status == "open")
        ).one()
    return {
        "open": int(row[0]),
        "at_stake": str(row[1]),
        "oldest_open_since": row[2].isoformat() if row[2] else None,
    }


def drift_overview(engine: sa.Engine, limit: int = 50) -> dict[str, object]:
    """For the QuickBooks page and the report: open differences (all realms of this CMMS, which is
    bound to one), the total at stake, the oldest, the last check and the open rows, largest first."""
    d = sync_drift
    with engine.connect() as conn:
        head = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(d.c.amount_at_stake), 0),
                sa.func.min(d.c.first_seen_at),
            ).where(d.c.status == "open")
        ).one()
        last = conn.execute(sa.select(sa.func.max(d.c.last_seen_at))).scalar()
        healed = conn.execute(sa.select(sa.func.count()).where(d.c.status == "healed")).scalar()
        rows = (
            conn.execute(
                sa.select(
                    d.c.check_name,
                    d.c.subject,
                    d.c.cmms_value,
                    d.c.qbo_value,
                    d.c.amount_at_stake,
                    d.c.cause,
                    d.c.first_seen_at,
                )
                .where(d.c.status == "open")
                .order_by(d.c.amount_at_stake.desc(), d.c.id)
                .limit(limit)
            )
            .mappings()
            .all()
        )
    return {
        "open": int(head[0]),
        "at_stake": f"{head[1]:.2f}",
        "oldest_open_since": head[2].isoformat() if head[2] else None,
        "last_seen_at": last.isoformat() if last else None,
        "healed": int(healed or 0),
        "rows": [
            {
                **dict(r),
                "amount_at_stake": f"{r['amount_at_stake']:.2f}",
                "first_seen_at": r["first_seen_at"].isoformat(),
            }
            for r in rows
        ],
    }
