"""QuickBooks Payment and Invoice objects as the payment run needs them (pure functions).

Accepts every shape QBO sends (qbo-api.md §9 Payment): lines with or without the read-only
``LineEx``; ``LinkedTxn`` to invoices and to other transactions (credit memos: not an invoice
application, kept out); a voided payment with zeroed lines or with no lines at all (QBO zeroes the
amounts and prefixes "Voided" to ``PrivateNote``, https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment);
``UnappliedAmt`` present or absent (then ``TotalAmt`` minus the applied lines). A value that cannot
be read is not guessed: it is kept as ``None`` with the problem named in ``problems``, and the
audit's expectations fail on it (the batch is quarantined, never half-read). The payment method is
``PaymentMethodRef.name`` (extraction fills it from the PaymentMethod list when QuickBooks sent
only the Id), its Id only when QuickBooks has no such method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from qbo_sync.qbo.paging import parse_qbo_time

CENT = Decimal("0.01")


def money(value: object) -> Decimal | None:
    """A JSON amount as Decimal rounded to cents; None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount.quantize(CENT) if amount.is_finite() else None


@dataclass
class Application:
    """One invoice a payment pays (the sum of its lines linked to that invoice)."""

    invoice_qb_id: str
    amount: Decimal | None


@dataclass
class OtherLink:
    """A payment line linked to something that is not an invoice (e.g. a credit memo)."""

    txn_id: str
    txn_type: str
    amount: Decimal | None


@dataclass
class PaymentRecord:
    qb_id: str
    sync_token: str | None
    status: str  # active | voided | deleted
    customer_qb_id: str | None = None
    payment_date: date | None = None
    total_amount: Decimal | None = None
    unapplied_amount: Decimal | None = None
    payment_method: str | None = None
    reference_number: str | None = None
    private_note: str | None = None
    last_updated: datetime | None = None
    applications: list[Application] = field(default_factory=list)
    other_links: list[OtherLink] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def applied_total(self) -> Decimal:
        return sum((a.amount or Decimal(0) for a in self.applications), Decimal(0))

    @property
    def credit_total(self) -> Decimal:
        """What the payment's credit memo lines bring toward its invoice lines.

        A Receive Payment that uses a credit memo lists it as a line of its own (``LinkedTxn``
        TxnType ``CreditMemo``) next to the invoice lines; ``TotalAmt`` is only the money received,
        so the invoice lines add up to ``TotalAmt`` plus the credits used (invoice 100.00, credit
        memo 30.00: ``TotalAmt`` 70.00; or a 0.00 payment that only applies a credit). See Intuit's
        Payment reference (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment,
        ``Line.LinkedTxn``: Invoice, CreditMemo, ...), its linked-transactions guide
        (https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-linked-transactions)
        and qbo-api.md §9 ("Lines can also link CreditMemo").
        """
        return sum(
            (o.amount or Decimal(0) for o in self.other_links if o.txn_type == "CreditMemo"), Decimal(0)
        )


@dataclass
class InvoiceState:
    """What QuickBooks says about an invoice now."""

    qb_id: str
    sync_token: str | None
    total: Decimal | None
    balance: Decimal | None
    doc_number: str | None
    last_updated: datetime | None
    payment_ids: list[str]


def deleted_payment(qb_id: str) -> PaymentRecord:
    return PaymentRecord(qb_id=str(qb_id), sync_token=None, status="deleted")


def _ref(obj: dict[str, Any], key: str) -> tuple[str | None, str | None]:
    ref = obj.get(key)
    if not isinstance(ref, dict) or ref.get("value") in (None, ""):
        return None, None
    return str(ref["value"]), (str(ref["name"]) if ref.get("name") else None)


def _date(raw: object, problems: list[str]) -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        problems.append(f"TxnDate {raw!r} is not a date")
        return None


def is_voided(obj: dict[str, Any]) -> bool:
    """QBO marks a void by zeroing the amounts and prefixing "Voided" to PrivateNote."""
    note = str(obj.get("PrivateNote") or "")
    return note.startswith("Voided") and money(obj.get("TotalAmt")) in (None, Decimal(0))


def _lines(obj: dict[str, Any], rec: PaymentRecord) -> None:
    per_invoice: dict[str, Decimal | None] = {}
    for n, line in enumerate(obj.get("Line") or [], 1):
        if not isinstance(line, dict):
            rec.problems.append(f"Line {n} is not an object")
            continue
        amount = money(line.get("Amount"))
        if amount is None:
            rec.problems.append(f"Line {n}: Amount {line.get('Amount')!r} is not a number")
        links = [t for t in line.get("LinkedTxn") or [] if isinstance(t, dict)]
        invoices = [t for t in links if t.get("TxnType") == "Invoice"]
        if len(invoices) > 1:
            rec.problems.append(f"Line {n} links {len(invoices)} invoices; QuickBooks links one per line")
        for link in links:
            txn_id = str(link.get("TxnId") or "")
            if link.get("TxnType") != "Invoice":
                rec.other_links.append(OtherLink(txn_id, str(link.get("TxnType")), amount))
            else:
                prev = per_invoice.get(txn_id, Decimal(0))
                per_invoice[txn_id] = None if prev is None or amount is None else prev + amount
    rec.applications = [Application(i, a) for i, a in per_invoice.items()]


def parse_payment(obj: dict[str, Any]) -> PaymentRecord:
    """A Payment object (as QBO sends it in a query, a read or CDC) as a :class:`PaymentRecord`."""
    voided = is_voided(obj)
    rec = PaymentRecord(
        qb_id=str(obj.get("Id")),
        sync_token=None if obj.get("SyncToken") is None else str(obj["SyncToken"]),
        status="voided" if voided else "active",
        private_note=obj.get("PrivateNote"),
        reference_number=obj.get("PaymentRefNum"),
        last_updated=parse_qbo_time((obj.get("MetaData") or {}).get("LastUpdatedTime")),
    )
    rec.customer_qb_id, _ = _ref(obj, "CustomerRef")
    method_id, method_name = _ref(obj, "PaymentMethodRef")
    rec.payment_method = method_name or method_id
    rec.payment_date = _date(obj.get("TxnDate"), rec.problems)
    rec.total_amount = money(obj.get("TotalAmt"))
    if rec.total_amount is None and not voided:
        rec.problems.append(f"TotalAmt {obj.get('TotalAmt')!r} is not a number")
    if not voided:
        _lines(obj, rec)
    if voided:
        rec.total_amount, rec.unapplied_amount = Decimal("0.00"), Decimal("0.00")
    elif "UnappliedAmt" in obj:
        rec.unapplied_amount = money(obj.get("UnappliedAmt"))
        if rec.unapplied_amount is None:
            rec.problems.append(f"UnappliedAmt {obj.get('UnappliedAmt')!r} is not a number")
    elif rec.total_amount is not None:
        rec.unapplied_amount = rec.total_amount - rec.applied_total
    return rec


def parse_invoice(obj: dict[str, Any]) -> InvoiceState:
    links = [t for t in obj.get("LinkedTxn") or [] if isinstance(t, dict) and t.get("TxnType") == "Payment"]
    return InvoiceState(
        qb_id=str(obj.get("Id")),
        sync_token=None if obj.get("SyncToken") is None else str(obj["SyncToken"]),
        total=money(obj.get("TotalAmt")),
        balance=money(obj.get("Balance")),
        doc_number=obj.get("DocNumber"),
        last_updated=parse_qbo_time((obj.get("MetaData") or {}).get("LastUpdatedTime")),
        payment_ids=[str(t.get("TxnId")) for t in links],
    )
