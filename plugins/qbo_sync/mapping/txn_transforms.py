"""Named transforms a transaction mapping refers to where an entity truly needs code.

- ``us_sales_tax``: a US company's sales lines carry the pseudo tax codes ``TAX``/``NON``; the
  rate (a tax group code such as "California") goes once per transaction into
  ``TxnTaxDetail.TxnTaxCodeRef`` and QuickBooks computes ``TotalTax`` from it (qbo-api.md §9
  TaxCode; Intuit's "Manage sales tax for US locales" page). So a line whose CMMS tax code is a
  real code is sent as ``TAX`` and the code becomes the transaction's; two different rates on one
  invoice cannot be expressed and fail the record readably.
- ``expense_journal_entry``: an expense becomes a balanced two-line journal entry: debit the
  expense's own account (or the settings' debit account), credit the settings' credit account; an
  Accounts Payable line names the vendor and an Accounts Receivable line the customer (QuickBooks
  rejects either line without its party, per Intuit's JournalEntry reference).

Pure functions: the sync layer resolves ids and account types and passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from qbo_sync.mapping.transforms import json_number

PSEUDO_TAX_CODES = frozenset({"TAX", "NON"})


class TransformProblem(ValueError):
    """The record cannot be expressed in QuickBooks as it is; the text is for a bookkeeper."""


def us_sales_tax(body: dict[str, Any]) -> None:
    """Move a real tax code from the lines to ``TxnTaxDetail.TxnTaxCodeRef`` (in place)."""
    codes: set[str] = set()
    for line in body.get("Line") or []:
        detail = line.get(line.get("DetailType") or "", {})
        ref = detail.get("TaxCodeRef") if isinstance(detail, dict) else None
        if not isinstance(ref, dict):
            continue
        value = str(ref.get("value"))
        if value not in PSEUDO_TAX_CODES:
            codes.add(value)
            detail["TaxCodeRef"] = {"value": "TAX"}
    if len(codes) > 1:
        raise TransformProblem(
            "its lines use different sales tax rates; a QuickBooks invoice has one sales tax rate "
            "(taxable lines all use it). Use one tax code for all taxable lines, or split the invoice"
        )
    if codes:
        body["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": codes.pop()}}


@dataclass(frozen=True)
class Posting:
    """One side of an expense posting: the QuickBooks account and its type."""

    account_qb_id: str
    account_type: str | None
    account_name: str


@dataclass(frozen=True)
class Parties:
    """QuickBooks ids of the expense's vendor and of the customer it was incurred for (if any)."""

    vendor_qb_id: str | None
    customer_qb_id: str | None


def expense_journal_entry(
    amount: Decimal, debit: Posting, credit: Posting, parties: Parties, description: str
) -> list[dict[str, Any]]:
    """The two lines of the journal entry posting one expense (raises :class:`TransformProblem`)."""
    if amount <= 0:
        raise TransformProblem(f"its amount {amount:.2f} must be more than zero")
    return [
        _je_line("Debit", amount, debit, parties, description),
        _je_line("Credit", amount, credit, parties, description),
    ]


def _je_line(posting: str, amount: Decimal, side: Posting, parties: Parties, description: str) -> dict:
    detail: dict[str, Any] = {"PostingType": posting, "AccountRef": {"value": side.account_qb_id}}
    if side.account_type == "Accounts Payable":
        if parties.vendor_qb_id is None:
            raise TransformProblem(
                f"the {posting.lower()} account '{side.account_name}' is Accounts Payable, which "
                "QuickBooks only accepts with a vendor; the expense has no vendor"
            )
        detail["Entity"] = {"Type": "Vendor", "EntityRef": {"value": parties.vendor_qb_id}}
    elif side.account_type == "Accounts Receivable":
        if parties.customer_qb_id is None:
            raise TransformProblem(
                f"the {posting.lower()} account '{side.account_name}' is Accounts Receivable, which "
                "QuickBooks only accepts with a customer; the expense is for no invoice, work order "
                "or job with a customer"
            )
        detail["Entity"] = {"Type": "Customer", "EntityRef": {"value": parties.customer_qb_id}}
    return {
        "DetailType": "JournalEntryLineDetail",
        "Amount": json_number(amount),
        "Description": description,
        "JournalEntryLineDetail": detail,
    }


def balance_problems(lines: list[dict[str, Any]]) -> list[str]:
    """A journal entry has at least two lines and its debits equal its credits to the cent."""
    if len(lines) < 2:
        return [f"a journal entry needs at least two lines (it has {len(lines)})"]
    totals = {"Debit": Decimal(0), "Credit": Decimal(0)}
    for line in lines:
        detail = line.get("JournalEntryLineDetail") or {}
        totals[detail.get("PostingType", "Debit")] += Decimal(str(line.get("Amount", 0))).quantize(
            Decimal("0.01")
        )
    if totals["Debit"] != totals["Credit"]:
        return [f"debits {totals['Debit']:.2f} do not equal credits {totals['Credit']:.2f}"]
    return []
