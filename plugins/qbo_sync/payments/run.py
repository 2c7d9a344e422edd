"""One payment run without Airflow: stage a window, audit the batch, publish it.

:mod:`qbo_sync.payments.tasks` calls these from the DAG's tasks (and turns :class:`BatchQuarantined`
into a failed task); the benchmark calls them directly.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from qbo_sync.payments.audit import AuditResult, validate
from qbo_sync.payments.docs import write_data_docs
from qbo_sync.payments.docs_retention import prune_data_docs
from qbo_sync.payments.extract import PaymentExtract
from qbo_sync.payments.frames import batch_frames
from qbo_sync.payments.lock import publish_lock
from qbo_sync.payments.prepare import prepare
from qbo_sync.payments.publish import PublishRejected
from qbo_sync.payments.publish import publish as apply_batch
from qbo_sync.payments.report import quarantine_report
from qbo_sync.payments.store import (
    BatchInfo,
    Cmms,
    add_validation,
    close_batch,
    load_batch,
    open_batch,
    read_watermark,
    save_watermark,
)
from qbo_sync.payments.suites import BATCH_CHECKS
from qbo_sync.payments.window import PaymentWindow, next_watermark
from qbo_sync.qbo.client import QBOClient

log = logging.getLogger("qbo_sync.payments")


class BatchQuarantined(Exception):
    """A batch failed an expectation; ``report`` says which payment, which expectation, which values."""

    def __init__(self, batch_id: int, report: str) -> None:
        super().__init__(report)
        self.batch_id = batch_id
        self.report = report


def stage_window(
    engine: sa.Engine, client: QBOClient, realm: str, window: PaymentWindow, run_key: str
) -> dict[str, Any]:
    """Read ``window`` from QuickBooks and stage it; returns the batch id and what was read."""
    extracted = PaymentExtract(client, Cmms(engine), window).run()
    batch_id = open_batch(engine, run_key, realm, window, extracted)
    summary = {
        "batch_id": batch_id,
        "window": window.describe(),
        "mode": extracted.mode,
        "requests": extracted.requests,
        "payments": len(extracted.payments),
        "deleted": len(extracted.deleted_payment_ids),
        "invoices": len(extracted.invoices),
        "later": extracted.later,
    }
    log.info("payments: staged batch %s", summary)
    return summary


def audit_batch(engine: sa.Engine, batch_id: int) -> dict[str, Any]:
    """Validate the staged batch; quarantines it and raises :class:`BatchQuarantined` on failure."""
    info, payloads = load_batch(engine, batch_id)
    with engine.connect() as conn:
        prepared = prepare(conn, payloads)
    result = validate(batch_frames(prepared), BATCH_CHECKS, "payments_batch")
    docs = write_data_docs(info.batch_id, "before publishing", result)
    if not result.success:
        quarantine(engine, info, "before publishing", result, len(prepared.payments), docs)
    with engine.begin() as conn:
        add_validation(conn, info.batch_id, "batch", result.results)
        if docs:
            add_validation(conn, info.batch_id, "data_docs", docs)
    log.info("payments: batch %s passed %d expectations", info.batch_id, len(BATCH_CHECKS))
    return {
        "batch_id": info.batch_id,
        "payments": len(prepared.payments),
        "not_applicable": len(prepared.not_applied),
    }


def publish_batch(engine: sa.Engine, realm: str, batch_id: int) -> dict[str, Any]:
    """Publish the audited batch in one transaction and move the watermark (see :mod:`.publish`).

    One publish per realm at a time (:func:`~qbo_sync.payments.lock.publish_lock`): a backfill
    beside a scheduled run waits for the other's commit, then publishes against it."""
    with publish_lock(engine, realm, batch_id):
        return _publish(engine, realm, batch_id)


def _publish(engine: sa.Engine, realm: str, batch_id: int) -> dict[str, Any]:
    info, payloads = load_batch(engine, batch_id)
    mark = read_watermark(engine, realm)
    try:
        with engine.begin() as conn:
            prepared = prepare(conn, payloads)
            counts, result = apply_batch(conn, prepared, info.window_end)
            for note in counts.notes:
                log.info(note)
            for n in prepared.not_applied:
                log.warning("payment %s: %s (%s)", n.payment_qb_id, n.reason, n.amount)
            read = len(prepared.payments) + counts.superseded
            message = (
                f"{read} payment(s): {counts.created} new, {counts.updated} changed, "
                f"{counts.unchanged} unchanged, {counts.superseded} superseded by a newer version; "
                f"{counts.skipped} line(s) not applicable; "
                f"{counts.invoices} invoice(s) re-derived"
            )
            run_counts = {**counts.as_run(), "pulled": read, "failed": 0}
            close_batch(
                conn,
                info,
                status="published",
                counts=run_counts,
                message=message,
                report="\n".join(counts.notes) or None,  # what a person should know, kept with the batch
                validation=result.results,
            )
            window = PaymentWindow(info.window_start, info.window_end, info.window_kind)
            new_mark = next_watermark(mark, window, info.window_end) if info.window_end else mark
            if new_mark is not None and new_mark != mark:
                save_watermark(conn, realm, new_mark, info.mode)
    except PublishRejected as exc:
        stage_name = "after publishing (rolled back)"
        docs = write_data_docs(info.batch_id, "after publishing", exc.audit)
        quarantine(engine, info, stage_name, exc.audit, len(payloads.get("Payment", [])), docs)
    docs = write_data_docs(info.batch_id, "after publishing", result)
    if docs:
        with engine.begin() as conn:
            add_validation(conn, info.batch_id, "data_docs", docs)
        log.info("payments: batch %s Great Expectations Data Docs: %s", info.batch_id, docs["index"])
    log.info("payments: batch %s published: %s", info.batch_id, message)
    prune_data_docs()  # the end of the run: old Data Docs go
    return {"batch_id": info.batch_id, **run_counts, "invoices": counts.invoices}


def quarantine(
    engine: sa.Engine,
    info: BatchInfo,
    stage_name: str,
    result: AuditResult,
    size: int,
    docs: dict[str, Any] | None = None,
) -> None:
    """Mark the batch quarantined with its report, then raise :class:`BatchQuarantined`."""
    window = f"{info.window_kind} window from {info.window_start} to {info.window_end}"
    report = quarantine_report(info.batch_id, window, stage_name, result, docs)
    with engine.begin() as conn:
        close_batch(
            conn,
            info,
            status="quarantined",
            counts={"failed": size},
            message=report,
            report=report,
            validation=result.results,
        )
    log.error(report)
    prune_data_docs()  # the end of the run: old Data Docs go
    raise BatchQuarantined(info.batch_id, report)
