"""Per-entity figures and records for the QuickBooks page, read from the CMMS contract tables.

The entities are listed in the seed's order. Each says where its records live, what names a
record for a person, and which DAG run syncs it (``trigger``): ``qbo_full_sync`` with the entity in
its ``entities`` param, or the ``qbo_payments`` DAG for payments.

Record states (the contract's ``qb_status``): *synced* (linked and agreed), *waiting* (not sent
yet: ``not_synced``), *failed* (``error``, with ``qb_error`` in words), *in conflict*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema

FULL_SYNC = "qbo_full_sync"
PAYMENTS_DAG = "qbo_payments"
STATUS_FILTERS = {
    "failed": ("error",),
    "conflict": ("conflict",),
    "waiting": ("not_synced",),
    "synced": ("synced",),
}
PAGE_SIZE_MAX = 200


@dataclass(frozen=True)
class EntityView:
    """One line of the QuickBooks page."""

    key: str
    label: str
    tables: tuple[str, ...]
    name_column: str
    run_entities: tuple[str, ...]
    dag_id: str = FULL_SYNC
    direction: str = "both"
    conf: dict[str, Any] = field(default_factory=dict)

    def trigger(self) -> dict[str, Any]:
        """What the Sync button triggers: a DAG id and the run's conf."""
        if self.dag_id == FULL_SYNC:
            return {"dag_id": self.dag_id, "conf": {"entities": list(self.run_entities)}}
        return {"dag_id": self.dag_id, "conf": dict(self.conf)}


ENTITIES: tuple[EntityView, ...] = (
    EntityView(
        "accounts",
        "Chart of Accounts",
        ("accounts",),
        "fully_qualified_name",
        ("accounts",),
        direction="from QuickBooks",
    ),
    EntityView(
        "tax",
        "Tax",
        ("tax_codes", "tax_rates"),
        "name",
        ("tax_codes", "tax_rates"),
        direction="from QuickBooks",
    ),
    EntityView("customers", "Customers", ("customers",), "display_name", ("customers",)),
    EntityView("items", "Items", ("items",), "name", ("items",)),
    EntityView("vendors", "Vendors", ("vendors",), "display_name", ("vendors",)),
    EntityView(
        "invoices", "Invoices", ("invoices",), "invoice_number", ("invoices",), direction="to QuickBooks"
    ),
    EntityView(
        "bills", "Bills", ("purchase_invoices",), "bill_number", ("bills",), direction="to QuickBooks"
    ),
    EntityView(
        "expenses", "Expenses", ("expenses",), "description", ("expenses",), direction="to QuickBooks"
    ),
    EntityView(
        "payments",
        "Payments",
        ("payments",),
        "reference_number",
        ("payments",),
        dag_id=PAYMENTS_DAG,
        direction="from QuickBooks",
    ),
)
BY_KEY = {e.key: e for e in ENTITIES}


class UnknownEntity(LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(f"unknown entity {key!r}; one of: {', '.join(BY_KEY)}")


def entity_view(key: str) -> EntityView:
    try:
        return BY_KEY[key]
    except KeyError:
        raise UnknownEntity(key) from None


def _table(name: str) -> sa.Table:
    return schema.metadata.tables[name]


def _state_counts(conn: sa.Connection, table: sa.Table) -> dict[str, int]:
    if "qb_status" not in table.c:  # payments: every row came from QuickBooks
        total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        return {"total": total, "synced": total, "waiting": 0, "failed": 0, "conflict": 0}
    rows = conn.execute(sa.select(table.c.qb_status, sa.func.count()).group_by(table.c.qb_status))
    by_status = {status: n for status, n in rows}
    return {
        "total": sum(by_status.values()),
        "synced": by_status.get("synced", 0),
        "waiting": by_status.get("not_synced", 0),
        "failed": by_status.get("error", 0),
        "conflict": by_status.get("conflict", 0),
    }


def _last_runs(conn: sa.Connection) -> dict[str, sa.Row]:
    runs = schema.sync_runs
    latest = sa.select(sa.func.max(runs.c.id)).group_by(runs.c.entity).scalar_subquery()
    return {r.entity: r for r in conn.execute(sa.select(runs).where(runs.c.id.in_(latest)))}


def _run_summary(row: sa.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    dag_id, _, rest = row.run_key.partition("/")
    run_id = rest.rsplit("/", 2)[0] if rest.count("/") >= 2 else rest
    return {
        "status": row.status,
        "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at),
        "dag_id": dag_id,
        "run_id": run_id,
        "failed": row.failed,
        "message": row.message,
        "dry_run": bool(row.dry_run),
    }


def summary(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every entity's figures and last run, in the seed's order."""
    out = []
    with engine.connect() as conn:
        last = _last_runs(conn)
        for e in ENTITIES:
            counts = {"total": 0, "synced": 0, "waiting": 0, "failed": 0, "conflict": 0}
            for name in e.tables:
                for k, v in _state_counts(conn, _table(name)).items():
                    counts[k] += v
            runs = [last[r] for r in e.run_entities if r in last]
            latest = max(runs, key=lambda r: r.id) if runs else None
            out.append(
                {
                    "key": e.key,
                    "label": e.label,
                    "direction": e.direction,
                    **counts,
                    "last_run": _run_summary(latest),
                    "trigger": e.trigger(),
                }
            )
    return out


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class RecordQuery:
    """What the View list asks for: a state filter, a search text, a page."""

    status: str = "all"
    search: str = ""
    page: int = 1
    page_size: int = 50

    def __post_init__(self) -> None:
        if self.status != "all" and self.status not in STATUS_FILTERS:
            raise ValueError(
                f"status must be all or one of {', '.join(STATUS_FILTERS)} (got {self.status!r})"
            )
        if self.page < 1 or not 1 <= self.page_size <= PAGE_SIZE_MAX:
            raise ValueError(f"page must be >= 1 and page_size between 1 and {PAGE_SIZE_MAX}")


def _filtered(table: sa.Table, name_col: str, q: RecordQuery) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if q.status != "all" and "qb_status" in table.c:
        where.append(table.c.qb_status.in_(STATUS_FILTERS[q.status]))
    if q.search.strip():
        needle = f"%{q.search.strip().lower()}%"
        where.append(
            sa.or_(
                sa.func.lower(sa.cast(table.c[name_col], sa.Text)).like(needle),
                sa.func.lower(sa.cast(table.c.qb_id, sa.Text)).like(needle),
            )
        )
    return where


def records(engine: sa.Engine, key: str, q: RecordQuery) -> dict[str, Any]:
    """One page of an entity's records with QuickBooks Status, QB ID, last synced and the error."""
    e = entity_view(key)
    table = _table(e.tables[0])
    has_status = "qb_status" in table.c
    cols = [table.c.id, table.c[e.name_column].label("name"), table.c.qb_id]
    if has_status:
        cols += [table.c.qb_status, table.c.qb_synced_at, table.c.qb_error]
    else:
        cols += [table.c.status.label("qb_status"), table.c.synced_at.label("qb_synced_at")]
    where = _filtered(table, e.name_column, q)
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()
        rows = conn.execute(
            sa.select(*cols)
            .where(*where)
            .order_by(table.c.id)
            .limit(q.page_size)
            .offset((q.page - 1) * q.page_size)
        ).all()
    items = [
        {
            "id": r.id,
            "name": None if r.name is None else str(r.name),
            "qb_id": r.qb_id,
            "qb_status": r.qb_status,
            "quickbooks_status": "Yes" if r.qb_status == "synced" and r.qb_id else "No",
            "qb_synced_at": _iso(r.qb_synced_at),
            "error": getattr(r, "qb_error", None),
        }
        for r in rows
    ]
    return {
        "entity": key,
        "label": e.label,
        "total": total,
        "page": q.page,
        "page_size": q.page_size,
        "records": items,
    }
