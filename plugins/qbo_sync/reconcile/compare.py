"""Comparing the CMMS with QuickBooks: pure functions that turn both sides into drifts.

A :class:`Drift` is one difference: which check found it, about what, both values, the amount at
stake and the likely cause in words a bookkeeper reads. Amounts compare to the cent.

Causes are inferred from what each side knows (documented per check): a total or tax QuickBooks
changed after the push (it differs from the figure the push stored, or, where none was stored, the
object changed after the CMMS last synced it) was "edited in QuickBooks after the push"; an invoice
voided on one side only says which side; a linked Id QuickBooks no
longer has was "deleted in QuickBooks"; a balance QuickBooks shows lower than the CMMS is a
"payment recorded in QuickBooks not yet pulled", higher a "payment voided or deleted in QuickBooks
not yet pulled".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from qbo_sync.qbo.paging import parse_qbo_time
from qbo_sync.reconcile.report_table import ReportTable

CENT = Decimal("0.01")
ZERO = Decimal(0)
AGING_BUCKETS = ("Current", "1 - 30", "31 - 60", "61 - 90", "91 and over")


@dataclass(frozen=True)
class Drift:
    check_name: str
    subject: str
    cause: str
    cmms_value: str | None = None
    qbo_value: str | None = None
    amount_at_stake: Decimal = ZERO
    entity: str | None = None
    cmms_id: int | None = None
    qb_id: str | None = None


@dataclass(frozen=True)
class TxnKind:
    """How one transaction table compares with its QuickBooks entity."""

    table: str  # CMMS table
    entity: str  # QuickBooks entity
    label: str  # how a person calls one ("invoice")
    number: str  # CMMS column holding its number
    party: str | None  # QuickBooks ref field of the customer or vendor
    party_col: str | None  # CMMS column holding the party's QuickBooks Id (joined in by the reader)


INVOICE = TxnKind("invoices", "Invoice", "invoice", "invoice_number", "CustomerRef", "customer_qb_id")
BILL = TxnKind("purchase_invoices", "Bill", "bill", "bill_number", "VendorRef", "vendor_qb_id")
JOURNAL = TxnKind("expenses", "JournalEntry", "expense journal entry", "id", None, None)


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT) if value is not None else ZERO


def is_voided(obj: dict[str, Any]) -> bool:
    return str(obj.get("PrivateNote") or "").startswith("Voided") and money(obj.get("TotalAmt")) == ZERO


def journal_total(obj: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """(debits, credits) of a journal entry."""
    sums = {"Debit": ZERO, "Credit": ZERO}
    for line in obj.get("Line") or []:
        posting = (line.get("JournalEntryLineDetail") or {}).get("PostingType")
        if posting in sums:
            sums[posting] += money(line.get("Amount"))
    return sums["Debit"], sums["Credit"]


# QuickBooks' own figures the push stored when QuickBooks last agreed to the record
STORED_FIGURES = {"total": "qb_total_amt", "tax": "qb_total_tax"}


def _edited_after(obj: dict[str, Any], row: dict[str, Any]) -> bool:
    stamp = (obj.get("MetaData") or {}).get("LastUpdatedTime")
    known = row.get("qb_last_updated_at")
    return bool(stamp and known and parse_qbo_time(stamp) > known)


def _edited_figure(figure: str, qbo: Decimal, row: dict[str, Any], obj: dict[str, Any]) -> bool:
    """Whether QuickBooks changed ``figure`` after the push. The figure the push stored says so
    exactly; ``LastUpdatedTime`` only when none was stored, since QuickBooks also moves it when a
    payment is applied to the record, which changes no total."""
    stored = row.get(STORED_FIGURES.get(figure, ""))
    if stored is not None:
        return money(stored) != qbo
    return _edited_after(obj, row)


def _subject(kind: TxnKind, row: dict[str, Any]) -> str:
    return f"{kind.label} {row.get(kind.number) or row['id']}"


def _drift(kind: TxnKind, row: dict[str, Any], check: str, cause: str, **values: Any) -> Drift:
    return Drift(
        f"{kind.entity.lower()}.{check}",
        _subject(kind, row),
        cause,
        entity=kind.table,
        cmms_id=row["id"],
        qb_id=row.get("qb_id"),
        **values,
    )


def _total_figures(
    kind: TxnKind, row: dict[str, Any], obj: dict[str, Any]
) -> list[tuple[str, Decimal, Decimal]]:
    if kind is JOURNAL:
        return [("amount", money(row.get("amount")), journal_total(obj)[0])]
    figures = [("total", money(row.get("total")), money(obj.get("TotalAmt")))]
    if kind is INVOICE:
        figures.append(
            ("tax", money(row.get("tax_total")), money((obj.get("TxnTaxDetail") or {}).get("TotalTax")))
        )
        if row.get("status") != "void":
            figures.append(("balance", money(row.get("balance")), money(obj.get("Balance"))))
    return figures


def _figure_cause(kind: TxnKind, figure: str, cmms: Decimal, qbo: Decimal, edited: bool) -> str:
    if figure == "balance":
        if qbo < cmms:
            return "payment recorded in QuickBooks not yet pulled into the CMMS"
        return "payment voided or deleted in QuickBooks not yet pulled into the CMMS"
    if edited:
        return f"{kind.label} edited in QuickBooks after the push"
    return f"QuickBooks computed a different {figure} than the CMMS (tax or rounding)"


def compare_linked(
    kind: TxnKind, rows: Iterable[dict[str, Any]], objs: dict[str, dict[str, Any]]
) -> list[Drift]:
    """Each CMMS row marked synced against the QuickBooks object its ``qb_id`` names."""
    out: list[Drift] = []
    for row in rows:
        qb_id = row.get("qb_id")
        if not qb_id:
            if row.get("qb_status") == "error":
                amount = money(row.get("total") if kind is not JOURNAL else row.get("amount"))
                out.append(
                    _drift(
                        kind,
                        row,
                        "failed_push",
                        f"failed push, not in QuickBooks: {row.get('qb_error')}",
                        cmms_value=str(amount),
                        amount_at_stake=amount,
                    )
                )
            continue
        obj = objs.get(str(qb_id))
        if obj is None:
            amount = money(row.get("total") if kind is not JOURNAL else row.get("amount"))
            out.append(
                _drift(
                    kind,
                    row,
                    "missing",
                    f"deleted in QuickBooks (Id {qb_id} no longer exists)",
                    cmms_value=str(amount),
                    amount_at_stake=amount,
                )
            )
            continue
        out.extend(_compare_one(kind, row, obj))
    return out


def _compare_one(kind: TxnKind, row: dict[str, Any], obj: dict[str, Any]) -> list[Drift]:
    if kind is not JOURNAL and row.get("status") == "void":
        # Voided on both sides: QuickBooks zeroed its figures, the CMMS keeps the original ones for
        # the record; neither counts in a balance, so there is nothing to compare.
        if is_voided(obj):
            return []
        amount = money(obj.get("TotalAmt"))
        return [
            _drift(
                kind,
                row,
                "voided",
                f"{kind.label} voided in the CMMS, not in QuickBooks (the void was not pushed, or "
                "QuickBooks refused it)",
                cmms_value="void",
                qbo_value="open",
                amount_at_stake=amount,
            )
        ]
    if kind is not JOURNAL and is_voided(obj):
        amount = money(row.get("total"))
        return [
            _drift(
                kind,
                row,
                "voided",
                f"{kind.label} voided in QuickBooks, not in the CMMS",
                cmms_value=row.get("status") or "open",
                qbo_value="void",
                amount_at_stake=amount,
            )
        ]
    out: list[Drift] = []
    total_gap = ZERO
    for figure, cmms, qbo in _total_figures(kind, row, obj):
        if cmms == qbo:
            continue
        cause = _figure_cause(kind, figure, cmms, qbo, _edited_figure(figure, qbo, row, obj))
        if figure == "total":
            total_gap = cmms - qbo
        elif figure == "balance" and cmms - qbo == total_gap:
            cause = "follows the total difference: the balance is the total less payments"
        values = {"cmms_value": str(cmms), "qbo_value": str(qbo), "amount_at_stake": abs(cmms - qbo)}
        out.append(_drift(kind, row, figure, cause, **values))
    if kind is JOURNAL:
        debit, credit = journal_total(obj)
        if debit != credit:
            out.append(
                _drift(
                    kind,
                    row,
                    "unbalanced",
                    "journal entry in QuickBooks does not balance",
                    cmms_value=str(debit),
                    qbo_value=str(credit),
                    amount_at_stake=abs(debit - credit),
                )
            )
    elif kind.party and kind.party_col and row.get(kind.party_col):
        qbo_party = str((obj.get(kind.party) or {}).get("value"))
        if qbo_party != str(row[kind.party_col]):
            out.append(
                _drift(
                    kind,
                    row,
                    "party",
                    f"{kind.party[:-3].lower()} changed in QuickBooks",
                    cmms_value=str(row[kind.party_col]),
                    qbo_value=qbo_party,
                    amount_at_stake=money(obj.get("TotalAmt")),
                )
            )
    return out


def compare_unlinked(kind: TxnKind, objs: dict[str, dict[str, Any]], linked: set[str]) -> list[Drift]:
    """QuickBooks objects no CMMS row links to."""
    out = []
    for qb_id, obj in objs.items():
        if qb_id in linked or is_voided(obj):
            continue
        amount = money(obj.get("TotalAmt")) if kind is not JOURNAL else journal_total(obj)[0]
        number = obj.get("DocNumber") or qb_id
        out.append(
            Drift(
                f"{kind.entity.lower()}.unlinked",
                f"QuickBooks {kind.entity} {number} (Id {qb_id})",
                f"created directly in QuickBooks: no CMMS {kind.table} row links to it",
                qbo_value=str(amount),
                amount_at_stake=amount,
                qb_id=qb_id,
            )
        )
    return out


def compare_balances(
    check: str,
    label: str,
    cmms: dict[str, Decimal],
    report: ReportTable,
    names: dict[str, str],
    explained: set[str],
    cause: str,
) -> list[Drift]:
    """Per party, the CMMS open balance against a QuickBooks balance report's total column."""
    qbo = report.by_id()
    out = []
    for party in sorted(set(cmms) | set(qbo)):
        mine, theirs = cmms.get(party, ZERO).quantize(CENT), qbo.get(party, ZERO).quantize(CENT)
        if mine == theirs:
            continue
        why = "explained by the record differences listed for it" if party in explained else cause
        out.append(
            Drift(
                check,
                f"{label} {names.get(party, party)} (QuickBooks Id {party})",
                why,
                cmms_value=str(mine),
                qbo_value=str(theirs),
                amount_at_stake=abs(mine - theirs),
                qb_id=party,
            )
        )
    return out


def aging_buckets(invoices: Iterable[dict[str, Any]], as_of: date) -> tuple[Decimal, ...]:
    """The CMMS's receivables aged like QuickBooks' AgedReceivables (by days past due)."""
    buckets = [ZERO] * len(AGING_BUCKETS)
    for inv in invoices:
        balance = money(inv.get("balance"))
        if not balance or inv.get("status") == "void":
            continue
        due = inv.get("due_date") or inv.get("invoice_date") or as_of
        late = (as_of - due).days
        buckets[0 if late <= 0 else min(4, 1 + (late - 1) // 30)] += balance
    return tuple(buckets)


def compare_aging(cmms: tuple[Decimal, ...], unapplied: Decimal, report: ReportTable) -> list[Drift]:
    """Aging totals per bucket (unapplied payments count in Current, as QuickBooks shows credits)."""
    mine = list(cmms)
    mine[0] -= unapplied
    theirs = list(report.totals[: len(AGING_BUCKETS)]) + [ZERO] * (len(AGING_BUCKETS) - len(report.totals))
    out = []
    for name, a, b in zip(AGING_BUCKETS, mine, theirs, strict=True):
        if a.quantize(CENT) != b.quantize(CENT):
            out.append(
                Drift(
                    "aging",
                    f"receivables aged {name}",
                    "receivables differ in this aging bucket: see the invoice and customer differences",
                    cmms_value=str(a),
                    qbo_value=str(b),
                    amount_at_stake=abs(a - b),
                )
            )
    return out


def compare_trial_balance(report: ReportTable) -> list[Drift]:
    debit, credit = (*report.totals, ZERO, ZERO)[:2]
    if debit == credit:
        return []
    return [
        Drift(
            "trial_balance",
            "QuickBooks trial balance",
            "QuickBooks' debits and credits do not agree",
            cmms_value=str(debit),
            qbo_value=str(credit),
            amount_at_stake=abs(debit - credit),
        )
    ]


def explained_parties(drifts: Iterable[Drift], party_of: dict[str, str]) -> set[str]:
    """Parties (QuickBooks Ids) with a record-level drift, through ``party_of`` (record qb_id -> party)."""
    out: set[str] = set()
    for d in drifts:
        if d.qb_id and d.qb_id in party_of:
            out.add(party_of[d.qb_id])
    return out


def by_subject(drifts: Iterable[Drift]) -> dict[tuple[str, str], Drift]:
    grouped: dict[tuple[str, str], Drift] = {}
    for d in drifts:
        grouped[(d.check_name, d.subject)] = d
    return grouped


def totals_by_party(rows: Iterable[dict[str, Any]], party_col: str, amount_col: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        if row.get(party_col):
            out[str(row[party_col])] += money(row.get(amount_col))
    return dict(out)


def utc_date(moment: datetime) -> date:
    return moment.date()
