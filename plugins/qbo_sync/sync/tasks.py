"""The Airflow-facing layer of the sync: what each task of ``qbo_full_sync`` calls.

Thin on purpose: it reads the run's params and the connections, checks the database and the
``qb_settings.enabled`` switch, then hands one entity to :class:`~qbo_sync.sync.runner.EntitySync`
and returns its counts (counts, never data, go through XCom).

``check_changes`` runs once before the entities (:mod:`qbo_sync.sync.pull.changes`): it returns which
entities have nothing to read (names and the check's server time, never data); each entity task
takes that verdict from XCom.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

log = logging.getLogger(__name__)

SWITCHED_OFF = (
    "QuickBooks sync is switched off (qb_settings.enabled = false in the CMMS database): nothing was "
    "read from or sent to QuickBooks. Switch 'QuickBooks Enabled' on to sync."
)


def _hook(context: dict[str, Any]):
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    params = context.get("params") or {}
    return QuickBooksHook(
        quickbooks_conn_id=params.get("quickbooks_conn_id", "quickbooks_default"),
        cmms_conn_id=params.get("cmms_conn_id", "cmms_db"),
    )


def sync_enabled(engine: sa.Engine) -> bool:
    """The "QuickBooks Enabled" switch."""
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT enabled FROM qb_settings WHERE id = 1")).scalar_one_or_none()
    return bool(value)


def bound_realms(engine: sa.Engine) -> list[str]:
    """The QuickBooks companies (realms) this CMMS database has already synced with."""
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT DISTINCT realm_id FROM sync_watermarks")).scalars())


def _check_ready(hook) -> None:
    from qbo_sync.db.migrate import DatabaseNotMigrated, assert_migrated

    try:
        assert_migrated(hook.cmms_engine)
    except DatabaseNotMigrated as exc:
        raise AirflowFailException(str(exc)) from exc
    if not sync_enabled(hook.cmms_engine):
        raise AirflowSkipException(SWITCHED_OFF)
    realm = hook.settings.require_realm()
    others = [r for r in bound_realms(hook.cmms_engine) if r != realm]
    if others:  # QB ids of two companies would be mixed up in one CMMS
        raise AirflowFailException(
            f"this CMMS database is synced with QuickBooks company (realm) {', '.join(others)}, but the "
            f"connection `{hook.settings.conn_id}` points at realm {realm}. Syncing would link records "
            "of one company to the other's ids. Point the connection back at the original company, or "
            "use a fresh CMMS database for this one."
        )


def preflight(context: dict[str, Any]) -> dict[str, Any]:
    """Refuse an unmigrated database, honour the switch, check the connection has a realm."""
    hook = _hook(context)
    _check_ready(hook)
    realm_id = hook.settings.require_realm()
    entities = list((context.get("params") or {}).get("entities") or [])
    log.info(
        "QuickBooks realm %s (%s); entities: %s", realm_id, hook.settings.environment, ", ".join(entities)
    )
    return {"realm_id": realm_id, "entities": entities}


def _run_key(context: dict[str, Any]) -> str:
    ti = context.get("ti") or context.get("task_instance")
    if ti is None:
        return "manual"
    # The try number makes every attempt a new QBO request (a retry must not be answered with the
    # faults QBO remembered for the previous attempt's requestid); duplicates are still prevented by
    # the natural-key lookup before every create.
    return f"{ti.dag_id}/{ti.run_id}/{ti.task_id}/try{getattr(ti, 'try_number', 1)}"


CHECK_TASK = "check_changes"


def check_changes(context: dict[str, Any]) -> dict[str, Any]:
    """One change check for the run's entities: ``{"verdicts": {entity: Verdict.as_xcom()}}``.

    A check QuickBooks cannot answer is no reason to stop the sync: every entity then reads its
    changes itself (and meets the same problem there, with its own message)."""
    from qbo_sync.mapping import load_mappings
    from qbo_sync.qbo.errors import QBOError
    from qbo_sync.sync.pull.changes import check_changes as check

    params = context.get("params") or {}
    if params.get("full_refresh"):
        return {"verdicts": {}}
    hook = _hook(context)
    _check_ready(hook)
    try:
        verdicts = check(
            load_mappings(),
            hook.get_conn(),
            hook.cmms_engine,
            realm_id=hook.settings.require_realm(),
            entities=list(params.get("entities") or []),
            now=datetime.now(UTC),
        )
    except QBOError as exc:
        log.warning("change check failed (%s); every entity reads its changes itself", exc)
        return {"verdicts": {}}
    return {"verdicts": {entity: v.as_xcom() for entity, v in verdicts.items()}}


def _verdict(entity: str, context: dict[str, Any]):
    """The change check's verdict for ``entity`` in this DAG run (None: read and look up as usual)."""
    from qbo_sync.sync.pull.changes import Verdict

    ti = context.get("ti") or context.get("task_instance")
    answer = ti.xcom_pull(task_ids=CHECK_TASK) if ti is not None else None
    verdicts = answer.get("verdicts") if isinstance(answer, dict) else None
    return Verdict.from_xcom(verdicts.get(entity)) if isinstance(verdicts, dict) else None


def _selected(entity: str, context: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The run's params and a ready hook; skips the task when ``entity`` is not in this run."""
    params = context.get("params") or {}
    selected = params.get("entities") or []
    if entity not in selected:
        raise AirflowSkipException(
            f"`{entity}` is not in this run's `entities` param ({', '.join(selected)})"
        )
    hook = _hook(context)
    _check_ready(hook)
    return params, hook


def sync_entity(entity: str, context: dict[str, Any]) -> dict[str, int]:
    """Sync one entity per its mapping file and return the run's counts."""
    from qbo_sync.mapping import load_mappings
    from qbo_sync.qbo.errors import FatalError, ReconnectNeeded
    from qbo_sync.sync.runner import EntitySync

    params, hook = _selected(entity, context)
    mapping = load_mappings()[entity]
    try:
        counts = EntitySync(
            mapping,
            hook.get_conn(),
            hook.cmms_engine,
            realm_id=hook.settings.require_realm(),
            run_key=_run_key(context),
            dry_run=bool(params.get("dry_run")),
            full_refresh=bool(params.get("full_refresh")),
            checked=_verdict(entity, context),
        ).run()
    except (ReconnectNeeded, FatalError) as exc:  # a person must act; retrying cannot help
        raise AirflowFailException(f"{entity}: {exc}") from exc
    result = counts.as_dict() if hasattr(counts, "as_dict") else dict(vars(counts))
    summary = ", ".join(f"{k}={v}" for k, v in result.items())
    if result.get("failed"):
        log.warning(
            "%s: %s. Failed records are listed in sync_record_errors with the reason.", entity, summary
        )
    else:
        log.info("%s: %s", entity, summary)
    return result


def push_transactions(entity: str, context: dict[str, Any]) -> dict[str, Any]:
    """Push one transaction mapping (invoices, bills, expenses) to QuickBooks; return its counts by
    direction and outcome ("created in QuickBooks", "waiting for a reference", ...)."""
    from qbo_sync.mapping import load_mappings
    from qbo_sync.qbo.errors import FatalError, ReconnectNeeded
    from qbo_sync.sync.push.txn import SettingsMissing, TransactionPush, describe, outcome_counts

    params, hook = _selected(entity, context)
    dry_run = bool(params.get("dry_run"))
    try:
        counts = TransactionPush(
            load_mappings()[entity],
            hook.get_conn(),
            hook.cmms_engine,
            realm_id=hook.settings.require_realm(),
            run_key=_run_key(context),
            dry_run=dry_run,
        ).run()
    except (SettingsMissing, ReconnectNeeded, FatalError) as exc:  # a person must act first
        raise AirflowFailException(f"{entity}: {exc}") from exc
    log.info("%s%s (CMMS → QuickBooks): %s", "[dry run] " if dry_run else "", entity, describe(counts))
    return {"direction": "CMMS → QuickBooks", "dry_run": dry_run, **outcome_counts(counts)}
