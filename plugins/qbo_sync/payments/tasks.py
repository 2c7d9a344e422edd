"""The Airflow-facing layer of the payment run: what each task of ``qbo_payments`` calls.

``preflight`` (migrated database, both switches, the company this CMMS is bound to) → ``stage``
(read the window from QuickBooks, stage it) → ``audit`` (Great Expectations on the staged batch) →
``publish`` (one transaction, validated again before the commit). Counts and the batch id go
through XCom, never data. A failed expectation quarantines the batch and fails the task with the
report as its message (no retry: the next run reads the window again).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

log = logging.getLogger("qbo_sync.payments")

OFF = "QuickBooks sync is switched off (qb_settings.enabled = false in the CMMS database)"
PAYMENTS_OFF = "the automatic payment sync is switched off (qb_settings.payment_sync_enabled = false)"
SKIPPED = ": no payments were read from QuickBooks. Switch it on in the CMMS settings to sync payments."


def _hook(context: dict[str, Any]) -> Any:
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    params = context.get("params") or {}
    return QuickBooksHook(
        quickbooks_conn_id=params.get("quickbooks_conn_id", "quickbooks_default"),
        cmms_conn_id=params.get("cmms_conn_id", "cmms_db"),
    )


def switch_reason(engine: sa.Engine) -> str | None:
    """Why payments must not sync now (None: they may)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT enabled, payment_sync_enabled FROM qb_settings WHERE id = 1")
        ).first()
    if row is None or not row.enabled:
        return OFF + SKIPPED
    if not row.payment_sync_enabled:
        return PAYMENTS_OFF + SKIPPED
    return None


def _ready(hook: Any) -> str:
    """Check the database and both switches; returns the realm id."""
    from qbo_sync.db.migrate import DatabaseNotMigrated, assert_migrated
    from qbo_sync.sync.tasks import bound_realms

    try:
        assert_migrated(hook.cmms_engine)
    except DatabaseNotMigrated as exc:
        raise AirflowFailException(str(exc)) from exc
    reason = switch_reason(hook.cmms_engine)
    if reason:
        log.warning(reason)
        raise AirflowSkipException(reason)
    realm = hook.settings.require_realm()
    others = [r for r in bound_realms(hook.cmms_engine) if r != realm]
    if others:
        raise AirflowFailException(
            f"this CMMS database is synced with QuickBooks company (realm) {', '.join(others)}, but the "
            f"connection `{hook.settings.conn_id}` points at realm {realm}; payments would be applied "
            "to the wrong company's invoices. Point the connection back at the original company."
        )
    return realm


def _run_key(context: dict[str, Any]) -> str:
    ti = context.get("ti") or context.get("task_instance")
    if ti is None:
        return "manual"
    return f"{ti.dag_id}/{ti.run_id}/{ti.task_id}/try{getattr(ti, 'try_number', 1)}"


def preflight(context: dict[str, Any]) -> dict[str, Any]:
    realm = _ready(_hook(context))
    return {"realm_id": realm}


def _window(context: dict[str, Any], watermark: Any) -> Any:
    from qbo_sync.payments.window import plan_window

    dag_run = context.get("dag_run")
    run_type = str(
        getattr(getattr(dag_run, "run_type", None), "value", getattr(dag_run, "run_type", "manual"))
    )
    try:
        return plan_window(
            run_type=run_type,
            choice=str((context.get("params") or {}).get("window") or "auto"),
            interval_start=context.get("data_interval_start"),
            interval_end=context.get("data_interval_end"),
            watermark=watermark,
        )
    except ValueError as exc:
        raise AirflowFailException(str(exc)) from exc


def stage(context: dict[str, Any]) -> dict[str, Any]:
    """Read the run's window from QuickBooks and stage it; returns the batch id and counts."""
    from qbo_sync.payments.extract import PaymentExtract
    from qbo_sync.payments.store import Cmms, open_batch, read_watermark
    from qbo_sync.qbo.errors import FatalError, ReconnectNeeded

    hook = _hook(context)
    realm = _ready(hook)
    window = _window(context, read_watermark(hook.cmms_engine, realm))
    try:
        extracted = PaymentExtract(hook.get_conn(), Cmms(hook.cmms_engine), window).run()
    except (ReconnectNeeded, FatalError) as exc:
        raise AirflowFailException(f"payments: {exc}") from exc
    batch_id = open_batch(hook.cmms_engine, _run_key(context), realm, window, extracted)
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


def audit(staged: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Validate the staged batch; quarantine it (and fail) when an expectation fails."""
    from qbo_sync.payments.audit import validate
    from qbo_sync.payments.frames import batch_frames
    from qbo_sync.payments.prepare import prepare
    from qbo_sync.payments.store import add_validation, load_batch
    from qbo_sync.payments.suites import BATCH_CHECKS

    hook = _hook(context)
    _ready(hook)
    info, payloads = load_batch(hook.cmms_engine, staged["batch_id"])
    with hook.cmms_engine.connect() as conn:
        prepared = prepare(conn, payloads)
    result = validate(batch_frames(prepared), BATCH_CHECKS, "payments_batch")
    if not result.success:
        _quarantine(hook.cmms_engine, info, "before publishing", result, len(prepared.payments))
    with hook.cmms_engine.begin() as conn:
        add_validation(conn, info.batch_id, "batch", result.results)
    log.info("payments: batch %s passed %d expectations", info.batch_id, len(BATCH_CHECKS))
    return {
        "batch_id": info.batch_id,
        "payments": len(prepared.payments),
        "not_applicable": len(prepared.not_applied),
    }


def publish(audited: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Publish the audited batch in one transaction and move the watermark."""
    from qbo_sync.payments.prepare import prepare
    from qbo_sync.payments.publish import PublishRejected
    from qbo_sync.payments.publish import publish as apply_batch
    from qbo_sync.payments.store import close_batch, load_batch, read_watermark, save_watermark
    from qbo_sync.payments.window import PaymentWindow, next_watermark

    hook = _hook(context)
    realm = _ready(hook)
    engine = hook.cmms_engine
    info, payloads = load_batch(engine, audited["batch_id"])
    mark = read_watermark(engine, realm)
    try:
        with engine.begin() as conn:
            prepared = prepare(conn, payloads)
            counts, result = apply_batch(conn, prepared, info.window_end)
            for note in counts.notes:
                log.info(note)
            for n in prepared.not_applied:
                log.warning("payment %s: %s (%s)", n.payment_qb_id, n.reason, n.amount)
            message = (
                f"{len(prepared.payments)} payment(s): {counts.created} new, {counts.updated} changed, "
                f"{counts.unchanged} unchanged; {counts.skipped} line(s) not applicable; "
                f"{counts.invoices} invoice(s) re-derived"
            )
            run_counts = {**counts.as_run(), "pulled": len(prepared.payments), "failed": 0}
            close_batch(
                conn, info, status="published", counts=run_counts, message=message, validation=result.results
            )
            window = PaymentWindow(info.window_start, info.window_end, info.window_kind)
            new_mark = next_watermark(mark, window, info.window_end) if info.window_end else mark
            if new_mark is not None and new_mark != mark:
                save_watermark(conn, realm, new_mark, info.mode)
    except PublishRejected as exc:
        _quarantine(
            engine, info, "after publishing (rolled back)", exc.audit, len(payloads.get("Payment", []))
        )
    log.info("payments: batch %s published: %s", info.batch_id, message)
    return {"batch_id": info.batch_id, **run_counts, "invoices": counts.invoices}


def _quarantine(engine: sa.Engine, info: Any, stage_name: str, result: Any, size: int) -> None:
    from qbo_sync.payments.report import quarantine_report
    from qbo_sync.payments.store import close_batch

    window = f"{info.window_kind} window from {info.window_start} to {info.window_end}"
    report = quarantine_report(info.batch_id, window, stage_name, result)
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
    raise AirflowFailException(report)
