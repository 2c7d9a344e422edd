"""Validate payment frames with Great Expectations (1.x, ephemeral context, pandas datasource).

:func:`validate` runs the :mod:`~qbo_sync.payments.suites` checks on their frames and returns an
:class:`AuditResult`: success, the failed checks with the offending rows (for the quarantine
report), and the validation results as JSON (kept on the ``payment_batches`` row).
Great Expectations and pandas are imported here, inside the task that validates.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from qbo_sync.expectations import quiet_context
from qbo_sync.payments.suites import Check

log = logging.getLogger("qbo_sync.payments")

KEYS = {
    "payments": ["payment"],
    "applications": ["payment", "invoice"],
    "invoices": ["invoice", "invoice_number"],
}
MONEY = {
    "total_amount",
    "unapplied_amount",
    "applied_amount",
    "credit_amount",
    "amount_with_credits",
    "amount",
    "total",
    "total_allowed",
    "paid_amount",
    "balance",
    "qbo_balance",
    "qbo_paid",
    "paid_plus_balance",
}


@dataclass
class Finding:
    check: str
    expectation: str
    frame: str
    rows: list[dict[str, str]] = field(default_factory=list)
    unexpected: int = 0


@dataclass
class AuditResult:
    success: bool
    findings: list[Finding] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    # Great Expectations' own objects by suite name, for the Data Docs (:mod:`.docs`); not stored
    validations: dict[str, Any] = field(default_factory=dict, repr=False)
    suites: dict[str, Any] = field(default_factory=dict, repr=False)


def show(column: str, value: Any) -> str:
    """A frame value as a person reads it (money in dollars and cents)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(missing)"
    if column in MONEY:
        return f"{float(value) / 100:.2f}"
    return str(value)


def _columns(check: Check) -> list[str]:
    kw = check.kwargs
    cols = [kw[k] for k in ("column", "column_A", "column_B") if k in kw]
    return cols + list(kw.get("column_list", []))


def _rows(check: Check, frame: Any, result: dict[str, Any]) -> list[dict[str, str]]:
    index = result.get("unexpected_index_list") or []
    cols = list(dict.fromkeys(KEYS.get(check.frame, []) + _columns(check)))
    rows = []
    for i in index:
        at = i.get("index", i) if isinstance(i, dict) else i
        if at in frame.index:
            rows.append({c: show(c, frame.at[at, c]) for c in cols if c in frame.columns})
    return rows


def validate(frames: dict[str, Any], checks: tuple[Check, ...], suite: str) -> AuditResult:
    """Run ``checks`` on ``frames`` (empty frames pass without starting Great Expectations)."""
    wanted = {c.frame for c in checks if len(frames.get(c.frame, [])) > 0}
    if not wanted:
        return AuditResult(True)
    import great_expectations as gx

    ctx = quiet_context()
    source = ctx.data_sources.add_pandas(f"{suite}_source")
    out = AuditResult(True)
    for name in sorted(wanted):
        mine = [c for c in checks if c.frame == name]
        gx_suite = ctx.suites.add(gx.ExpectationSuite(name=f"{suite}.{name}"))
        by_id = {}
        for check in mine:
            # the check's name as the description: Data Docs show it in the report's words
            expectation = getattr(gx.expectations, check.expectation)(
                **check.kwargs, description=f"{check.name} ({check.expectation})"
            )
            added = gx_suite.add_expectation(expectation)
            by_id[added.id] = check
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
        frame = frames[name]
        validation = batch.get_batch(batch_parameters={"dataframe": frame}).validate(
            gx_suite, result_format={"result_format": "COMPLETE"}
        )
        out.results[name] = validation.to_json_dict()
        out.validations[gx_suite.name], out.suites[gx_suite.name] = validation, gx_suite
        for res in validation.results:
            if res.success:
                continue
            check = by_id[res.expectation_config.id]
            out.success = False
            detail = res.result or {}
            count = int(detail.get("unexpected_count") or 0)
            if res.exception_info and res.exception_info.get("raised_exception"):
                log.error(
                    "expectation %s raised: %s", check.name, res.exception_info.get("exception_message")
                )
            out.findings.append(
                Finding(check.name, check.expectation, name, _rows(check, frame, detail), count)
            )
    return out
