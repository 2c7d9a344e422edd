"""QBO's Report Service over the sandbox's books: the reports reconciliation reads.

``GET /v3/company/{realm}/reports/{ReportName}?report_date=…`` answers, like QuickBooks, a report
object ``{"Header": …, "Columns": {"Column": [...]}, "Rows": {"Row": [...]}}`` (no ``time``
envelope: the report's own ``Header.Time`` carries the server time). Shapes follow Intuit's Report
Service reference (entities ``CustomerBalance``, ``VendorBalance``, ``AgedReceivables`` a.k.a. AR
Aging Summary, ``TrialBalance``; developer.intuit.com/app/developer/qbo/docs/api/accounting/
report-entities/…): ``ColData`` values are strings, money with two decimals, the first column
carries the party or account ``id``; data rows, then a ``Section`` row of ``group`` ``GrandTotal``
whose ``Summary.ColData`` starts with ``TOTAL``.

How the figures are computed (accrual basis, as of ``report_date``, default: the company's today):

- **CustomerBalance**: per customer, invoices' ``TotalAmt`` (TxnDate ≤ as-of) minus payments'
  ``TotalAmt`` (TxnDate ≤ as-of): open invoices less unapplied payments, as A/R shows them.
  Customers with a zero balance are left out.
- **VendorBalance**: per vendor, bills' ``TotalAmt`` minus bill payments' ``TotalAmt``.
- **AgedReceivables**: each invoice's balance as of the date (``TotalAmt`` minus applications of
  payments dated on or before it), bucketed by days past ``DueDate`` (Current, 1 - 30, 31 - 60,
  61 - 90, 91 and over); unapplied payment amounts count as negative in Current (UNCONFIRMED: QBO
  ages credits by their own date; the totals per customer are the same either way).
- **TrialBalance**: debits and credits per account from invoices (A/R, income per item, sales tax
  payable), payments (deposit account, A/R), bills (A/P, expense per line), bill payments and
  journal entries; accounts' opening balances are not included.

Whether an empty report carries ``"Rows": {}`` or only its GrandTotal row is UNCONFIRMED; the
sandbox sends ``Option`` ``NoReportData`` = ``true`` and ``"Rows": {}``, which readers must accept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

Books = Mapping[str, list[dict[str, Any]]]
ZERO = Decimal(0)
AGING_COLUMNS = ("Current", "1 - 30", "31 - 60", "61 - 90", "91 and over")
REPORT_ENTITIES = (
    "Customer",
    "Vendor",
    "Account",
    "Item",
    "Invoice",
    "Payment",
    "Bill",
    "BillPayment",
    "JournalEntry",
)


class ReportParamError(ValueError):
    """A report parameter QBO would refuse (the HTTP layer turns it into a 400 fault)."""

    def __init__(self, name: str, value: str, detail: str) -> None:
        super().__init__(f"{name}={value!r}: {detail}")
        self.name, self.value, self.detail = name, value, detail


def money_text(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):.2f}"


def to_money(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


def txn_date(obj: dict[str, Any]) -> date:
    return date.fromisoformat(str(obj.get("TxnDate") or obj["MetaData"]["CreateTime"][:10]))


def parse_date(params: Mapping[str, str], name: str, default: date) -> date:
    raw = params.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ReportParamError(name, raw, "expected a date as YYYY-MM-DD") from None


def _id_filter(params: Mapping[str, str], name: str) -> set[str] | None:
    raw = params.get(name)
    return {part.strip() for part in raw.split(",") if part.strip()} if raw else None


def report_header(name: str, now: datetime, options: dict[str, str], *, no_data: bool, **extra: str) -> dict:
    opts = [{"Name": k, "Value": v} for k, v in options.items()]
    opts.append({"Name": "NoReportData", "Value": "true" if no_data else "false"})
    return {
        "Time": now.isoformat(timespec="seconds"),
        "ReportName": name,
        **extra,
        "Currency": "USD",
        "Option": opts,
    }


def report_body(
    header: dict, columns: list[tuple[str, str]], rows: list[dict], total: list[Decimal] | None
) -> dict:
    body: dict[str, Any] = {
        "Header": header,
        "Columns": {"Column": [{"ColType": t, "ColTitle": title} for t, title in columns]},
        "Rows": {},
    }
    if rows:
        summary = [{"value": "TOTAL"}, *({"value": money_text(v)} for v in total or [])]
        body["Rows"] = {
            "Row": [*rows, {"group": "GrandTotal", "type": "Section", "Summary": {"ColData": summary}}]
        }
    return body


def name_of(party: dict[str, Any]) -> str:
    return str(party.get("DisplayName") or party.get("Name") or party["Id"])


def _balances(docs: Iterable[dict], pays: Iterable[dict], party: str, as_of: date) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for doc in docs:
        if txn_date(doc) <= as_of:
            out[doc[party]["value"]] += to_money(doc.get("TotalAmt"))
    for pay in pays:
        if txn_date(pay) <= as_of:
            out[pay[party]["value"]] -= to_money(pay.get("TotalAmt"))
    return out


def _party_report(name: str, books: Books, params: Mapping[str, str], now: datetime, spec: tuple) -> dict:
    party_entity, doc_entity, pay_entity, filter_name = spec
    as_of = parse_date(params, "report_date", now.date())
    wanted = _id_filter(params, filter_name)
    balances = _balances(
        books.get(doc_entity, []),
        books.get(pay_entity, []),
        "CustomerRef" if party_entity == "Customer" else "VendorRef",
        as_of,
    )
    parties = {p["Id"]: p for p in books.get(party_entity, [])}
    rows, total = [], ZERO
    for pid in sorted(balances, key=lambda i: name_of(parties.get(i, {"Id": i})).lower()):
        amount = balances[pid]
        if amount == ZERO or (wanted is not None and pid not in wanted):
            continue
        total += amount
        label = name_of(parties.get(pid, {"Id": pid}))
        rows.append({"ColData": [{"id": pid, "value": label}, {"value": money_text(amount)}]})
    header = report_header(name, now, {"report_date": as_of.isoformat()}, no_data=not rows, DateMacro="all")
    return report_body(header, [(party_entity, ""), ("Money", "Total")], rows, [total])


def customer_balance(books: Books, params: Mapping[str, str], now: datetime) -> dict:
    return _party_report(
        "CustomerBalance", books, params, now, ("Customer", "Invoice", "Payment", "customer")
    )


def vendor_balance(books: Books, params: Mapping[str, str], now: datetime) -> dict:
    return _party_report("VendorBalance", books, params, now, ("Vendor", "Bill", "BillPayment", "vendor"))


def _bucket(days_late: int) -> int:
    if days_late <= 0:
        return 0
    return min(4, 1 + (days_late - 1) // 30)


def _applied_by(payments: Iterable[dict], as_of: date) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Per invoice, what payments dated up to ``as_of`` applied; per customer, what they left unapplied."""
    applied: dict[str, Decimal] = defaultdict(lambda: ZERO)
    unapplied: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for pay in payments:
        if txn_date(pay) > as_of:
            continue
        used = ZERO
        for line in pay.get("Line") or []:
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") == "Invoice":
                    applied[link["TxnId"]] += to_money(line.get("Amount"))
                    used += to_money(line.get("Amount"))
        unapplied[pay["CustomerRef"]["value"]] += to_money(pay.get("TotalAmt")) - used
    return applied, unapplied


def aged_receivables(books: Books, params: Mapping[str, str], now: datetime) -> dict:
    as_of = parse_date(params, "report_date", now.date())
    method = params.get("aging_method", "Report_Date")
    if method not in ("Report_Date", "Current"):
        raise ReportParamError("aging_method", method, "supported values are Report_Date and Current")
    age_at = now.date() if method == "Current" else as_of
    wanted = _id_filter(params, "customer")
    applied, unapplied = _applied_by(books.get("Payment", []), as_of)
    buckets: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO] * 5)
    for inv in books.get("Invoice", []):
        if txn_date(inv) > as_of:
            continue
        open_amount = to_money(inv.get("TotalAmt")) - applied[inv["Id"]]
        if open_amount != ZERO:
            due = date.fromisoformat(str(inv.get("DueDate") or inv.get("TxnDate")))
            buckets[inv["CustomerRef"]["value"]][_bucket((age_at - due).days)] += open_amount
    for cid, amount in unapplied.items():
        buckets[cid][0] -= amount
    parties = {p["Id"]: p for p in books.get("Customer", [])}
    rows, totals = [], [ZERO] * 6
    for cid in sorted(buckets, key=lambda i: name_of(parties.get(i, {"Id": i})).lower()):
        cells = buckets[cid]
        total = sum(cells, ZERO)
        if not any(cells) or (wanted is not None and cid not in wanted):
            continue
        values = [*cells, total]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        cols = [{"value": money_text(v) if v else ""} for v in values]
        rows.append({"ColData": [{"id": cid, "value": name_of(parties.get(cid, {"Id": cid}))}, *cols]})
    header = report_header(
        "AgedReceivables",
        now,
        {"report_date": as_of.isoformat()},
        no_data=not rows,
        DateMacro="today",
        EndPeriod=as_of.isoformat(),
    )
    columns = [("Customer", ""), *(("Money", c) for c in AGING_COLUMNS), ("Money", "Total")]
    return report_body(header, columns, rows, totals)
