"""One reconciliation of a CMMS database against its QuickBooks company (see the package docstring).

Requests: one page per 1000 objects of each transaction entity in scope, plus one per report; never
one per record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from qbo_sync.qbo.client import QBOClient
from qbo_sync.reconcile import cmms_side
from qbo_sync.reconcile import compare as cmp
from qbo_sync.reconcile.checks import validate_drifts
from qbo_sync.reconcile.heal import heal_balances
from qbo_sync.reconcile.report_table import parse_report
from qbo_sync.reconcile.store import open_summary, record_drifts

log = logging.getLogger("qbo_sync.reconcile")

SCOPES = ("invoices", "bills", "expenses", "customer_balances", "vendor_balances", "aging", "trial_balance")
KINDS = {"invoices": cmp.INVOICE, "bills": cmp.BILL, "expenses": cmp.JOURNAL}
# check-name prefixes each scope owns (what a run may resolve when it no longer sees them)
CHECKS = {
    "invoices": "invoice.",
    "bills": "bill.",
    "expenses": "journalentry.",
    "customer_balances": "customer_balance",
    "vendor_balances": "vendor_balance",
    "aging": "aging",
    "trial_balance": "trial_balance",
}

CMMS_SQL = {
    "invoices": (
        "SELECT i.*, c.qb_id AS customer_qb_id FROM invoices i LEFT JOIN customers c ON c.id = i.customer_id"
    ),
    "bills": (
        "SELECT b.*, v.qb_id AS vendor_qb_id FROM purchase_invoices b "
        "LEFT JOIN vendors v ON v.id = b.vendor_id"
    ),
    "expenses": "SELECT * FROM expenses",
}


@dataclass
class Reconciliation:
    """What one run compared and found."""

    as_of: date
    scope: list[str]
    drifts: list[cmp.Drift] = field(default_factory=list)
    healed: list[cmp.Drift] = field(default_factory=list)
    compared: dict[str, int] = field(default_factory=dict)


def _cmms_rows(engine: sa.Engine, scope: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(CMMS_SQL[scope])).mappings()]


def _qbo_objects(client: QBOClient, entity: str) -> dict[str, dict[str, Any]]:
    return {str(o["Id"]): o for page in client.iter_pages(entity) for o in page}


def _names(engine: sa.Engine, table: str) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT qb_id, display_name FROM {table} WHERE qb_id IS NOT NULL"))
        return {str(q): str(n) for q, n in rows}


def compare_transactions(engine: sa.Engine, client: QBOClient, rec: Reconciliation) -> dict[str, Any]:
    """Record-level comparisons; returns what the balance checks reuse (rows and objects per scope)."""
    seen: dict[str, Any] = {}
    for scope in ("invoices", "bills", "expenses"):
        if scope not in rec.scope and not (scope == "invoices" and "customer_balances" in rec.scope):
            continue
        kind = KINDS[scope]
        rows, objs = _cmms_rows(engine, scope), _qbo_objects(client, kind.entity)
        seen[scope] = (rows, objs)
        if scope in rec.scope:
            rec.drifts += cmp.compare_linked(kind, rows, objs)
            rec.drifts += cmp.compare_unlinked(kind, objs, {str(r["qb_id"]) for r in rows if r.get("qb_id")})
            rec.compared[scope] = len(rows)
    return seen


def compare_reports(engine: sa.Engine, client: QBOClient, rec: Reconciliation, seen: dict[str, Any]) -> None:
    """Party balances, aging and the trial balance against QuickBooks' reports, as of ``rec.as_of``."""
    params = {"report_date": rec.as_of.isoformat()}
    if "customer_balances" in rec.scope:
        rows, objs = seen["invoices"]
        with engine.connect() as conn:
            mine = cmms_side.customer_balances(conn, rec.as_of)
        party_of = {str(r["qb_id"]): str(r["customer_qb_id"]) for r in rows if r.get("qb_id")}
        explained = cmp.explained_parties(rec.drifts, party_of) | _unlinked_parties(
            rec.drifts, objs, "CustomerRef"
        )
        report = parse_report(client.report("CustomerBalance", params))
        rec.drifts += cmp.compare_balances(
            "customer_balance", "customer", mine, report, _names(engine, "customers"), explained,
            "invoices or payments in QuickBooks the CMMS does not know",
        )  # fmt: skip
        rec.compared["customer_balances"] = len(report.rows)
    if "vendor_balances" in rec.scope:
        bill_rows, bills = seen.get("bills") or (_cmms_rows(engine, "bills"), _qbo_objects(client, "Bill"))
        known = {str(r["qb_id"]) for r in bill_rows if r.get("qb_id")}
        linked = [
            {"vendor": b["VendorRef"]["value"], "balance": b.get("Balance")}
            for i, b in bills.items()
            if i in known
        ]
        report = parse_report(client.report("VendorBalance", params))
        rec.drifts += cmp.compare_balances(
            "vendor_balance", "vendor", cmp.totals_by_party(linked, "vendor", "balance"), report,
            _names(engine, "vendors"), set(), "bills or bill payments in QuickBooks the CMMS does not know",
        )  # fmt: skip
        rec.compared["vendor_balances"] = len(report.rows)
    if "aging" in rec.scope:
        with engine.connect() as conn:
            buckets = cmp.aging_buckets(cmms_side.open_invoices(conn, rec.as_of), rec.as_of)
            unapplied = cmms_side.unapplied_total(conn, rec.as_of)
        report = parse_report(client.report("AgedReceivables", params))
        rec.drifts += cmp.compare_aging(buckets, unapplied, report)
        rec.compared["aging"] = len(report.rows)
    if "trial_balance" in rec.scope:
        report = parse_report(client.report("TrialBalance", {"end_date": rec.as_of.isoformat()}))
        rec.drifts += cmp.compare_trial_balance(report)
        rec.compared["trial_balance"] = len(report.rows)


def _unlinked_parties(drifts: Iterable[cmp.Drift], objs: dict[str, dict[str, Any]], ref: str) -> set[str]:
    return {
        str(objs[d.qb_id][ref]["value"])
        for d in drifts
        if d.check_name.endswith(".unlinked") and d.qb_id in objs
    }


def reconcile(
    engine: sa.Engine,
    client: QBOClient,
    realm_id: str,
    *,
    as_of: date,
    scope: Iterable[str] = SCOPES,
    tolerance: Decimal = Decimal("0.00"),
    run_id: str = "manual",
    heal: bool = True,
) -> dict[str, Any]:
    """Compare, check, record; returns the run's summary (counts, GX result, drift overview)."""
    wanted = [s for s in SCOPES if s in set(scope)]
    unknown = set(scope) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown reconciliation scope {sorted(unknown)}; choose from {list(SCOPES)}")
    rec = Reconciliation(as_of, wanted)
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    seen = compare_transactions(engine, client, rec)
    lap("transactions")
    healing: dict[str, Any] = {}
    if heal and "invoices" in seen:
        rec.healed, healing = heal_balances(engine, client, realm_id, rec.drifts, seen["invoices"][1], run_id)
        rec.drifts = [d for d in rec.drifts if d not in rec.healed]
        lap("heal")
    compare_reports(engine, client, rec, seen)
    lap("reports")
    validation = validate_drifts(rec.drifts, [CHECKS[s] for s in wanted], tolerance)
    lap("checks")
    now = datetime.now(UTC)
    stored = record_drifts(
        engine, realm_id, rec.drifts, [CHECKS[s] for s in wanted], now=now, run_id=run_id, healed=rec.healed
    )
    lap("record")
    at_stake = sum((d.amount_at_stake for d in rec.drifts), Decimal(0))
    for d in rec.drifts:
        log.warning(
            "drift %s: %s: CMMS %s, QuickBooks %s (%s at stake): %s",
            d.check_name,
            d.subject,
            d.cmms_value,
            d.qbo_value,
            d.amount_at_stake,
            d.cause,
        )
    return {
        "as_of": as_of.isoformat(),
        "scope": wanted,
        "compared": rec.compared,
        "differences": len(rec.drifts),
        "healed": len(rec.healed),
        "healing": healing,
        "at_stake": str(at_stake),
        "stored": stored,
        "validation": validation,
        "open": open_summary(engine, realm_id),
        "seconds": timings,
    }
