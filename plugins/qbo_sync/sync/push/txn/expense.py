"""The expense side of the ``expense_journal_entry`` transform: resolve the accounts (the expense's
own debit account or ``qb_settings.expense_debit_account_id``, and
``qb_settings.expense_credit_account_id``), the vendor and the customer, and the description
naming the work order, job or invoice the expense was incurred for."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_sync.mapping import MissingRef, UnresolvedReference
from qbo_sync.mapping.model import Mapping
from qbo_sync.mapping.txn_transforms import Parties, Posting, TransformProblem, expense_journal_entry
from qbo_sync.sync.push.txn.source import Lookups

DEBIT_SETTING = "expense_debit_account_id"
CREDIT_SETTING = "expense_credit_account_id"


class SettingsMissing(Exception):
    """Expense posting cannot start: a setting is empty or its account is not in QuickBooks."""


def check_settings(look: Lookups) -> None:
    """Raise :class:`SettingsMissing` naming the setting that stops expense posting."""
    for name, side in ((DEBIT_SETTING, "debit"), (CREDIT_SETTING, "credit")):
        account_id = look.settings.get(name)
        if account_id is None:
            raise SettingsMissing(
                f"expenses are not posted: the setting qb_settings.{name} (the account expenses are "
                f"{side}ed to) is empty. Choose that account in the QuickBooks settings and run the sync "
                "again."
            )
        if look.refs.to_qb_id("accounts", int(account_id)) is None:
            raise SettingsMissing(
                f"expenses are not posted: the account in qb_settings.{name} (CMMS account #{account_id}) "
                "is not linked to QuickBooks. Pull the chart of accounts (or choose another account) first."
            )


def _posting(look: Lookups, account_id: int, column: str) -> Posting:
    qb_id = look.refs.to_qb_id("accounts", account_id)
    if qb_id is None:
        raise UnresolvedReference("", [MissingRef(column, "AccountRef", "accounts", str(account_id), "push")])
    info = look.accounts.get(account_id)
    return Posting(
        qb_id, info.account_type if info else None, (info.name if info else None) or f"#{account_id}"
    )


def _purpose(row: dict[str, Any], look: Lookups) -> tuple[str, int | None]:
    """What the expense was for, in words, and that record's customer (CMMS id)."""
    words, customer = [], None
    for column, table, label in (
        ("work_order_id", "work_orders", "work order"),
        ("job_id", "jobs", "job"),
        ("invoice_id", "invoices", "invoice"),
    ):
        if row.get(column) is None:
            continue
        number, cust = look.purposes.get(table, {}).get(int(row[column]), (None, None))
        words.append(f"{label} {number or '#' + str(row[column])}")
        customer = customer or cust
    return (" for " + ", ".join(words) if words else ""), customer


def expense_lines(mapping: Mapping, row: dict[str, Any], look: Lookups) -> list[dict[str, Any]]:
    if row.get("amount") is None:
        raise TransformProblem("it has no amount")
    debit_id = row.get("expense_account_id") or look.settings.get(DEBIT_SETTING)
    debit = _posting(
        look, int(debit_id), "expense_account_id" if row.get("expense_account_id") else DEBIT_SETTING
    )
    credit = _posting(look, int(look.settings[CREDIT_SETTING]), CREDIT_SETTING)
    purpose, customer_id = _purpose(row, look)
    vendor = look.refs.to_qb_id("vendors", int(row["vendor_id"])) if row.get("vendor_id") else None
    customer = look.refs.to_qb_id("customers", int(customer_id)) if customer_id else None
    missing = []
    if (
        row.get("vendor_id")
        and vendor is None
        and "Accounts Payable" in (debit.account_type, credit.account_type)
    ):
        missing.append(MissingRef("vendor_id", "Entity", "vendors", str(row["vendor_id"]), "push"))
    if (
        customer_id
        and customer is None
        and "Accounts Receivable" in (debit.account_type, credit.account_type)
    ):
        missing.append(MissingRef("customer_id", "Entity", "customers", str(customer_id), "push"))
    if missing:
        raise UnresolvedReference(mapping.describe(row), missing)
    text = (row.get("description") or "Expense").strip()
    description = f"{text} (CMMS expense {row['id']}{purpose})"[:4000]
    return expense_journal_entry(
        Decimal(str(row["amount"])), debit, credit, Parties(vendor, customer), description
    )
