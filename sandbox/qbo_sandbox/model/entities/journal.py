"""Rules for JournalEntry (expenses)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults
from qbo_sandbox.faults import QBOFault
from qbo_sandbox.model.entities.common import (
    as_json_number,
    check_enum,
    money,
    number_lines,
    require,
    require_lines,
    resolve_ref,
)
from qbo_sandbox.model.entities.sales import common_txn

if TYPE_CHECKING:
    from qbo_sandbox.model.entities.books import Books

POSTING_TYPES = ("Debit", "Credit")
ENTITY_TYPES = ("Customer", "Vendor", "Employee")


# QBO's own wording (issue 7's audit of QBO answers; REF-journalentry states the rules).
AR_NEEDS_CUSTOMER = "When you use Accounts Receivable, you must choose a customer in the Name field."
AP_NEEDS_VENDOR = "When you use Accounts Payable, you must choose a vendor in the Name field."
TWO_LINES = "Fill out at least two detail lines to continue."


def _je_line(co: Books, line: dict[str, Any], index: int, problems: list[QBOFault]) -> tuple[str, Decimal]:
    """Check one line; business problems go to ``problems`` (QBO reports them all at once)."""
    check_enum(line.get("DetailType"), ("JournalEntryLineDetail",), f"Line[{index}].DetailType")
    if line.get("Amount") is None:
        raise faults.required_param("Line.Amount", "JournalEntry")
    amount = money(line["Amount"], "Line.Amount")
    if amount < 0:
        problems.append(
            faults.business_validation(
                f"Line {index}: journal entry amounts cannot be negative (got {amount})"
            )
        )
    detail = line.get("JournalEntryLineDetail")
    if not isinstance(detail, dict):
        raise faults.required_param("JournalEntryLineDetail", "JournalEntry")
    posting = check_enum(require(detail, "PostingType"), POSTING_TYPES, "PostingType")
    account = resolve_ref(co, detail, "AccountRef", "Account", required=True) or {}
    party_type = _je_entity(co, detail)
    acct_type = account.get("AccountType")
    if acct_type == "Accounts Receivable" and party_type != "Customer":
        problems.append(faults.business_validation(AR_NEEDS_CUSTOMER))
    if acct_type == "Accounts Payable" and party_type != "Vendor":
        problems.append(faults.business_validation(AP_NEEDS_VENDOR))
    line["Amount"] = as_json_number(amount)
    return posting, amount


def _je_entity(co: Books, detail: dict[str, Any]) -> str | None:
    entity = detail.get("Entity")
    if entity is None:
        return None
    if not isinstance(entity, dict):
        raise faults.invalid_value("Entity", 'Entity must be {"Type": ..., "EntityRef": {...}}')
    party_type = check_enum(require(entity, "Type"), ENTITY_TYPES, "Entity.Type")
    resolve_ref(co, entity, "EntityRef", party_type, required=True)
    return party_type


def prepare_journal_entry(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """JournalEntry rules (REF-journalentry): two or more lines, A/R lines name a customer, A/P
    lines a vendor, debits equal credits (on cent-rounded amounts). Every problem found is one
    ``Error[]`` entry of a single 6000 fault."""
    common_txn(co, obj, "JournalEntry")
    lines = require_lines(obj, "JournalEntry")
    problems: list[QBOFault] = []
    if len(lines) < 2:
        problems.append(faults.business_validation(TWO_LINES))
    totals = {"Debit": Decimal(0), "Credit": Decimal(0)}
    for index, line in enumerate(lines, start=1):
        posting, amount = _je_line(co, line, index, problems)
        totals[posting] += amount
    if len(lines) >= 2 and totals["Debit"] != totals["Credit"]:
        problems.append(unbalanced(totals["Debit"], totals["Credit"]))
    if problems:
        raise faults.QBOFault.several(problems)
    number_lines(lines)
    obj["Line"] = lines
    obj["Adjustment"] = obj.get("Adjustment") is True
    obj["TotalAmt"] = 0  # read-only and always 0 on journal entries (qbo-api.md §9)
    return obj


def unbalanced(debits: Decimal, credits: Decimal) -> QBOFault:
    """6000 for debits != credits. The rule is REF-journalentry's; QBO's exact Detail is
    UNCONFIRMED (this wording names both totals so a person can fix the entry)."""
    return faults.business_validation(
        f"Transaction is not balanced. Total debits ({debits:.2f}) must equal total credits ({credits:.2f})."
    )
