"""The TrialBalance report: debits and credits per account, posted from the sandbox's transactions.

Postings (accrual basis, transactions dated on or before ``end_date``, default the company's today):

- Invoice: debit A/R ``TotalAmt``; credit each sales line's item ``IncomeAccountRef``; debit a
  discount line's ``DiscountAccountRef``; credit ``TxnTaxDetail.TotalTax`` to Sales Tax Payable.
- Payment: debit ``DepositToAccountRef`` (else Undeposited Funds), credit A/R, ``TotalAmt``.
- Bill: credit A/P ``TotalAmt``; debit each line's ``AccountRef`` or the item's expense (inventory:
  asset) account.
- BillPayment: debit A/P, credit the bank (``CheckPayment.BankAccountRef``) or card account.
- JournalEntry: each line as posted.

Inventory cost of sales and accounts' opening balances are not posted (both would add equal debits
and credits). Rows per Intuit's TrialBalance reference: ``ColData`` account (with ``id``), Debit,
Credit; a final ``Section`` row ``group`` ``Total`` whose summary holds the two totals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from qbo_sandbox.model.reports import ZERO, Books, money_text, parse_date, report_header, to_money, txn_date


class _Ledger:
    def __init__(self, books: Books) -> None:
        self.accounts = {a["Id"]: a for a in books.get("Account", [])}
        self.items = {i["Id"]: i for i in books.get("Item", [])}
        self.net: dict[str, Decimal] = defaultdict(lambda: ZERO)  # debit positive

    def first(self, *, acct_type: str | None = None, subtype: str | None = None, name_has: str = "") -> str:
        for acct in self.accounts.values():
            if acct_type and acct.get("AccountType") != acct_type:
                continue
            if subtype and acct.get("AccountSubType") != subtype:
                continue
            if name_has.lower() in str(acct.get("Name", "")).lower():
                return str(acct["Id"])
        return f"unknown:{acct_type or subtype}"

    def post(self, account: str | None, amount: Decimal, debit: bool) -> None:
        if account and amount:
            self.net[account] += amount if debit else -amount


def _ref(obj: dict[str, Any] | None, key: str) -> str | None:
    ref = (obj or {}).get(key)
    return str(ref["value"]) if isinstance(ref, dict) and ref.get("value") else None


def _sales_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        if line.get("DetailType") == "GroupLineDetail":
            out.extend(_sales_lines((line.get("GroupLineDetail") or {}).get("Line") or []))
        else:
            out.append(line)
    return out


def _invoice(led: _Ledger, inv: dict[str, Any]) -> None:
    led.post(
        _ref(inv, "ARAccountRef") or led.first(acct_type="Accounts Receivable"),
        to_money(inv.get("TotalAmt")),
        True,
    )
    for line in _sales_lines(inv.get("Line") or []):
        kind, amount = line.get("DetailType"), to_money(line.get("Amount"))
        if kind == "SalesItemLineDetail":
            item = led.items.get(_ref(line.get("SalesItemLineDetail"), "ItemRef") or "", {})
            led.post(_ref(item, "IncomeAccountRef") or led.first(acct_type="Income"), amount, False)
        elif kind == "DiscountLineDetail":
            account = _ref(line.get("DiscountLineDetail"), "DiscountAccountRef") or led.first(
                name_has="discount"
            )
            led.post(account, amount, True)
    tax = to_money((inv.get("TxnTaxDetail") or {}).get("TotalTax"))
    led.post(led.first(acct_type="Other Current Liability", name_has="tax"), tax, False)


def _bill(led: _Ledger, bill: dict[str, Any]) -> None:
    led.post(
        _ref(bill, "APAccountRef") or led.first(acct_type="Accounts Payable"),
        to_money(bill.get("TotalAmt")),
        False,
    )
    for line in bill.get("Line") or []:
        amount = to_money(line.get("Amount"))
        if line.get("DetailType") == "AccountBasedExpenseLineDetail":
            led.post(_ref(line.get("AccountBasedExpenseLineDetail"), "AccountRef"), amount, True)
        elif line.get("DetailType") == "ItemBasedExpenseLineDetail":
            item = led.items.get(_ref(line.get("ItemBasedExpenseLineDetail"), "ItemRef") or "", {})
            account = _ref(item, "AssetAccountRef") if item.get("Type") == "Inventory" else None
            led.post(account or _ref(item, "ExpenseAccountRef"), amount, True)


def _payment(led: _Ledger, pay: dict[str, Any]) -> None:
    amount = to_money(pay.get("TotalAmt"))
    led.post(_ref(pay, "DepositToAccountRef") or led.first(subtype="UndepositedFunds"), amount, True)
    led.post(_ref(pay, "ARAccountRef") or led.first(acct_type="Accounts Receivable"), amount, False)


def _bill_payment(led: _Ledger, pay: dict[str, Any]) -> None:
    amount = to_money(pay.get("TotalAmt"))
    led.post(_ref(pay, "APAccountRef") or led.first(acct_type="Accounts Payable"), amount, True)
    source = _ref(pay.get("CheckPayment"), "BankAccountRef") or _ref(
        pay.get("CreditCardPayment"), "CCAccountRef"
    )
    led.post(source or led.first(acct_type="Bank"), amount, False)


def _journal(led: _Ledger, je: dict[str, Any]) -> None:
    for line in je.get("Line") or []:
        detail = line.get("JournalEntryLineDetail") or {}
        led.post(
            _ref(detail, "AccountRef"), to_money(line.get("Amount")), detail.get("PostingType") == "Debit"
        )


POSTERS = {
    "Invoice": _invoice,
    "Payment": _payment,
    "Bill": _bill,
    "BillPayment": _bill_payment,
    "JournalEntry": _journal,
}


def trial_balance(books: Books, params: Mapping[str, str], now: datetime) -> dict:
    """The TrialBalance report as of ``end_date`` (or ``report_date``)."""
    end = parse_date(params, "end_date", parse_date(params, "report_date", now.date()))
    led = _Ledger(books)
    for entity, poster in POSTERS.items():
        for obj in books.get(entity, []):
            if txn_date(obj) <= end:
                poster(led, obj)
    rows, debit_total, credit_total = [], ZERO, ZERO
    for acct_id in sorted(led.net, key=lambda a: str(led.accounts.get(a, {}).get("Name", a)).lower()):
        net = led.net[acct_id]
        if net == ZERO:
            continue
        debit_total += max(net, ZERO)
        credit_total += max(-net, ZERO)
        name = str(led.accounts.get(acct_id, {}).get("Name", acct_id))
        cells = [
            {"value": money_text(net) if net > 0 else ""},
            {"value": money_text(-net) if net < 0 else ""},
        ]
        rows.append({"ColData": [{"value": name, "id": acct_id}, *cells], "type": "Data"})
    header = report_header(
        "TrialBalance",
        now,
        {},
        no_data=not rows,
        ReportBasis="Accrual",
        StartPeriod=end.replace(month=1, day=1).isoformat(),
        EndPeriod=end.isoformat(),
    )
    body: dict[str, Any] = {
        "Header": header,
        "Columns": {
            "Column": [
                {"ColTitle": "", "ColType": "Account"},
                {"ColTitle": "Debit", "ColType": "Money"},
                {"ColTitle": "Credit", "ColType": "Money"},
            ]
        },
        "Rows": {},
    }
    if rows:
        total = {
            "ColData": [
                {"value": "TOTAL"},
                {"value": money_text(debit_total)},
                {"value": money_text(credit_total)},
            ]
        }
        body["Rows"] = {"Row": [*rows, {"Summary": total, "type": "Section", "group": "Total"}]}
    return body
