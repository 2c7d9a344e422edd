"""The pandas frames the expectations run on (see :mod:`qbo_sync.payments.suites`).

Money is in integer cents (exact comparisons); a value QuickBooks sent unreadable is missing (NaN),
which the not-null expectations catch.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from qbo_sync.payments.prepare import PreparedBatch


def cents(value: Decimal | None) -> float:
    return float("nan") if value is None else float(int((value * 100).to_integral_value()))


PAYMENT_COLUMNS = [
    "payment",
    "status",
    "problem",
    "total_amount",
    "unapplied_amount",
    "applied_amount",
    "credit_amount",
    "amount_with_credits",
]


def allowed_total(b: PreparedBatch, qb_id: str, cmms_total: Decimal) -> Decimal:
    """What an invoice's applications may add up to: the larger of the CMMS total and QuickBooks'
    ``TotalAmt`` (an invoice edited upward in QuickBooks, then paid in full there, is paid beyond
    the CMMS total; the reconciliation reports the total difference). A stale copy is not used."""
    state = b.invoices_qbo.get(qb_id)
    if state is None or state.total is None or qb_id in b.stale_invoices:
        return cmms_total
    return max(cmms_total, state.total)


def batch_frames(b: PreparedBatch) -> dict[str, Any]:
    """Frames for the audit before publishing."""
    import pandas as pd

    payments = [
        {
            "payment": p.qb_id,
            "status": p.status,
            "problem": "; ".join(p.problems) or None,
            "total_amount": cents(p.total_amount) if p.status != "deleted" else 0.0,
            "unapplied_amount": cents(p.unapplied_amount) if p.status != "deleted" else 0.0,
            "applied_amount": cents(p.applied_total),
            "credit_amount": cents(p.credit_total),
            "amount_with_credits": (
                cents(p.total_amount + p.credit_total) if p.total_amount is not None else float("nan")
            )
            if p.status != "deleted"
            else 0.0,
        }
        for p in b.payments
    ]
    applications: list[dict[str, Any]] = []
    projected = dict(b.other_paid)
    for p in b.payments:
        for inv_qb, inv_id, amount in b.applied(p):
            applications.append(
                {"payment": p.qb_id, "invoice": inv_qb, "invoice_id": inv_id, "amount": cents(amount)}
            )
            projected[inv_id] = projected.get(inv_id, Decimal(0)) + (amount or Decimal(0))
    by_id = {i.id: i for i in b.invoices_cmms.values()}
    invoices = [
        {
            "invoice": by_id[i].qb_id,
            "invoice_number": by_id[i].number,
            "total": cents(by_id[i].total),
            "total_allowed": cents(allowed_total(b, by_id[i].qb_id, by_id[i].total)),
            "paid_amount": cents(projected.get(i, Decimal(0))),
        }
        for i in sorted(b.touched_invoice_ids())
        if i in by_id
    ]
    return {
        "payments": pd.DataFrame(
            payments,
            columns=PAYMENT_COLUMNS,
        ),
        "applications": pd.DataFrame(applications, columns=["payment", "invoice", "invoice_id", "amount"]),
        "invoices": pd.DataFrame(
            invoices, columns=["invoice", "invoice_number", "total", "total_allowed", "paid_amount"]
        ),
    }


def published_frame(b: PreparedBatch, rows: list[Any], window_end: datetime | None) -> dict[str, Any]:
    """The touched invoices as the publish transaction left them, next to QuickBooks' figures.

    ``qbo_paid`` is what QuickBooks shows paid (``TotalAmt - Balance``): the payments this pipeline
    applies, whatever else changed on the invoice. ``qbo_balance`` is compared only where both
    sides agree on the total: an invoice voided in QuickBooks (zeroed) or with its amount edited
    there has a different total, a difference the reconciliation reports with its cause; holding
    every later payment batch back for it would stall the pipeline on one record.

    Both are left out (not compared) for an invoice QuickBooks changed at or after the window's
    end: they may include payments a later window publishes; and for an invoice whose copy in this
    batch is older than the version the CMMS holds (``b.stale_invoices``: a run that read
    QuickBooks later has published already).
    """
    import pandas as pd

    nan = float("nan")
    data = []
    for r in rows:
        state = b.invoices_qbo.get(r.qb_id)
        later = state is None or (window_end is not None and (state.last_updated or window_end) >= window_end)
        later = later or r.qb_id in b.stale_invoices
        known = not later and state is not None and state.total is not None and state.balance is not None
        same_total = known and state.total == r.total
        data.append(
            {
                "invoice": r.qb_id,
                "invoice_number": r.invoice_number,
                "total": cents(r.total),
                "total_allowed": cents(allowed_total(b, r.qb_id, r.total)),
                "paid_amount": cents(r.paid_amount),
                "balance": cents(r.balance),
                "paid_plus_balance": cents(r.paid_amount + r.balance),
                "qbo_balance": cents(state.balance) if same_total else nan,
                "qbo_paid": cents(state.total - state.balance) if known else nan,
            }
        )
    columns = [
        "invoice",
        "invoice_number",
        "total",
        "total_allowed",
        "paid_amount",
        "balance",
        "paid_plus_balance",
        "qbo_balance",
        "qbo_paid",
    ]
    return {"invoices": pd.DataFrame(data, columns=columns)}


def totals_apart(b: PreparedBatch, rows: list[Any]) -> list[str]:
    """Notes for the run's log: invoices whose QuickBooks total is not the CMMS total."""
    notes = []
    for r in rows:
        state = b.invoices_qbo.get(r.qb_id)
        if state is None or state.total is None or state.total == r.total:
            continue
        beyond = (
            f"its payments ({r.paid_amount:.2f}) exceed the CMMS total and were checked against "
            "QuickBooks' total; "
            if r.paid_amount > r.total
            else ""
        )
        notes.append(
            f"invoice {r.invoice_number or r.qb_id} (QuickBooks {r.qb_id}): QuickBooks' total is "
            f"{state.total:.2f} but the CMMS total is {r.total:.2f} (voided or edited in QuickBooks?); "
            f"{beyond}its payments were applied and checked against what QuickBooks shows paid, its "
            "balance was not compared; the reconciliation (qbo_reconcile) reports the difference"
        )
    return notes
