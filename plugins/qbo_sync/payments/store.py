"""The payment run's reads and writes of the CMMS database (no QuickBooks, no Airflow).

- :class:`Cmms`: what extraction and the audit need to know (which QuickBooks invoices the CMMS
  knows, which payments it has applied where).
- Bookkeeping: the watermark (``sync_watermarks``, entity ``payments``), one ``sync_runs`` row and
  one ``payment_batches`` row per run, the staged objects (``sync_staging``: entity ``Payment``,
  ``PaymentDeleted`` or ``Invoice``, ``status`` staged → published / quarantined).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.payments.extract import ExtractedBatch
from qbo_sync.payments.window import PaymentWindow
from qbo_sync.sync import store as sync_store

ENTITY = "payments"
CHUNK = 1000


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


class Cmms:
    """Read-only questions about the CMMS, answered in chunks of :data:`CHUNK` ids."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def known_invoices(self, qb_ids: Iterable[str]) -> set[str]:
        inv = schema.invoices
        found: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(qb_ids):
                found |= set(conn.execute(sa.select(inv.c.qb_id).where(inv.c.qb_id.in_(chunk))).scalars())
        return found

    def applied_invoices(self, payment_qb_ids: Iterable[str]) -> set[str]:
        return {inv for inv, _ in self._applications(payments_in=payment_qb_ids)}

    def active_payments_on(self, invoice_qb_ids: Iterable[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for inv, pay in self._applications(invoices_in=invoice_qb_ids, active_only=True):
            out.setdefault(inv, set()).add(pay)
        return out

    def _applications(
        self,
        *,
        payments_in: Iterable[str] | None = None,
        invoices_in: Iterable[str] | None = None,
        active_only: bool = False,
    ) -> list[tuple[str, str]]:
        pa, p, inv = schema.payment_applications, schema.payments, schema.invoices
        base = sa.select(inv.c.qb_id, p.c.qb_id).select_from(
            pa.join(p, pa.c.payment_id == p.c.id).join(inv, pa.c.invoice_id == inv.c.id)
        )
        if active_only:
            base = base.where(p.c.status == "active")
        column, values = (p.c.qb_id, payments_in) if payments_in is not None else (inv.c.qb_id, invoices_in)
        rows: list[tuple[str, str]] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(values or []):
                rows.extend((r[0], r[1]) for r in conn.execute(base.where(column.in_(chunk))))
        return rows


def read_watermark(engine: sa.Engine, realm_id: str) -> datetime | None:
    with engine.connect() as conn:
        return sync_store.watermark(conn, realm_id, ENTITY)


def save_watermark(conn: sa.Connection, realm_id: str, value: datetime, mode: str) -> None:
    sync_store.save_watermark(conn, realm_id, ENTITY, value, mode)


@dataclass
class BatchInfo:
    batch_id: int
    run_id: int
    realm_id: str
    window_start: datetime | None
    window_end: datetime | None
    window_kind: str
    mode: str
    status: str


def open_batch(
    engine: sa.Engine, run_key: str, realm_id: str, window: PaymentWindow, extracted: ExtractedBatch
) -> int:
    """Record the run and stage the extracted objects; returns the batch id."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        run_id = conn.execute(
            sa.insert(schema.sync_runs)
            .values(
                run_key=run_key,
                entity=ENTITY,
                direction="pull",
                started_at=now,
                status="running",
                pulled=len(extracted.payments) + len(extracted.deleted_payment_ids),
                message=f"{window.describe()} read by {extracted.mode}",
            )
            .returning(schema.sync_runs.c.id)
        ).scalar_one()
        batch_id = conn.execute(
            sa.insert(schema.payment_batches)
            .values(
                run_id=run_id,
                realm_id=realm_id,
                window_start=window.start,
                window_end=extracted.read_until,
                mode=extracted.mode,
                status="staged",
                validation={"window_kind": window.kind},
            )
            .returning(schema.payment_batches.c.id)
        ).scalar_one()
        rows = [_staged(run_id, "Payment", p) for p in extracted.payments]
        rows += [
            _staged(run_id, "PaymentDeleted", {"Id": i, "status": "Deleted"})
            for i in extracted.deleted_payment_ids
        ]
        rows += [_staged(run_id, "Invoice", i) for i in extracted.invoices]
        if rows:
            conn.execute(sa.insert(schema.sync_staging), rows)
    return batch_id


def record_unread_run(engine: sa.Engine, run_key: str, message: str) -> None:
    """A failed run that read nothing (QuickBooks unreachable, or a person must reconnect): shown on
    the QuickBooks page like any run, with no batch, so an outage is not silent in the CMMS."""
    from qbo_sync.report import record_finished_run

    record_finished_run(engine, run_key, [ENTITY], direction="pull", status="failed", message=message)


def jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON (the client reads amounts as Decimal; they are staged as exact text)."""
    return json.loads(json.dumps(obj, default=str))


def _staged(run_id: int, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
    token = obj.get("SyncToken")
    return {
        "run_id": run_id,
        "entity": entity,
        "qb_id": str(obj.get("Id")),
        "qb_sync_token": None if token is None else str(token),
        "payload": jsonable(obj),
        "status": "staged",
    }


def load_batch(engine: sa.Engine, batch_id: int) -> tuple[BatchInfo, dict[str, list[dict[str, Any]]]]:
    """The batch row and its staged payloads per staging entity (in staging order)."""
    b, st = schema.payment_batches, schema.sync_staging
    with engine.connect() as conn:
        row = conn.execute(sa.select(b).where(b.c.id == batch_id)).mappings().one()
        staged = conn.execute(
            sa.select(st.c.entity, st.c.payload).where(st.c.run_id == row["run_id"]).order_by(st.c.id)
        ).all()
    info = BatchInfo(
        batch_id=batch_id,
        run_id=row["run_id"],
        realm_id=row["realm_id"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        window_kind=(row["validation"] or {}).get("window_kind", "data_interval"),
        mode=row["mode"],
        status=row["status"],
    )
    out: dict[str, list[dict[str, Any]]] = {"Payment": [], "PaymentDeleted": [], "Invoice": []}
    for entity, payload in staged:
        out.setdefault(entity, []).append(payload)
    return info, out


def close_batch(
    conn: sa.Connection,
    info: BatchInfo,
    *,
    status: str,
    counts: dict[str, int],
    message: str,
    report: str | None = None,
    validation: dict[str, Any] | None = None,
) -> None:
    """Mark the batch, its staged rows and its run as published or quarantined."""
    now = datetime.now(UTC)
    b, st, runs = schema.payment_batches, schema.sync_staging, schema.sync_runs
    values: dict[str, Any] = {"status": status, "finished_at": now, "report": report}
    conn.execute(sa.update(b).where(b.c.id == info.batch_id).values(**values))
    if validation is not None:
        add_validation(conn, info.batch_id, "published" if status == "published" else status, validation)
    conn.execute(sa.update(st).where(st.c.run_id == info.run_id).values(status=status))
    run_status = "success" if status == "published" else "failed"
    conn.execute(
        sa.update(runs)
        .where(runs.c.id == info.run_id)
        .values(finished_at=now, status=run_status, message=message, **counts)
    )


def add_validation(conn: sa.Connection, batch_id: int, key: str, results: dict[str, Any]) -> None:
    """Keep Great Expectations results on the batch row under ``key`` (``batch``, ``published``)."""
    b = schema.payment_batches
    current = conn.execute(sa.select(b.c.validation).where(b.c.id == batch_id)).scalar_one() or {}
    merged = {**current, key: jsonable(results)}
    conn.execute(sa.update(b).where(b.c.id == batch_id).values(validation=merged))
