"""Healing the differences QuickBooks owns, in the same run: invoice balances moved by payments.

An invoice's paid amount and balance are QuickBooks' figures (payments are recorded there and
pulled by the payment pipeline, design decision 8). When reconciliation finds a CMMS balance that
differs from QuickBooks' because a payment (or its void or delete) has not been pulled yet, it runs
the payment pipeline itself (:mod:`qbo_sync.payments`: stage, audit with Great Expectations,
publish) over a window from the earliest of those invoices' last change and the payment watermark
to now, then compares the invoices again. What now agrees is recorded as healed; what still
differs waits for a person. A batch the audit quarantines heals nothing and says so.

Totals, tax, voids, deletions and unlinked records are never healed here: the CMMS owns them (or
a person must decide), so they wait.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.paging import parse_qbo_time
from qbo_sync.reconcile.compare import Drift, money

log = logging.getLogger("qbo_sync.reconcile")

PAYMENT_CAUSES = ("payment recorded in QuickBooks", "payment voided or deleted in QuickBooks")


def healable(drift: Drift) -> bool:
    return drift.check_name == "invoice.balance" and drift.cause.startswith(PAYMENT_CAUSES)


def heal_balances(
    engine: sa.Engine,
    client: QBOClient,
    realm_id: str,
    drifts: list[Drift],
    invoices: dict[str, dict[str, Any]],
    run_key: str,
) -> tuple[list[Drift], dict[str, Any]]:
    """Run the payment pipeline for the invoices whose balance QuickBooks moved; returns the drifts
    it healed and what the pipeline did."""
    targets = [d for d in drifts if healable(d) and d.qb_id in invoices]
    if not targets:
        return [], {}
    from qbo_sync.payments.run import BatchQuarantined, audit_batch, publish_batch, stage_window
    from qbo_sync.payments.store import read_watermark
    from qbo_sync.payments.window import OVERLAP, PaymentWindow

    changed = [parse_qbo_time(invoices[str(d.qb_id)]["MetaData"]["LastUpdatedTime"]) for d in targets]
    mark = read_watermark(engine, realm_id)
    start = min([*changed, *([mark] if mark else [])]) - OVERLAP
    window = PaymentWindow(start, None, "since_watermark")
    try:
        staged = stage_window(engine, client, realm_id, window, f"{run_key}/heal")
        audit_batch(engine, staged["batch_id"])
        published = publish_batch(engine, realm_id, staged["batch_id"])
    except BatchQuarantined as exc:
        log.warning("reconciliation could not heal invoice balances: the payment batch was quarantined")
        return [], {"quarantined": exc.report}
    healed = _agreeing(engine, targets, invoices)
    log.info(
        "healed %d of %d invoice balance(s) by pulling payments: %s", len(healed), len(targets), published
    )
    return healed, {"window": window.describe(), "published": published}


def _agreeing(engine: sa.Engine, targets: list[Drift], invoices: dict[str, dict[str, Any]]) -> list[Drift]:
    ids = [d.cmms_id for d in targets if d.cmms_id is not None]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, balance FROM invoices WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        ).all()
    balance = {r.id: money(r.balance) for r in rows}
    return [d for d in targets if balance.get(d.cmms_id) == money(invoices[str(d.qb_id)].get("Balance"))]
