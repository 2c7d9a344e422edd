"""The Airflow-facing layer of ``qbo_reconcile``: params in, one reconciliation, a summary out.

The run fails visibly (after recording every difference) when differences above the tolerance
remain, with the total at stake and where to look; its return value (the summary) is the run's
report in XCom: counts compared, differences per check, the Great Expectations result.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)


def _as_of(context: dict[str, Any]) -> date:
    raw = str((context.get("params") or {}).get("as_of") or "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise AirflowFailException(f"param `as_of` must be a date as YYYY-MM-DD, got {raw!r}") from None
    logical = context.get("logical_date")
    return logical.date() if logical is not None else date.today()


def _tolerance(context: dict[str, Any]) -> Decimal:
    raw = (context.get("params") or {}).get("tolerance", "0.00")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise AirflowFailException(f"param `tolerance` must be an amount, got {raw!r}") from None
    if value < 0:
        raise AirflowFailException(f"param `tolerance` must not be negative, got {value}")
    return value


def reconcile_books(context: dict[str, Any]) -> dict[str, Any]:
    """Reconcile the CMMS with QuickBooks; fail when differences above the tolerance remain."""
    from qbo_sync.hooks.quickbooks import QuickBooksHook
    from qbo_sync.qbo.errors import FatalError, ReconnectNeeded
    from qbo_sync.reconcile.run import SCOPES, reconcile

    params = context.get("params") or {}
    hook = QuickBooksHook(
        quickbooks_conn_id=params.get("quickbooks_conn_id", "quickbooks_default"),
        cmms_conn_id=params.get("cmms_conn_id", "cmms_db"),
    )
    scope = list(params.get("scope") or SCOPES)
    tolerance = _tolerance(context)
    ti = context.get("ti")
    try:
        summary = reconcile(
            hook.cmms_engine,
            hook.get_conn(),
            hook.settings.require_realm(),
            as_of=_as_of(context),
            scope=scope,
            tolerance=tolerance,
            run_id=getattr(ti, "run_id", None) or "manual",
            heal=bool(params.get("heal", True)),
        )
    except (ReconnectNeeded, FatalError) as exc:
        raise AirflowFailException(f"reconciliation: {exc}") from exc
    opened = summary["open"]
    log.info(
        "reconciled as of %s (%s): %s differences, %s at stake, %s healed; open in sync_drift: %s "
        "(oldest since %s)",
        summary["as_of"],
        ", ".join(summary["scope"]),
        summary["differences"],
        summary["at_stake"],
        summary["healed"],
        opened["open"],
        opened["oldest_open_since"],
    )
    if not summary["validation"]["success"]:
        above = ", ".join(f"{k}: {v}" for k, v in summary["validation"]["above_tolerance"].items())
        raise AirflowFailException(
            f"the CMMS and QuickBooks disagree above the tolerance of {tolerance}: {above}; "
            f"{summary['at_stake']} at stake. Each difference, its cause and both values are in the "
            "`sync_drift` table and on the QuickBooks page (/qbo/report)."
        )
    return summary
