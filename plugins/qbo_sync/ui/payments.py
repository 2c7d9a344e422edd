"""The payment log for the QuickBooks page: each payment QuickBooks recorded, with its method,
reference, date, amount, status and the invoices it paid (``payments`` + ``payment_applications``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def payment_log(engine: sa.Engine, *, page: int = 1, page_size: int = 50) -> dict[str, Any]:
    """One page of payments, newest first, each with the invoices it paid."""
    p, a, i, c = schema.payments, schema.payment_applications, schema.invoices, schema.customers
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(p)).scalar_one()
        rows = conn.execute(
            sa.select(p, c.c.display_name.label("customer"))
            .select_from(p.outerjoin(c, c.c.id == p.c.customer_id))
            .order_by(p.c.payment_date.desc(), p.c.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).all()
        ids = [r.id for r in rows]
        paid: dict[int, list[dict[str, Any]]] = {pid: [] for pid in ids}
        if ids:
            apps = conn.execute(
                sa.select(a.c.payment_id, a.c.amount, i.c.invoice_number, i.c.id.label("invoice_id"))
                .select_from(a.join(i, i.c.id == a.c.invoice_id))
                .where(a.c.payment_id.in_(ids))
                .order_by(i.c.invoice_number)
            )
            for app in apps:
                paid[app.payment_id].append(
                    {"invoice": app.invoice_number, "invoice_id": app.invoice_id, "amount": _text(app.amount)}
                )
    payments = [
        {
            "id": r.id,
            "qb_id": r.qb_id,
            "customer": r.customer,
            "date": _text(r.payment_date),
            "amount": _text(r.total_amount),
            "unapplied": _text(r.unapplied_amount),
            "method": r.payment_method,
            "reference": r.reference_number,
            "status": r.status,
            "invoices": paid[r.id],
        }
        for r in rows
    ]
    return {"total": total, "page": page, "page_size": page_size, "payments": payments}
