"""The payment log and the latest payment batches as text (``qbo-sync payments``)."""

from __future__ import annotations

import sqlalchemy as sa

LOG = sa.text(
    "SELECT p.id, p.qb_id, p.payment_date, p.total_amount, p.unapplied_amount, p.payment_method, "
    "p.reference_number, p.status FROM payments p ORDER BY p.payment_date DESC NULLS LAST, p.id DESC LIMIT :n"
)
PAID = sa.text(
    "SELECT a.payment_id, i.invoice_number, a.amount FROM payment_applications a "
    "JOIN invoices i ON i.id = a.invoice_id WHERE a.payment_id IN :ids ORDER BY i.invoice_number"
).bindparams(sa.bindparam("ids", expanding=True))
NOT_APPLIED = sa.text(
    "SELECT payment_id, qb_txn_id, txn_type, amount FROM payment_links_not_applied WHERE payment_id IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))
BATCHES = sa.text(
    "SELECT id, window_start, window_end, mode, status, report, created_at FROM payment_batches "
    "ORDER BY id DESC LIMIT :n"
)


def payment_log(engine: sa.Engine, limit: int = 50) -> str:
    """Each payment: date, amount, method, reference, status, and the invoices it paid."""
    with engine.connect() as conn:
        rows = conn.execute(LOG, {"n": limit}).all()
        ids = [r.id for r in rows] or [0]
        paid: dict[int, list[str]] = {}
        for a in conn.execute(PAID, {"ids": ids}):
            paid.setdefault(a.payment_id, []).append(f"{a.invoice_number} {a.amount}")
        for n in conn.execute(NOT_APPLIED, {"ids": ids}):
            paid.setdefault(n.payment_id, []).append(
                f"QuickBooks {n.txn_type} {n.qb_txn_id} {n.amount} (not applied)"
            )
    lines = [
        f"{'date':10}  {'amount':>10}  {'unapplied':>9}  {'method':10}  {'reference':12}  {'status':7}  paid"
    ]
    for r in rows:
        lines.append(
            f"{r.payment_date or ''!s:10}  {r.total_amount:>10}  {r.unapplied_amount:>9}  "
            f"{(r.payment_method or '')[:10]:10}  {(r.reference_number or '')[:12]:12}  {r.status:7}  "
            + ("; ".join(paid.get(r.id, [])) or "-")
        )
    return "\n".join(lines)


def recent_batches(engine: sa.Engine, limit: int = 10) -> str:
    """The latest payment batches; a quarantined one with its report."""
    with engine.connect() as conn:
        rows = conn.execute(BATCHES, {"n": limit}).all()
    lines = []
    for b in rows:
        lines.append(f"batch {b.id}: {b.status} ({b.mode}, {b.window_start} → {b.window_end})")
        if b.report:
            lines.extend("    " + line for line in b.report.splitlines())
    return "\n".join(lines) or "no payment batches yet"
