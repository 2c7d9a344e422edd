"""From one CMMS transaction to the QuickBooks request body, or to the reason it cannot go yet.

Order of checks: the record's own data first (required dates and references, line amounts =
quantity x price to the cent, a balanced journal entry): a problem there fails the record
(:class:`Invalid`). Then references: one that is not linked to QuickBooks yet makes the record wait
(:class:`Waiting`, naming the reference); it goes out by itself once the master is synced.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from qbo_sync.mapping import RecordError, UnresolvedReference, row_to_qbo, set_path, validate_for_push
from qbo_sync.mapping.lines import line_problems, lines_to_qbo
from qbo_sync.mapping.model import Mapping
from qbo_sync.mapping.transforms import json_number
from qbo_sync.mapping.txn_transforms import TransformProblem, balance_problems, us_sales_tax
from qbo_sync.qbo.client import request_id_for
from qbo_sync.sync.push.txn.expense import expense_lines
from qbo_sync.sync.push.txn.source import Lookups, TxnRecord


class Invalid(Exception):
    """The record's own data would be refused; ``problems`` are for a bookkeeper."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Waiting(Exception):
    """A reference is not linked to QuickBooks yet; the text names it."""


@dataclass
class Outgoing:
    """One transaction on its way to QuickBooks."""

    record: TxnRecord
    body: dict[str, Any]  # without Id / SyncToken
    revision: str
    doc_number: str
    note_key: str  # the CMMS key in PrivateNote
    party_qb_id: str | None

    @property
    def cmms_id(self) -> int:
        return int(self.record.row["id"])

    def request_id(self, realm: str, entity: str, operation: str) -> str:
        return request_id_for(realm, entity, self.cmms_id, f"{operation}:{self.revision}")

    def bid(self, realm: str, entity: str, operation: str) -> str:
        return self.request_id(realm, entity, operation).replace("-", "")[:10]


def revision_of(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def doc_number(mapping: Mapping, row: dict[str, Any]) -> str:
    txn = mapping.transaction
    assert txn is not None
    value = row.get(txn.doc_number) if txn.doc_number else None
    return str(value).strip() if value not in (None, "") else txn.doc_number_default.format(**row)


def build(mapping: Mapping, rec: TxnRecord, look: Lookups) -> Outgoing:
    """The body of ``rec`` (raises :class:`Invalid` or :class:`Waiting`)."""
    txn = mapping.transaction
    assert txn is not None
    row = {k: v for k, v in rec.row.items() if k not in ("qb_id", "qb_sync_token")}
    who = mapping.describe(rec.row)
    problems = [
        p.removeprefix(f"{who}: ").rstrip(".") for p in validate_for_push(mapping, row, look.accounts)
    ]
    if txn.lines is not None:
        problems += line_problems(mapping, rec.lines)
    if problems:
        raise Invalid(problems)
    try:
        body = row_to_qbo(mapping, row, look.refs)
        _references(mapping, row, look, body)
        if txn.lines is not None:
            body["Line"] = lines_to_qbo(mapping, who, rec.lines, look.refs)
        elif txn.build == "expense_journal_entry":
            body["Line"] = expense_lines(mapping, row, look)
            problems = balance_problems(body["Line"])
        if txn.discount and row.get(txn.discount):
            body["Line"].append(_discount_line(Decimal(str(row[txn.discount]))))
        if txn.tax == "us_sales_tax":
            us_sales_tax(body)
    except UnresolvedReference as exc:
        raise Waiting(_waiting_text(who, exc, look)) from None
    except TransformProblem as exc:
        raise Invalid([str(exc)]) from None
    except RecordError as exc:
        raise Invalid([str(exc).removeprefix(f"{who}: ")]) from None
    if problems:
        raise Invalid(problems)
    number = doc_number(mapping, rec.row)
    note_key = txn.private_note.format(**rec.row)
    body["DocNumber"] = number
    extra = rec.row.get(txn.note_column) if txn.note_column else None
    body["PrivateNote"] = f"{note_key}. {extra}" if extra else note_key
    party = party_qb_id(mapping, row, look)
    return Outgoing(rec, body, revision_of(body), number, note_key, party)


def _references(mapping: Mapping, row: dict[str, Any], look: Lookups, body: dict[str, Any]) -> None:
    from qbo_sync.mapping import MissingRef

    txn = mapping.transaction
    assert txn is not None
    missing = []
    for ref in txn.extra_references:
        if row.get(ref.column) is None:
            continue
        qb_id = look.refs.to_qb_id(ref.table, int(row[ref.column]))
        if qb_id is None:
            missing.append(MissingRef(ref.column, ref.qbo, ref.table, str(row[ref.column]), "push"))
        else:
            set_path(body, ref.qbo, {"value": qb_id})
    if missing:
        raise UnresolvedReference(mapping.describe(row), missing)
    for rel in txn.related:
        via = row.get(rel.via)
        value = look.related.get((rel.table, rel.column), {}).get(int(via)) if via is not None else None
        if value not in (None, ""):
            set_path(body, rel.qbo, value)


def party_qb_id(mapping: Mapping, row: dict[str, Any], look: Lookups) -> str | None:
    txn = mapping.transaction
    if txn is None or not txn.party or row.get(txn.party) is None:
        return None
    ref = next(r for r in mapping.references if r.column == txn.party)
    return look.refs.to_qb_id(ref.table, int(row[txn.party]))


def _discount_line(amount: Decimal) -> dict[str, Any]:
    """A value-based discount on the invoice's subtotal (Intuit's Invoice reference, "Line:
    DiscountLine"; ``DiscountAccountRef`` left out: QuickBooks then books it to the company's default
    discount account)."""
    return {
        "DetailType": "DiscountLineDetail",
        "Amount": json_number(amount.quantize(Decimal("0.01"))),
        "DiscountLineDetail": {"PercentBased": False},
    }


def _waiting_text(who: str, exc: UnresolvedReference, look: Lookups) -> str:
    parts = []
    for m in exc.missing:
        kind = m.table.replace("_", " ").removesuffix("s")
        name = look.unlinked.get(m.table, {}).get(int(m.key)) if m.key.isdigit() else None
        parts.append(
            f"{kind} '{name}' (CMMS #{m.key}) is not in QuickBooks yet"
            if name
            else f"{kind} #{m.key} is not in QuickBooks yet"
        )
    return (
        f"{who}: waiting for a reference: {'; '.join(parts)}. It is sent automatically once that record "
        "is synced to QuickBooks."
    )


def agreed_revision(mapping: Mapping, out: Outgoing, obj: dict[str, Any]) -> str:
    """The revision the record has once QuickBooks' derived values (``fill``: a due date from
    terms) are stored back, so storing them does not look like a CMMS edit at the next run."""
    txn = mapping.transaction
    filled = [
        path for column, path in (txn.fill.items() if txn else []) if out.record.row.get(column) is None
    ]
    if not filled:
        return out.revision
    body = json.loads(json.dumps(out.body, default=str))
    for path in filled:
        value = obj
        for step in path.split("."):
            value = value.get(step) if isinstance(value, dict) else None
        if value is not None:
            set_path(body, path, value)
    return revision_of(body)
