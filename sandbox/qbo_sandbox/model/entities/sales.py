"""Rules for sales forms (Invoice, SalesReceipt, Estimate) and Bills."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults
from qbo_sandbox.model.entities.common import (
    USD,
    as_json_number,
    check_enum,
    check_lengths,
    check_qty_price,
    money,
    number_lines,
    require_lines,
    resolve_ref,
)
from qbo_sandbox.model.entities.sales_lines import build_sales_lines
from qbo_sandbox.model.entities.tax import compute_tax
from qbo_sandbox.model.entities.terms import apply_term

if TYPE_CHECKING:
    from qbo_sandbox.model.entities.books import Books

BILL_LINE_TYPES = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")
TXN_LENGTHS = {"DocNumber": 21, "PrivateNote": 4000}


def txn_date(co: Books, obj: dict[str, Any], field: str = "TxnDate") -> date:
    """Parse (or default to today) a yyyy-MM-dd date field; 2010 when malformed."""
    value = obj.get(field)
    if value in (None, ""):
        today = co.now().date()
        obj[field] = today.isoformat()
        return today
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise faults.invalid_value(field, f"{field} {value!r} is not a yyyy-MM-dd date") from exc


def common_txn(co: Books, obj: dict[str, Any], entity: str) -> date:
    """Lengths, TxnDate (6210 on or before the books' closing date), CurrencyRef."""
    check_lengths(obj, TXN_LENGTHS)
    day = txn_date(co, obj)
    closed = co.preference("AccountingInfoPrefs.BookCloseDate")
    if closed and day <= date.fromisoformat(str(closed)[:10]):
        raise faults.period_closed(str(closed)[:10])
    obj["CurrencyRef"] = obj.get("CurrencyRef") or dict(USD)
    return day


def _copy_party_fields(obj: dict[str, Any], customer: dict[str, Any]) -> None:
    for field in ("BillAddr", "ShipAddr"):
        if field not in obj and isinstance(customer.get(field), dict):
            obj[field] = dict(customer[field])
    if "BillEmail" not in obj and isinstance(customer.get("PrimaryEmailAddr"), dict):
        obj["BillEmail"] = dict(customer["PrimaryEmailAddr"])


def prepare_sales_form(co: Books, obj: dict[str, Any], old: dict[str, Any] | None, entity: str) -> dict:
    """Shared Invoice/SalesReceipt/Estimate rules; returns the object with totals computed."""
    day = common_txn(co, obj, entity)
    # A SalesReceipt (cash sale) may omit the customer; invoices and estimates need one.
    customer = resolve_ref(co, obj, "CustomerRef", "Customer", required=entity != "SalesReceipt")
    obj["Line"], totals = build_sales_lines(co, require_lines(obj, entity))
    obj["ApplyTaxAfterDiscount"] = obj.get("ApplyTaxAfterDiscount") is True
    tax = compute_tax(co, obj, totals.taxable_base(obj["ApplyTaxAfterDiscount"]), customer)
    total = totals.subtotal - totals.discount + tax
    obj["TotalAmt"] = as_json_number(total)
    if not obj.get("DocNumber"):
        if old and old.get("DocNumber"):
            obj["DocNumber"] = old["DocNumber"]
        elif not co.preference("SalesFormsPrefs.CustomTxnNumbers"):
            obj["DocNumber"] = co.next_doc_number(entity)
    _copy_party_fields(obj, customer or {})
    obj.setdefault("PrintStatus", "NeedToPrint")
    obj.setdefault("EmailStatus", "NotSet")
    if entity == "Invoice":
        obj.setdefault("LinkedTxn", [])  # recorded invoices carry an empty list; sales receipts omit it
        _invoice_fields(co, obj, old, day, total, customer)
    elif entity == "SalesReceipt":
        obj["Balance"] = 0
        resolve_ref(co, obj, "DepositToAccountRef", "Account", required=False)
        co.set_default_account(obj, "DepositToAccountRef", "UndepositedFunds")
    else:
        obj.setdefault("TxnStatus", "Pending")
    return obj


def _invoice_fields(
    co: Books, obj: dict[str, Any], old: dict | None, day: date, total: Decimal, customer: dict | None
) -> None:
    if obj.get("DueDate") not in (None, ""):
        txn_date(co, obj, "DueDate")
    apply_term(co, obj, day, customer)
    for flag in (
        "AllowIPNPayment",
        "AllowOnlinePayment",
        "AllowOnlineCreditCardPayment",
        "AllowOnlineACHPayment",
    ):
        obj[flag] = obj.get(flag) is True
    applied = co.applied_total(old["Id"]) if old else Decimal(0)
    if applied > total:
        raise faults.business_validation(
            f"Invoice total {total} is less than the {applied} already received in payments; "
            "unlink or reduce the payments first",
            "TotalAmt",
        )
    obj["Balance"] = as_json_number(total - applied)
    if old is not None:
        obj["LinkedTxn"] = [t for t in old.get("LinkedTxn", []) if t.get("TxnType") == "Payment"]


def _bill_lines(co: Books, lines: list[dict[str, Any]]) -> Decimal:
    total = Decimal(0)
    for index, line in enumerate(lines, start=1):
        kind = check_enum(line.get("DetailType"), BILL_LINE_TYPES, f"Line[{index}].DetailType")
        if line.get("Amount") is None:
            raise faults.required_param("Line.Amount")
        amount = money(line["Amount"], "Line.Amount")
        detail = line.get(kind)
        if not isinstance(detail, dict):
            raise faults.required_param(kind)
        if kind == "AccountBasedExpenseLineDetail":
            resolve_ref(co, detail, "AccountRef", "Account", required=True)
        else:
            resolve_ref(co, detail, "ItemRef", "Item", required=True)
            check_qty_price(detail, amount, index, kind)
        resolve_ref(co, detail, "CustomerRef", "Customer", required=False)
        detail.setdefault("BillableStatus", "NotBillable")
        if detail.get("TaxCodeRef") is not None:
            resolve_ref(co, detail, "TaxCodeRef", "TaxCode", required=True)
        line["Amount"] = as_json_number(amount)
        total += amount
    return total


def prepare_bill(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    day = common_txn(co, obj, "Bill")
    vendor = resolve_ref(co, obj, "VendorRef", "Vendor", required=True)
    lines = require_lines(obj, "Bill")
    total = _bill_lines(co, lines)
    number_lines(lines)
    obj["Line"] = lines
    ap = resolve_ref(co, obj, "APAccountRef", "Account", required=False)
    if ap is not None and ap.get("AccountType") != "Accounts Payable":
        raise faults.business_validation("APAccountRef must be an Accounts Payable account", "APAccountRef")
    if ap is None:
        co.set_default_account(obj, "APAccountRef", "AccountsPayable")
    if obj.get("DueDate") not in (None, ""):
        txn_date(co, obj, "DueDate")
    apply_term(co, obj, day, vendor, vendor=True)
    applied = co.applied_total(old["Id"]) if old else Decimal(0)
    if applied > total:
        raise faults.business_validation(
            f"Bill total {total} is less than the {applied} already paid; "
            "unlink or reduce the bill payments first"
        )
    obj["TotalAmt"] = as_json_number(total)
    obj["Balance"] = as_json_number(total - applied)
    obj["LinkedTxn"] = [
        t for t in (old or {}).get("LinkedTxn", []) if t.get("TxnType", "").startswith("BillPayment")
    ]
    return obj
