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
            "paid_amount": cents(projected.get(i, Decimal(0))),
        }
        for i in sorted(b.touched_invoice_ids())
        if i in by_id
    ]
    return {
        "payments": pd.DataFrame(
            payments,
            columns=["payment", "status", "problem", "total_amount", "unapplied_amount", "applied_amount"],
        ),
        "applications": pd.DataFrame(applications, columns=["payment", "invoice", "invoice_id", "amount"]),
        "invoices": pd.DataFrame(invoices, columns=["invoice", "invoice_number", "total", "paid_amount"]),
    }


def published_frame(b: PreparedBatch, rows: list[Any], window_end: datetime | None) -> dict[str, Any]:
    """The touched invoices as the publish transaction left them, next to QuickBooks' Balance.

    QuickBooks' balance is left out (not compared) for an invoice QuickBooks changed at or after
    the window's end: it may include payments a later window publishes; and for an invoice whose
    copy in this batch is older than the version the CMMS holds (``b.stale_invoices``: a run that
    read QuickBooks later has published already).
    """
    import pandas as pd

    data = []
    for r in rows:
        state = b.invoices_qbo.get(r.qb_id)
        later = state is None or (window_end is not None and (state.last_updated or window_end) >= window_end)
        later = later or r.qb_id in b.stale_invoices
        data.append(
            {
                "invoice": r.qb_id,
                "invoice_number": r.invoice_number,
                "total": cents(r.total),
                "paid_amount": cents(r.paid_amount),
                "balance": cents(r.balance),
                "paid_plus_balance": cents(r.paid_amount + r.balance),
                "qbo_balance": float("nan") if later else cents(state.balance),
            }
        )
    columns = [
        "invoice",
        "invoice_number",
        "total",
        "paid_amount",
        "balance",
        "paid_plus_balance",
        "qbo_balance",
    ]
    return {"invoices": pd.DataFrame(data, columns=columns)}
