"""Rules for Payment (applied to invoices) and BillPayment (applied to bills).

Payment (REF-payment): ``CustomerRef`` and ``TotalAmt`` required; each ``Line`` applies ``Amount``
to the invoices in its ``LinkedTxn`` (TxnType ``Invoice``, same customer, at most the open balance);
``UnappliedAmt`` = TotalAmt - applied. Reads carry ``Line[].LineEx.any[]`` NameValues ``txnId``,
``txnOpenBalance``, ``txnReferenceNumber`` in QBO's JAXB shape (public Payment samples; qbo-api.md
§5); sent ``LineEx`` blocks are ignored and rebuilt. ``txnOpenBalance`` is the invoice's open
balance before this payment (UNCONFIRMED which moment QBO reports).

BillPayment (REF-billpayment): ``VendorRef``, ``PayType`` ``Check`` (``CheckPayment.BankAccountRef``,
a Bank account) or ``CreditCard`` (``CreditCardPayment.CCAccountRef``, a Credit Card account),
``TotalAmt`` and ``Line[]`` linking Bills of that vendor (TxnType ``Bill``). Each paid bill's
``Balance`` drops and it links back (``LinkedTxn`` TxnType ``BillPaymentCheck`` /
``BillPaymentCreditCard``), see :mod:`qbo_sandbox.model.ledger`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults
from qbo_sandbox.model.entities.common import as_json_number, check_enum, money, ref_id, require, resolve_ref
from qbo_sandbox.model.entities.sales import common_txn

if TYPE_CHECKING:
    from qbo_sandbox.model.entities.books import Books

# Payment entity -> (the transaction type it pays, the party field both share)
TARGETS = {"Payment": ("Invoice", "CustomerRef"), "BillPayment": ("Bill", "VendorRef")}
# PayType -> (the object holding the paying account, its Ref field, the AccountType it must have)
PAY_TYPES = {
    "Check": ("CheckPayment", "BankAccountRef", "Bank"),
    "CreditCard": ("CreditCardPayment", "CCAccountRef", "Credit Card"),
}
NAME_VALUE = "{http://schema.intuit.com/finance/v3}NameValue"


def applications(obj: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """(paid transaction Id, amount) for every Invoice/Bill LinkedTxn in a stored (bill) payment."""
    out: list[tuple[str, Decimal]] = []
    for line in obj.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") in ("Invoice", "Bill"):
                out.append((str(link["TxnId"]), Decimal(str(line.get("Amount", 0)))))
    return out


def name_value(name: str, value: str) -> dict[str, Any]:
    """One JAXB ``NameValue`` element of a ``LineEx.any`` list, as QBO serializes it."""
    return {
        "name": NAME_VALUE,
        "declaredType": "com.intuit.schema.finance.v3.NameValue",
        "scope": "javax.xml.bind.JAXBElement$GlobalScope",
        "value": {"Name": name, "Value": value},
        "nil": False,
        "globalScope": True,
        "typeSubstituted": False,
    }


class _Applier:
    """Checks a payment's lines against the open balances of the transactions they pay."""

    def __init__(self, co: Books, entity: str, party_id: str, own: str | None) -> None:
        self.co, self.entity, self.party_id, self.own = co, entity, party_id, own
        self.target, self.party_field = TARGETS[entity]
        self.pending: dict[str, Decimal] = {}

    def line(self, line: dict[str, Any], index: int) -> Decimal:
        if line.get("Amount") is None:
            raise faults.required_param("Line.Amount", self.entity)
        amount = money(line["Amount"], "Line.Amount")
        if amount < 0:
            raise faults.business_validation(
                f"Line {index}: applied amount cannot be negative", "Line.Amount"
            )
        links = line.get("LinkedTxn")
        if not isinstance(links, list) or not links:
            raise faults.required_param("Line.LinkedTxn", self.entity)
        line.pop("LineEx", None)
        for link in links:
            check_enum(link.get("TxnType"), (self.target,), "LinkedTxn.TxnType")
            txn_id = ref_id({"value": link.get("TxnId")}, "LinkedTxn.TxnId")
            open_balance = self._open_balance(txn_id, index)
            if amount > open_balance:
                raise faults.business_validation(
                    f"Line {index}: the amount applied to {self.target.lower()} {txn_id} ({amount}) exceeds "
                    f"its open balance ({open_balance})",
                    "Line.Amount",
                )
            self.pending[txn_id] = self.pending.get(txn_id, Decimal(0)) + amount
            link["TxnId"] = txn_id
            if self.entity == "Payment":
                paid = self.co.lookup(self.target, txn_id) or {}
                line["LineEx"] = {"any": [
                    name_value("txnId", txn_id),
                    name_value("txnOpenBalance", f"{open_balance:.2f}"),
                    name_value("txnReferenceNumber", str(paid.get("DocNumber") or "")),
                ]}  # fmt: skip
        line["Amount"] = as_json_number(amount)
        return amount

    def _open_balance(self, txn_id: str, index: int) -> Decimal:
        paid = self.co.lookup(self.target, txn_id)
        if paid is None:
            raise faults.not_found(self.target, txn_id)
        owner = paid[self.party_field]["value"]
        if owner != self.party_id:
            party = self.party_field[:-3].lower()
            raise faults.business_validation(
                f"Line {index}: {self.target.lower()} {txn_id} belongs to {party} {owner}, "
                f"not to the payment's {party} {self.party_id}",
                "LinkedTxn",
            )
        others = self.co.applied_total(txn_id, exclude_payment=self.own)
        return Decimal(str(paid["TotalAmt"])) - others - self.pending.get(txn_id, Decimal(0))


def _apply(co: Books, obj: dict[str, Any], old: dict[str, Any] | None, entity: str) -> Decimal:
    """Validate TotalAmt and the lines; set UnappliedAmt-independent fields; return the total."""
    common_txn(co, obj, entity)
    target, party_field = TARGETS[entity]
    party = resolve_ref(co, obj, party_field, party_field[:-3], required=True) or {}
    if obj.get("TotalAmt") is None:
        raise faults.required_param("TotalAmt", entity)
    total = money(obj["TotalAmt"], "TotalAmt")
    if total < 0:
        raise faults.business_validation(f"{entity} TotalAmt cannot be negative", "TotalAmt")
    lines = [ln for ln in obj.get("Line") or [] if isinstance(ln, dict)]
    applier = _Applier(co, entity, party["Id"], old["Id"] if old else None)
    applied = sum((applier.line(ln, i) for i, ln in enumerate(lines, 1)), Decimal(0))
    if applied > total:
        raise faults.business_validation(
            f"The amount applied to {target.lower()}s ({applied}) exceeds the payment amount ({total})",
            "TotalAmt",
        )
    obj["Line"] = lines  # payment lines carry no Id/LineNum in QBO responses
    obj["TotalAmt"] = as_json_number(total)
    return total - applied


def prepare_payment(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    unapplied = _apply(co, obj, old, "Payment")
    # an unknown PaymentMethod Id: 2500; an inactive one: 610 (qbo-api.md §6); the name is QBO's
    resolve_ref(co, obj, "PaymentMethodRef", "PaymentMethod", required=False)
    obj["UnappliedAmt"] = as_json_number(unapplied)
    resolve_ref(co, obj, "DepositToAccountRef", "Account", required=False)
    co.set_default_account(obj, "DepositToAccountRef", "UndepositedFunds")
    resolve_ref(co, obj, "ARAccountRef", "Account", required=False)
    co.set_default_account(obj, "ARAccountRef", "AccountsReceivable")
    obj["ProcessPayment"] = obj.get("ProcessPayment") is True
    return obj


def prepare_bill_payment(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    pay_type = check_enum(require(obj, "PayType", "BillPayment"), tuple(PAY_TYPES), "PayType")
    holder_field, account_field, account_type = PAY_TYPES[pay_type]
    holder = obj.get(holder_field)
    if not isinstance(holder, dict):
        raise faults.required_param(holder_field, "BillPayment")
    account = resolve_ref(co, holder, account_field, "Account", required=True) or {}
    if account.get("AccountType") != account_type:
        raise faults.business_validation(
            f"{holder_field}.{account_field} must be a {account_type} account "
            f"(got {account.get('AccountType')})",
            f"{holder_field}.{account_field}",
        )
    other = "CreditCardPayment" if pay_type == "Check" else "CheckPayment"
    if obj.get(other) is not None:
        raise faults.business_validation(f"A {pay_type} bill payment cannot carry {other}", other)
    if pay_type == "Check":
        holder.setdefault("PrintStatus", "NotSet")
    _apply(co, obj, old, "BillPayment")
    resolve_ref(co, obj, "APAccountRef", "Account", required=False)
    co.set_default_account(obj, "APAccountRef", "AccountsPayable")
    return obj
