"""A staged batch made ready to audit and publish: parsed, matched to the CMMS (pure + reads).

:func:`prepare` parses the staged QuickBooks objects, resolves customers and invoices to CMMS ids,
splits each payment's lines into applications (invoices the CMMS knows) and lines not applicable
(invoices the CMMS never sent, credit memos), and works out which CMMS invoices the batch touches
(those its payments pay now or paid before).

It also sets aside what an older read brought (:mod:`~qbo_sync.payments.versions`): a payment whose
staged QuickBooks version is older than the one the CMMS holds (or that the CMMS already knows was
deleted) is *superseded* and left out of the batch; an invoice whose staged copy is older than the
version the CMMS last published is *stale*: its Balance is neither stored nor compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.payments.parse import InvoiceState, PaymentRecord, deleted_payment, parse_invoice, parse_payment
from qbo_sync.payments.versions import Version, is_older, newest


@dataclass
class NotApplied:
    payment_qb_id: str
    txn_id: str
    txn_type: str
    amount: Decimal | None
    reason: str


@dataclass
class CmmsInvoice:
    id: int
    qb_id: str
    number: str | None
    total: Decimal
    qb_version: Version = field(default_factory=Version)  # the newest QuickBooks version stored


@dataclass
class Superseded:
    """A staged payment older than what the CMMS holds: not applied (see :meth:`message`)."""

    payment_qb_id: str
    staged: Version
    held: Version
    held_deleted: bool

    def message(self) -> str:
        newer = (
            "QuickBooks has deleted it since (the CMMS shows it as deleted)"
            if self.held_deleted
            else f"the CMMS already holds a newer QuickBooks version ({self.held.describe()})"
        )
        return (
            f"payment {self.payment_qb_id}: the older version ({self.staged.describe()}) was skipped as "
            f"superseded: {newer}, published by a run that read QuickBooks later; nothing of this "
            "payment was changed"
        )


@dataclass
class PreparedBatch:
    payments: list[PaymentRecord] = field(default_factory=list)
    invoices_qbo: dict[str, InvoiceState] = field(default_factory=dict)
    invoices_cmms: dict[str, CmmsInvoice] = field(default_factory=dict)  # by QuickBooks Id
    customers: dict[str, int] = field(default_factory=dict)  # QuickBooks Id -> CMMS id
    existing: dict[str, dict[str, Any]] = field(default_factory=dict)  # CMMS payments by QuickBooks Id
    previously_applied: dict[str, set[int]] = field(default_factory=dict)  # payment -> CMMS invoice ids
    other_paid: dict[int, Decimal] = field(default_factory=dict)  # by payments outside the batch
    not_applied: list[NotApplied] = field(default_factory=list)
    superseded: list[Superseded] = field(default_factory=list)
    stale_invoices: dict[str, Version] = field(default_factory=dict)  # QuickBooks Id -> staged version

    def existing_ids(self) -> set[int]:
        return {row["id"] for row in self.existing.values()}

    def touched_invoice_ids(self) -> set[int]:
        ids = {i for s in self.previously_applied.values() for i in s}
        for p in self.payments:
            ids |= {
                self.invoices_cmms[a.invoice_qb_id].id
                for a in p.applications
                if a.invoice_qb_id in self.invoices_cmms
            }
        return ids

    def applied(self, rec: PaymentRecord) -> list[tuple[str, int, Decimal | None]]:
        """(invoice QuickBooks Id, CMMS invoice id, amount) of an active payment's known invoices."""
        if rec.status != "active":
            return []
        return [
            (a.invoice_qb_id, self.invoices_cmms[a.invoice_qb_id].id, a.amount)
            for a in rec.applications
            if a.invoice_qb_id in self.invoices_cmms
        ]


def _records(staged: dict[str, list[dict[str, Any]]]) -> list[PaymentRecord]:
    """Parsed payments; a payment staged twice (overlapping reads) keeps its newest version, by
    SyncToken then LastUpdatedTime (:func:`~qbo_sync.payments.versions.is_older`); a deletion wins."""
    latest: dict[str, PaymentRecord] = {}
    for obj in staged.get("Payment", []):
        rec = parse_payment(obj)
        prev = latest.get(rec.qb_id)
        if prev is None or is_older(
            Version(prev.sync_token, prev.last_updated), Version(rec.sync_token, rec.last_updated)
        ):
            latest[rec.qb_id] = rec
    for qb_id in staged.get("PaymentDeleted", []):
        latest[str(qb_id["Id"])] = deleted_payment(str(qb_id["Id"]))
    return list(latest.values())


def prepare(conn: sa.Connection, staged: dict[str, list[dict[str, Any]]]) -> PreparedBatch:
    b = PreparedBatch(payments=_records(staged))
    for obj in staged.get("Invoice", []):
        state = parse_invoice(obj)
        b.invoices_qbo[state.qb_id] = state
    qb_ids = {p.qb_id for p in b.payments}
    _load_existing(conn, b, qb_ids)
    _drop_superseded(b)
    linked = {a.invoice_qb_id for p in b.payments for a in p.applications} | set(b.invoices_qbo)
    inv = schema.invoices
    columns = (
        inv.c.id,
        inv.c.qb_id,
        inv.c.invoice_number,
        inv.c.total,
        inv.c.qb_sync_token,
        inv.c.qb_last_updated_at,
        inv.c.qb_balance_sync_token,
        inv.c.qb_balance_updated_at,
    )
    for chunk in _chunks(sorted(linked)):
        for r in conn.execute(sa.select(*columns).where(inv.c.qb_id.in_(chunk))):
            held = newest(
                Version(r.qb_sync_token, r.qb_last_updated_at),
                Version(r.qb_balance_sync_token, r.qb_balance_updated_at),
            )
            b.invoices_cmms[r.qb_id] = CmmsInvoice(r.id, r.qb_id, r.invoice_number, r.total, held)
    for qb_id, state in b.invoices_qbo.items():
        known = b.invoices_cmms.get(qb_id)
        staged = Version(state.sync_token, state.last_updated)
        if known is not None and is_older(staged, known.qb_version):
            b.stale_invoices[qb_id] = staged
    cust = schema.customers
    wanted = sorted({p.customer_qb_id for p in b.payments if p.customer_qb_id})
    for chunk in _chunks(wanted):
        b.customers.update(
            {
                r.qb_id: r.id
                for r in conn.execute(sa.select(cust.c.id, cust.c.qb_id).where(cust.c.qb_id.in_(chunk)))
            }
        )
    _split_links(b)
    _other_paid(conn, b)
    return b


def _chunks(values: list[Any], size: int = 1000) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _load_existing(conn: sa.Connection, b: PreparedBatch, qb_ids: set[str]) -> None:
    p, pa = schema.payments, schema.payment_applications
    for chunk in _chunks(sorted(qb_ids)):
        for r in conn.execute(sa.select(p).where(p.c.qb_id.in_(chunk))).mappings():
            b.existing[r["qb_id"]] = dict(r)
    by_id = {row["id"]: qb for qb, row in b.existing.items()}
    for chunk in _chunks(sorted(by_id)):
        for r in conn.execute(sa.select(pa.c.payment_id, pa.c.invoice_id).where(pa.c.payment_id.in_(chunk))):
            b.previously_applied.setdefault(by_id[r.payment_id], set()).add(r.invoice_id)


def _drop_superseded(b: PreparedBatch) -> None:
    """Leave out staged payments older than the CMMS's (a deletion is final: never superseded)."""
    held_rows = dict(b.existing)
    kept: list[PaymentRecord] = []
    for rec in b.payments:
        held = held_rows.get(rec.qb_id)
        if rec.status == "deleted" or held is None:
            kept.append(rec)
            continue
        staged = Version(rec.sync_token, rec.last_updated)
        held_version = Version(held["qb_sync_token"], held["qb_last_updated_at"])
        held_deleted = held["status"] == "deleted"
        if held_deleted or is_older(staged, held_version):
            b.superseded.append(Superseded(rec.qb_id, staged, held_version, held_deleted))
            b.existing.pop(rec.qb_id, None)
            b.previously_applied.pop(rec.qb_id, None)
        else:
            kept.append(rec)
    b.payments = kept


def _split_links(b: PreparedBatch) -> None:
    for rec in b.payments:
        if rec.status != "active":
            continue
        for a in rec.applications:
            if a.invoice_qb_id not in b.invoices_cmms:
                b.not_applied.append(
                    NotApplied(
                        rec.qb_id,
                        a.invoice_qb_id,
                        "Invoice",
                        a.amount,
                        f"QuickBooks invoice {a.invoice_qb_id} is not known to the CMMS (it was not sent "
                        "from the CMMS): this part of the payment is logged, not applied",
                    )
                )
        for o in rec.other_links:
            b.not_applied.append(
                NotApplied(
                    rec.qb_id,
                    o.txn_id,
                    o.txn_type,
                    o.amount,
                    f"linked to a QuickBooks {o.txn_type}, not to an invoice",
                )
            )


def _other_paid(conn: sa.Connection, b: PreparedBatch) -> None:
    """What live payments outside the batch have applied to each touched invoice."""
    p, pa = schema.payments, schema.payment_applications
    batch_ids = b.existing_ids()
    for chunk in _chunks(sorted(b.touched_invoice_ids())):
        stmt = (
            sa.select(pa.c.invoice_id, pa.c.payment_id, pa.c.amount)
            .select_from(pa.join(p, pa.c.payment_id == p.c.id))
            .where(pa.c.invoice_id.in_(chunk), p.c.status == "active")
        )
        for r in conn.execute(stmt):
            if r.payment_id not in batch_ids:
                b.other_paid[r.invoice_id] = b.other_paid.get(r.invoice_id, Decimal(0)) + r.amount
