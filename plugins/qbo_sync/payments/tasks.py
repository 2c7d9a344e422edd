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


class PaymentsNotRead(Exception):
    """QuickBooks could not be read (unreachable, 5xx, throttled past the retries): Airflow retries."""


def _last_try(context: dict[str, Any]) -> bool:
    ti = context.get("ti") or context.get("task_instance")
    if ti is None:
        return True
    return int(getattr(ti, "try_number", 1) or 1) > int(getattr(ti, "max_tries", 0) or 0)


def not_read_message(window: Any, watermark: Any, exc: Exception, next_step: str) -> str:
    """What a person reads when a run could not read QuickBooks: the window, the cause, that
    nothing was applied, where the watermark stays, and what happens next."""
    mark = watermark.isoformat() if watermark is not None else "(none yet)"
    return (
        f"payments: QuickBooks could not be read for the {window.describe()}: {exc}. Nothing was "
        f"staged or applied to the CMMS; the payment watermark stays at {mark}. {next_step}"
    )


def stage(context: dict[str, Any]) -> dict[str, Any]:
    """Read the run's window from QuickBooks and stage it; returns the batch id and counts.

    QuickBooks unreachable: the task fails (Airflow retries it) with a message naming the window;
    the last try also records a failed run in the CMMS (``sync_runs``). Nothing is staged, the
    watermark does not move, so the next scheduled run (or a backfill of the window) reads it again.
    """
    from qbo_sync.payments.run import stage_window
    from qbo_sync.payments.store import read_watermark, record_unread_run
    from qbo_sync.qbo.errors import FatalError, QBOError, ReconnectNeeded

    hook = _hook(context)
    realm = _ready(hook)
    mark = read_watermark(hook.cmms_engine, realm)
    window = _window(context, mark)
    run_key = _run_key(context)
    try:
        return stage_window(hook.cmms_engine, hook.get_conn(), realm, window, run_key)
    except (ReconnectNeeded, FatalError) as exc:  # a person must act; retrying cannot help
        message = not_read_message(window, mark, exc, "A person must act (see above); no retry.")
        record_unread_run(hook.cmms_engine, run_key, message)
        raise AirflowFailException(message) from exc
    except QBOError as exc:
        last = _last_try(context)
        next_step = (
            "The next scheduled run reads from the watermark again; to re-read exactly this window, "
            "re-run it (airflow backfill create)."
            if last
            else "Airflow retries this task."
        )
        message = not_read_message(window, mark, exc, next_step)
        if last:
            record_unread_run(hook.cmms_engine, run_key, message)
        log.error(message)
        raise PaymentsNotRead(message) from exc


def audit(staged: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Validate the staged batch; a failed expectation quarantines it and fails the task."""
    from qbo_sync.payments.run import BatchQuarantined, audit_batch

    hook = _hook(context)
    _ready(hook)
    try:
        return audit_batch(hook.cmms_engine, staged["batch_id"])
    except BatchQuarantined as exc:
        raise AirflowFailException(exc.report) from None


def publish(audited: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Publish the audited batch in one transaction and move the watermark."""
    from qbo_sync.payments.run import BatchQuarantined, publish_batch

    hook = _hook(context)
    realm = _ready(hook)
    try:
        return publish_batch(hook.cmms_engine, realm, audited["batch_id"])
    except BatchQuarantined as exc:
        raise AirflowFailException(exc.report) from None
