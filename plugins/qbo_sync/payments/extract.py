"""Reading one window of payment changes from QuickBooks (design decision 5, qbo-api.md §3).

- **CDC** (``Payment,Invoice`` since the window start) while the start is younger than
  :data:`CDC_MAX_AGE` and the answer is not saturated (≥ 1000 objects): one request, deleted and
  voided payments included, and the invoices whose balances moved (QBO bumps an invoice when a
  payment applied to it changes; that is UNCONFIRMED, so linked invoices missing from the answer
  are read by Id).
- **Windowed query** otherwise: ``Metadata.LastUpdatedTime >= start AND < end`` on Payment and on
  Invoice, pages of 1000. Queries never return deleted objects, so deletions are found through the
  invoices whose balance moved: a payment the CMMS has applied to such an invoice that QuickBooks
  no longer links and no longer returns by Id was deleted. (A deleted payment that was applied to
  no invoice is only seen by CDC.)
- **Full** (a manual run with no watermark yet): every payment.

Payments changed at or after the window's end are left to the window that holds their change.

A payment's method is kept by name (the payment log shows "Check", not QuickBooks' Id "2"): a
``PaymentMethodRef`` that carries only its ``value`` gets its ``name`` from the PaymentMethod list,
read once per batch for all such payments (``Id IN (...)``, inactive methods included), never once
per payment; a batch whose refs all carry names (or a quiet batch) costs no extra request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from qbo_sync.payments.parse import is_voided
from qbo_sync.payments.window import PaymentWindow
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.paging import ACTIVE_ANY, format_datetime, parse_qbo_time, quote

log = logging.getLogger("qbo_sync.payments")

CDC_MAX_AGE = timedelta(days=29)  # QBO allows 30; a day of margin for clock skew
ID_CHUNK = 100  # ids per `Id IN (...)` query


class CmmsView(Protocol):
    """What extraction needs to know about the CMMS (see :class:`qbo_sync.payments.store.Cmms`)."""

    def known_invoices(self, qb_ids: Iterable[str]) -> set[str]: ...

    def applied_invoices(self, payment_qb_ids: Iterable[str]) -> set[str]: ...

    def active_payments_on(self, invoice_qb_ids: Iterable[str]) -> dict[str, set[str]]: ...


@dataclass
class ExtractedBatch:
    mode: str  # cdc | query | full
    read_until: datetime
    payments: list[dict[str, Any]] = field(default_factory=list)
    deleted_payment_ids: list[str] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    later: int = 0  # payments changed after the window, left to a later one
    requests: int = 0

    @property
    def empty(self) -> bool:
        return not (self.payments or self.deleted_payment_ids or self.invoices)


def _updated(obj: dict[str, Any]) -> datetime | None:
    return parse_qbo_time((obj.get("MetaData") or {}).get("LastUpdatedTime"))


def _chunks(values: list[str], size: int = ID_CHUNK) -> Iterable[list[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


class PaymentExtract:
    """One window's extraction; :meth:`run` returns the :class:`ExtractedBatch`."""

    def __init__(self, client: QBOClient, cmms: CmmsView, window: PaymentWindow, now: datetime | None = None):
        self.client = client
        self.cmms = cmms
        self.window = window
        self.now = now or datetime.now(UTC)
        self.requests = 0

    def run(self) -> ExtractedBatch:
        start = self.window.start
        if start is None:
            batch = self._full()
        elif self.now - start < CDC_MAX_AGE:
            batch = self._cdc(start) or self._query(start)
        else:
            batch = self._query(start)
        self._keep_window(batch)
        self._add_linked_invoices(batch)
        if batch.mode != "cdc":
            self._find_deleted(batch)
        self._name_payment_methods(batch)
        batch.requests = self.requests
        return batch

    # --- the three ways to read ------------------------------------------------------------------

    def _cdc(self, start: datetime) -> ExtractedBatch | None:
        result = self.client.cdc(["Payment", "Invoice"], start)
        self.requests += 1
        if result.saturated:
            log.info("CDC since %s is saturated (≥ 1000 objects): reading by windowed query", start)
            return None
        end = self.window.end or result.time or self.now
        batch = ExtractedBatch("cdc", end)
        batch.payments = list(result.changes.get("Payment", []))
        batch.deleted_payment_ids = list(result.deleted.get("Payment", []))
        batch.invoices = list(result.changes.get("Invoice", []))
        return batch

    def _query(self, start: datetime) -> ExtractedBatch:
        end = self.window.end or self.now
        where = f"Metadata.LastUpdatedTime >= '{format_datetime(start)}'"
        where += f" AND Metadata.LastUpdatedTime < '{format_datetime(end)}'"
        batch = ExtractedBatch("query", end)
        batch.payments = self._pages("Payment", where)
        batch.invoices = self._pages("Invoice", where)
        return batch

    def _full(self) -> ExtractedBatch:
        batch = ExtractedBatch("full", self.window.end or self.now)
        batch.payments = self._pages("Payment", None)
        return batch

    def _pages(self, entity: str, where: str | None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for page in self.client.iter_pages(entity, where, page_size=1000):
            self.requests += 1
            rows.extend(page)
        return rows

    def _by_ids(self, entity: str, ids: list[str], extra: str = "") -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for chunk in _chunks(sorted(set(ids))):
            statement = f"SELECT * FROM {entity} WHERE Id IN ({', '.join(quote(i) for i in chunk)}){extra}"
            self.requests += 1
            rows.extend(self.client.query(statement))
        return rows

    # --- completing the batch --------------------------------------------------------------------

    def _keep_window(self, batch: ExtractedBatch) -> None:
        end = self.window.end
        if end is None:
            return
        # A payment whose change time cannot be read stays in this window (never silently left out).
        kept = [p for p in batch.payments if (_updated(p) or end - timedelta(seconds=1)) < end]
        batch.later = len(batch.payments) - len(kept)
        batch.payments = kept

    def _add_linked_invoices(self, batch: ExtractedBatch) -> None:
        """Invoices the batch's payments link (now or before) that the answer did not carry."""
        have = {str(i.get("Id")) for i in batch.invoices}
        linked: set[str] = set()
        for p in batch.payments:
            if is_voided(p):
                continue
            for line in p.get("Line") or []:
                for t in (line or {}).get("LinkedTxn") or []:
                    if t.get("TxnType") == "Invoice":
                        linked.add(str(t.get("TxnId")))
        touched = [str(p.get("Id")) for p in batch.payments] + batch.deleted_payment_ids
        linked |= self.cmms.applied_invoices(touched)
        missing = sorted(self.cmms.known_invoices(linked - have))
        if missing:
            log.info("reading %d linked invoices QuickBooks did not list as changed", len(missing))
            batch.invoices.extend(self._by_ids("Invoice", missing))

    def _find_deleted(self, batch: ExtractedBatch) -> None:
        """Query mode: payments the CMMS applied to a changed invoice that QuickBooks dropped."""
        staged = {str(p.get("Id")) for p in batch.payments}
        links = {str(i.get("Id")): i for i in batch.invoices}
        suspects: set[str] = set()
        for inv_id, payment_ids in self.cmms.active_payments_on(links).items():
            qbo_links = {
                str(t.get("TxnId"))
                for t in links[inv_id].get("LinkedTxn") or []
                if t.get("TxnType") == "Payment"
            }
            suspects |= payment_ids - qbo_links - staged
        if not suspects:
            return
        found = self._by_ids("Payment", sorted(suspects))
        batch.payments.extend(found)
        batch.deleted_payment_ids.extend(sorted(suspects - {str(p.get("Id")) for p in found}))

    def _name_payment_methods(self, batch: ExtractedBatch) -> None:
        """Fill the ``name`` of PaymentMethodRefs QuickBooks sent with only their Id (one read)."""
        unnamed = [
            ref
            for p in batch.payments
            if isinstance(ref := p.get("PaymentMethodRef"), dict) and ref.get("value") and not ref.get("name")
        ]
        if not unnamed:
            return
        ids = sorted({str(ref["value"]) for ref in unnamed})
        names = {
            str(m.get("Id")): m.get("Name") for m in self._by_ids("PaymentMethod", ids, f" AND {ACTIVE_ANY}")
        }
        for ref in unnamed:
            name = names.get(str(ref["value"]))
            if name:
                ref["name"] = name
        missing = [i for i in ids if not names.get(i)]
        if missing:
            log.warning(
                "QuickBooks has no payment method with Id %s; those payments show the Id as their method",
                ", ".join(missing),
            )
