"""What a void leaves of a transaction (REF-invoice, REF-payment: "amounts zeroed, Voided
prepended to PrivateNote"; the object stays and keeps its Id).

A voided Payment: QBO answers with no lines and zero amounts (issue 7's audit; UNCONFIRMED, so
``CompanyOptions.voided_payment_lines`` = ``"zeroed"`` keeps the lines with zero amounts instead).
Either way its applications end, so each invoice it paid gets its balance back (:mod:`.ledger`).
"""

from __future__ import annotations

import copy
from typing import Any

AMOUNT_FIELDS = ("TotalAmt", "Balance", "UnappliedAmt", "HomeBalance", "HomeTotalAmt")


def voided(entity: str, old: dict[str, Any], system_keys: tuple[str, ...], payment_lines: str) -> dict:
    """The voided version of ``old`` (without system keys; the company stamps it)."""
    obj = {k: copy.deepcopy(v) for k, v in old.items() if k not in system_keys}
    if entity in ("Payment", "BillPayment") and payment_lines == "removed":
        obj["Line"] = []
    zero_amounts(obj)
    note = obj.get("PrivateNote")
    obj["PrivateNote"] = f"Voided - {note}" if note and not str(note).startswith("Voided") else "Voided"
    return obj


def zero_amounts(obj: dict[str, Any]) -> None:
    """Zero every amount of a transaction being voided."""
    for line in obj.get("Line") or []:
        line["Amount"] = 0
        line.pop("LineEx", None)
        for detail in line.values():
            if isinstance(detail, dict) and "UnitPrice" in detail:
                detail["UnitPrice"] = 0
    for field in AMOUNT_FIELDS:
        if field in obj:
            obj[field] = 0
    tax = obj.get("TxnTaxDetail")
    if isinstance(tax, dict):
        tax["TotalTax"] = 0
        for tax_line in tax.get("TaxLine") or []:
            tax_line["Amount"] = 0
