"""Term (payment terms) rules and the due dates they give (REF-term; REF-invoice ``DueDate``:
"Date when the payment of the transaction is due", derived from the term when not sent).

A ``STANDARD`` term is due ``DueDays`` after the transaction date; a ``DATE_DRIVEN`` one on day
``DayOfMonthDue`` of the month, or of the next month when fewer than ``DueNextMonthDays`` days remain
(REF-term). An invoice without ``DueDate`` takes it from its ``SalesTermRef``, else the customer's
default term (``Customer.SalesTermRef``), else the company's (``Preferences.SalesFormsPrefs
.DefaultTerms``), else the transaction date; bills the same with ``Vendor.TermRef`` and
``VendorAndPurchasesPrefs.DefaultTerms``. A defaulted term is not written to ``SalesTermRef``: the
recorded invoice create (create__invoice.json) answers without one.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults
from qbo_sandbox.model.entities.common import check_enum, check_lengths, require, resolve_ref

if TYPE_CHECKING:
    from qbo_sandbox.model.entities.books import Books

TERM_TYPES = ("STANDARD", "DATE_DRIVEN")


def _whole(obj: dict[str, Any], field: str, low: int, high: int) -> None:
    value = obj.get(field)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise faults.invalid_value(field, f"{field} must be a whole number, got {value!r}")
    if not low <= int(value) <= high:
        raise faults.invalid_value(field, f"{field} must be between {low} and {high}, got {value}")
    obj[field] = int(value)


def prepare_term(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """Name (31 chars), Type STANDARD (DueDays) or DATE_DRIVEN (DayOfMonthDue)."""
    require(obj, "Name", "Term")
    check_lengths(obj, {"Name": 31})
    obj["Name"] = str(obj["Name"]).strip()
    term_type = check_enum(obj.get("Type") or "STANDARD", TERM_TYPES, "Type")
    obj["Type"] = term_type
    for field, high in (("DueDays", 999), ("DiscountDays", 999), ("DayOfMonthDue", 31),
                        ("DueNextMonthDays", 31), ("DiscountDayOfMonth", 31)):  # fmt: skip
        _whole(obj, field, 0 if field != "DayOfMonthDue" else 1, high)
    if term_type == "STANDARD":
        obj.setdefault("DueDays", 0)
    elif obj.get("DayOfMonthDue") is None:
        raise faults.required_param("DayOfMonthDue", "Term")
    obj["Active"] = obj.get("Active") is not False
    return obj


def due_date(term: dict[str, Any], txn_day: date) -> date:
    """The due date ``term`` gives a transaction dated ``txn_day``."""
    if term.get("Type") == "DATE_DRIVEN":
        day_due = int(term["DayOfMonthDue"])
        year, month = txn_day.year, txn_day.month
        candidate = date(year, month, min(day_due, calendar.monthrange(year, month)[1]))
        if candidate < txn_day or (candidate - txn_day).days < int(term.get("DueNextMonthDays") or 0):
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            candidate = date(year, month, min(day_due, calendar.monthrange(year, month)[1]))
        return candidate
    return txn_day + timedelta(days=int(term.get("DueDays") or 0))


def apply_term(
    co: Books, obj: dict[str, Any], txn_day: date, party: dict[str, Any] | None, *, vendor: bool = False
) -> None:
    """Validate ``SalesTermRef`` (unknown -> 2500) and fill ``DueDate`` when it was not sent."""
    term = resolve_ref(co, obj, "SalesTermRef", "Term", required=False)
    if term is None:
        term = _default_term(co, party, vendor)
    if obj.get("DueDate") in (None, ""):
        obj["DueDate"] = (due_date(term, txn_day) if term else txn_day).isoformat()


def _default_term(co: Books, party: dict[str, Any] | None, vendor: bool) -> dict[str, Any] | None:
    party_field = "TermRef" if vendor else "SalesTermRef"
    prefs = "VendorAndPurchasesPrefs.DefaultTerms" if vendor else "SalesFormsPrefs.DefaultTerms"
    for ref in ((party or {}).get(party_field), co.preference(prefs)):
        if isinstance(ref, dict) and ref.get("value"):
            term = co.lookup("Term", str(ref["value"]))
            if term is not None and term.get("Active") is not False:
                return term
    return None
