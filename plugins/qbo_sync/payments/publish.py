"""Publish an audited payment batch in one transaction (design decision 8).

Inside one transaction: the touched invoices are locked (``FOR UPDATE``, in id order, so two
writers never deadlock), payments are inserted or updated by QuickBooks Id (a deleted or voided
payment keeps its log row with its status), each touched payment's applications and not-applicable
lines are replaced, and every touched invoice's paid amount, balance and status are re-derived
from the applications of live payments. An edited, voided or deleted payment therefore corrects
the invoice instead of counting twice, and publishing the same batch again changes nothing.

Runs can publish beside each other (a backfill next to a scheduled run; the caller serialises them
per realm): what an older read brought never replaces what a newer one published. Superseded
payments (:class:`~qbo_sync.payments.prepare.Superseded`) are left as they are, with a note the log
shows; each invoice's QuickBooks ``Balance`` is stored with its ``SyncToken`` and change time
(``qb_balance``, ``qb_balance_sync_token``, ``qb_balance_updated_at``) only when the batch's copy is
at least as new as the stored one, and a stale copy is not compared.

Then the published invoices are validated (:data:`~qbo_sync.payments.suites.PUBLISHED_CHECKS`)
before the commit; a failure raises :class:`PublishRejected` and the transaction rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.payments.audit import AuditResult, validate
from qbo_sync.payments.frames import published_frame, totals_apart
from qbo_sync.payments.parse import PaymentRecord
from qbo_sync.payments.prepare import PreparedBatch
from qbo_sync.payments.suites import PUBLISHED_CHECKS

PAYMENT_FIELDS = (
    "customer_id",
    "payment_date",
    "total_amount",
    "unapplied_amount",
    "payment_method",
    "reference_number",
    "private_note",
    "status",
    "qb_sync_token",
    "qb_last_updated_at",
)


class PublishRejected(Exception):
    """The published state failed its expectations; the transaction was rolled back."""

    def __init__(self, audit: AuditResult) -> None:
        super().__init__("published invoices failed their expectations")
        self.audit = audit


@dataclass
class PublishCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # payment lines not applicable (unknown invoice, credit memo)
    superseded: int = 0  # payments older than the CMMS's version, left as they are
    invoices: int = 0
    notes: list[str] = field(default_factory=list)

    def as_run(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


def _row(b: PreparedBatch, rec: PaymentRecord, now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_id": b.customers.get(rec.customer_qb_id or ""),
        "payment_date": rec.payment_date,
        "total_amount": rec.total_amount or Decimal(0),
        "unapplied_amount": rec.unapplied_amount or Decimal(0),
        "payment_method": rec.payment_method,
        "reference_number": rec.reference_number,
        "private_note": rec.private_note,
        "status": rec.status,
        "qb_sync_token": rec.sync_token,
        "qb_last_updated_at": rec.last_updated,
    }
    if rec.status == "voided":  # keep what the log knew (date, method, reference) and show the void
        row = {k: v for k, v in row.items() if v is not None}
    row["synced_at"] = now
    return row


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return all(old.get(k) == new[k] for k in PAYMENT_FIELDS if k in new)


def _write_payments(
    conn: sa.Connection, b: PreparedBatch, counts: PublishCounts, now: datetime
) -> dict[str, int]:
    """Insert/update the payment log; returns CMMS payment id by QuickBooks Id."""
    p = schema.payments
    ids = {qb: row["id"] for qb, row in b.existing.items()}
    for rec in b.payments:
        old = b.existing.get(rec.qb_id)
        if rec.status == "deleted":
            if old is None:
                counts.notes.append(f"payment {rec.qb_id} was deleted in QuickBooks before the CMMS saw it")
            elif old["status"] == "deleted":
                counts.unchanged += 1
            else:
                conn.execute(sa.update(p).where(p.c.id == old["id"]).values(status="deleted", synced_at=now))
                counts.updated += 1
            continue
        row = _row(b, rec, now)
        if old is None:
            ids[rec.qb_id] = conn.execute(
                sa.insert(p).values(qb_id=rec.qb_id, **row).returning(p.c.id)
            ).scalar_one()
            counts.created += 1
        elif _same(old, row):
            counts.unchanged += 1
        else:
            conn.execute(sa.update(p).where(p.c.id == old["id"]).values(**row))
            counts.updated += 1
    return ids


def _write_applications(
    conn: sa.Connection, b: PreparedBatch, ids: dict[str, int], counts: PublishCounts
) -> None:
    pa, na = schema.payment_applications, schema.payment_links_not_applied
    # A voided or deleted payment keeps its applications: the log still shows what it paid, and
    # its status keeps them out of every invoice's paid amount.
    touched = sorted(ids[r.qb_id] for r in b.payments if r.qb_id in ids and r.status == "active")
    if touched:
        conn.execute(sa.delete(pa).where(pa.c.payment_id.in_(touched)))
        conn.execute(sa.delete(na).where(na.c.payment_id.in_(touched)))
    apps = [
        {"payment_id": ids[r.qb_id], "invoice_id": inv_id, "amount": amount}
        for r in b.payments
        for _, inv_id, amount in b.applied(r)
    ]
    if apps:
        conn.execute(sa.insert(pa), apps)
    skipped = [
        {
            "payment_id": ids[n.payment_qb_id],
            "qb_txn_id": n.txn_id,
            "txn_type": n.txn_type,
            "amount": n.amount or 0,
            "reason": n.reason,
        }
        for n in b.not_applied
        if n.payment_qb_id in ids
    ]
    if skipped:
        conn.execute(sa.insert(na), skipped)
    counts.skipped = len(skipped)


def _rederive(conn: sa.Connection, invoice_ids: list[int]) -> list[Any]:
    """Paid amount, balance and status of each invoice, from the applications of live payments."""
    inv, pa, p = schema.invoices, schema.payment_applications, schema.payments
    paid = (
        sa.select(sa.func.coalesce(sa.func.sum(pa.c.amount), 0))
        .select_from(pa.join(p, pa.c.payment_id == p.c.id))
        .where(pa.c.invoice_id == inv.c.id, p.c.status == "active")
        .scalar_subquery()
    )
    rows = []
    for i in range(0, len(invoice_ids), 1000):
        chunk = invoice_ids[i : i + 1000]
        conn.execute(sa.update(inv).where(inv.c.id.in_(chunk)).values(paid_amount=paid))
        status = sa.case(
            (inv.c.status.in_(("void", "draft")), inv.c.status),
            (inv.c.paid_amount == 0, "open"),
            (inv.c.total - inv.c.paid_amount <= 0, "paid"),
            else_="partial",
        )
        conn.execute(
            sa.update(inv)
            .where(inv.c.id.in_(chunk))
            .values(balance=inv.c.total - inv.c.paid_amount, status=status)
        )
        rows += conn.execute(
            sa.select(inv.c.qb_id, inv.c.invoice_number, inv.c.total, inv.c.paid_amount, inv.c.balance)
            .where(inv.c.id.in_(chunk))
            .order_by(inv.c.id)
        ).all()
    return rows


def _store_qbo_balances(conn: sa.Connection, b: PreparedBatch, counts: PublishCounts) -> None:
    """QuickBooks' Balance of each known invoice with its version, unless the copy is stale."""
    inv = schema.invoices
    for qb_id, state in sorted(b.invoices_qbo.items()):
        cmms = b.invoices_cmms.get(qb_id)
        if cmms is None:
            continue
        if qb_id in b.stale_invoices:
            counts.notes.append(
                f"invoice {cmms.number or qb_id} (QuickBooks {qb_id}): this batch's copy "
                f"({b.stale_invoices[qb_id].describe()}) is older than the one the CMMS holds "
                f"({cmms.qb_version.describe()}); its Balance was neither stored nor compared"
            )
            continue
        conn.execute(
            sa.update(inv)
            .where(inv.c.id == cmms.id)
            .values(
                qb_balance=state.balance,
                qb_balance_sync_token=state.sync_token,
                qb_balance_updated_at=state.last_updated,
            )
        )


def _lock_invoices(conn: sa.Connection, invoice_ids: list[int]) -> None:
    inv = schema.invoices
    for i in range(0, len(invoice_ids), 1000):
        conn.execute(
            sa.select(inv.c.id)
            .where(inv.c.id.in_(invoice_ids[i : i + 1000]))
            .order_by(inv.c.id)
            .with_for_update()
        ).all()


def publish(
    conn: sa.Connection, b: PreparedBatch, window_end: datetime | None
) -> tuple[PublishCounts, AuditResult]:
    """Apply ``b`` on ``conn`` (the caller's transaction); raises :class:`PublishRejected`."""
    now = datetime.now(UTC)
    counts = PublishCounts()
    invoice_ids = sorted(b.touched_invoice_ids())
    stored = {i.id for qb, i in b.invoices_cmms.items() if qb in b.invoices_qbo}
    _lock_invoices(conn, sorted(stored | set(invoice_ids)))
    for s in b.superseded:
        counts.notes.append(s.message())
    counts.superseded = len(b.superseded)
    ids = _write_payments(conn, b, counts, now)
    _store_qbo_balances(conn, b, counts)
    _write_applications(conn, b, ids, counts)
    rows = _rederive(conn, invoice_ids)
    counts.invoices = len(rows)
    counts.notes += totals_apart(b, rows)
    audit = validate(published_frame(b, rows, window_end), PUBLISHED_CHECKS, "payments_published")
    if not audit.success:
        raise PublishRejected(audit)
    return counts, audit
