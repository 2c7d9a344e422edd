"""The last task of a sync DAG run: make the run's outcome visible in Airflow's grid.

- Records failed (the others were synced): the task fails with how many failed, in which entity,
  and where to read why, so the run does not look like a clean success.
- QuickBooks Enabled is switched off: the task is skipped with the reason as its first log line.
- A dry run only reports: its would-be failures are logged, the task succeeds.

And the task that runs only when ``preflight`` skipped a run because a switch is off
(:func:`say_switched_off`, trigger rule ``all_skipped``): labelled "Switched off in QuickBooks
settings", it is the one green box of such a run in the grid, so the grid itself says why nothing
ran; its first log line and its XCom give the reason, and a full sync records it per entity in
``sync_runs`` (status ``skipped``, shown on the QuickBooks page and in the run's QuickBooks tab).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def _hook(context: dict[str, Any]):
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    params = context.get("params") or {}
    return QuickBooksHook(
        quickbooks_conn_id=params.get("quickbooks_conn_id", "quickbooks_default"),
        cmms_conn_id=params.get("cmms_conn_id", "cmms_db"),
    )


def check_run(context: dict[str, Any]) -> dict[str, Any]:
    """Fail visibly when records failed; skip with the reason when the switch is off."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from qbo_sync.report import failed_records_message, run_report
    from qbo_sync.sync.tasks import SWITCHED_OFF, sync_enabled

    ti = context["ti"]
    engine = _hook(context).cmms_engine
    if not sync_enabled(engine):
        log.warning(SWITCHED_OFF)
        raise AirflowSkipException(SWITCHED_OFF)
    report = run_report(engine, ti.dag_id, ti.run_id)
    for entity in report.entities:
        log.info("%s (%s): %s", entity["entity"], entity["status"], entity["directions"] or "no counts")
    for error in report.errors[:25]:
        log.warning("%s #%s: %s", error.entity, error.cmms_id, error.message)
    message = failed_records_message(report)
    dry = bool((context.get("params") or {}).get("dry_run"))
    if message and not dry:
        raise AirflowFailException(message)
    if message:
        log.warning("dry run: %s", message)
    return {"failed": report.failed, "entities": [e["entity"] for e in report.entities]}


def switch_reason(dag_id: str, engine: Any) -> str | None:
    """Why a run of ``dag_id`` is switched off, in words; None when its switches are on."""
    if dag_id == "qbo_payments":
        from qbo_sync.payments.tasks import switch_reason as payments_reason

        return payments_reason(engine)
    from qbo_sync.sync.tasks import SWITCHED_OFF, sync_enabled

    return None if sync_enabled(engine) else SWITCHED_OFF


def say_switched_off(context: dict[str, Any]) -> dict[str, str]:
    """The reason a run was switched off, as the run's one green box (module docstring)."""
    from airflow.sdk.exceptions import AirflowSkipException

    from qbo_sync.report import record_skipped

    ti = context["ti"]
    engine = _hook(context).cmms_engine
    reason = switch_reason(ti.dag_id, engine)
    if reason is None:
        raise AirflowSkipException(
            "the QuickBooks switches are on now: preflight's log says why it skipped this run"
        )
    log.warning(reason)
    entities = list((context.get("params") or {}).get("entities") or [])
    if ti.dag_id == "qbo_full_sync":
        key = f"{ti.dag_id}/{ti.run_id}/{ti.task_id}/try{getattr(ti, 'try_number', 1)}"
        record_skipped(engine, key, entities, reason)
    return {"reason": reason}
