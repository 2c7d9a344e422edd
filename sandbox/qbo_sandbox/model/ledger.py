"""Cross-object effects of writes: (bill) payment applications, invoice/bill balances, party balances.

A Payment's applications lower its invoices' ``Balance``; a BillPayment's lower its bills'
(REF-billpayment); each paid transaction lists its payers in ``LinkedTxn``. Voiding or deleting
the payer ends its applications, so the balances come back.

Choices where QBO's behaviour is UNCONFIRMED (qbo-api.md §9 Payment):

- Applying, changing, voiding or deleting a payment recomputes each linked invoice's ``Balance``
  (``TotalAmt`` minus the applications of live payments; voided payments apply 0), rewrites the
  invoice's ``LinkedTxn`` payment list, and bumps the invoice's ``SyncToken`` **and**
  ``LastUpdatedTime`` (so the invoice shows up in CDC and stale-token checks see the change).
- A customer's (vendor's) ``Balance`` is the sum of its open invoice (bill) balances. When it changes
  only ``MetaData.LastUpdatedTime`` moves, not ``SyncToken``: recorded traffic shows a customer's
  LastUpdatedTime equal to the time one of its invoices was deleted, with SyncToken still "0".
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from qbo_sandbox.model.entities.common import as_json_number
from qbo_sandbox.model.entities.payments import applications
from qbo_sandbox.model.store import Store

# Payer entity -> the entity it pays; the LinkedTxn types a paid transaction uses for its payers.
PAYERS = {"Payment": "Invoice", "BillPayment": "Bill"}
LINK_TYPES = frozenset({"Payment", "BillPaymentCheck", "BillPaymentCreditCard"})


def _id_key(ident: str) -> tuple[int, str]:
    return (len(ident), ident)


class Ledger:
    """Balances of one company: who paid what, which transactions each party has."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._objs = store.objs
        self._applied: dict[str, dict[str, Decimal]] = {}  # paid txn Id -> payer Id -> amount
        self._party_txns: dict[tuple[str, str], set[str]] = {}  # (Invoice|Bill, party Id) -> Ids

    def applied_total(self, invoice_id: str, exclude_payment: str | None = None) -> Decimal:
        """Sum applied to an invoice by live payments (optionally ignoring one payment)."""
        apps = self._applied.get(invoice_id, {})
        return sum((amt for pid, amt in apps.items() if pid != exclude_payment), Decimal(0))

    def index_txn(self, entity: str, old: dict | None, new: dict | None) -> None:
        """Keep the party -> invoices/bills index and the payment application index current."""
        party_field = {"Invoice": "CustomerRef", "Bill": "VendorRef"}.get(entity)
        if party_field is not None:
            for obj, add in ((old, False), (new, True)):
                if obj is None:
                    continue
                key = (entity, obj[party_field]["value"])
                ids = self._party_txns.setdefault(key, set())
                (ids.add if add else ids.discard)(obj["Id"])
        if entity in PAYERS:
            for obj in (old, new):
                if obj is None:
                    continue
                for txn_id, _ in applications(obj):
                    self._applied.get(txn_id, {}).pop(obj["Id"], None)
            if new is not None:
                for txn_id, amount in applications(new):
                    apps = self._applied.setdefault(txn_id, {})
                    apps[new["Id"]] = apps.get(new["Id"], Decimal(0)) + amount

    def effects(self, entity: str, old: dict | None, new: dict | None, now: datetime) -> None:
        """Apply balance effects after ``old`` became ``new`` (either may be None)."""
        self.index_txn(entity, old, new)
        if entity in PAYERS:
            paid = {i for obj in (old, new) if obj for i, _ in applications(obj)}
            for txn_id in sorted(paid):
                self._refresh_paid(PAYERS[entity], txn_id, now)
        parties: set[tuple[str, str]] = set()
        for obj in (old, new):
            if obj is None:
                continue
            if entity in ("Invoice", "Payment") and "CustomerRef" in obj:
                parties.add(("Customer", obj["CustomerRef"]["value"]))
            if entity in ("Bill", "BillPayment"):
                parties.add(("Vendor", obj["VendorRef"]["value"]))
        for party, party_id in sorted(parties):
            self._refresh_party_balance(party, party_id, now)

    def _refresh_paid(self, entity: str, txn_id: str, now: datetime) -> None:
        """Re-derive a paid invoice's (bill's) Balance and its payment links from live applications."""
        paid = self._objs[entity].get(txn_id)
        if paid is None:
            return
        apps = {pid: amt for pid, amt in self._applied.get(txn_id, {}).items() if amt > 0}
        balance = Decimal(str(paid["TotalAmt"])) - sum(apps.values(), Decimal(0))
        links = [t for t in paid.get("LinkedTxn", []) if t.get("TxnType") not in LINK_TYPES]
        links += [
            {"TxnId": pid, "TxnType": self._link_type(entity, pid)} for pid in sorted(apps, key=_id_key)
        ]
        if as_json_number(balance) == paid.get("Balance") and links == paid.get("LinkedTxn"):
            return
        self.store.touch(
            entity, txn_id, now, bump_token=True, Balance=as_json_number(balance), LinkedTxn=links
        )

    def _link_type(self, entity: str, payer_id: str) -> str:
        """How a paid transaction names its payer in LinkedTxn (REF-bill: BillPaymentCheck...)."""
        if entity == "Invoice":
            return "Payment"
        payer = self._objs["BillPayment"].get(payer_id) or {}
        return "BillPaymentCreditCard" if payer.get("PayType") == "CreditCard" else "BillPaymentCheck"

    def _refresh_party_balance(self, party: str, party_id: str, now: datetime) -> None:
        obj = self._objs[party].get(party_id)
        if obj is None:
            return
        txn_entity = "Invoice" if party == "Customer" else "Bill"
        ids = self._party_txns.get((txn_entity, party_id), set())
        total = sum((Decimal(str(self._objs[txn_entity][i]["Balance"])) for i in ids), Decimal(0))
        balance = as_json_number(total)
        if obj.get("Balance") == balance:
            return
        changes: dict[str, Any] = {"Balance": balance}
        if party == "Customer":
            changes["BalanceWithJobs"] = balance
        self.store.touch(party, party_id, now, bump_token=False, **changes)
