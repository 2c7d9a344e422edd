"""Transaction mappings: the ``transaction`` block of a mapping file and its line sub-mappings.

A pushed transaction (invoice, bill, expense) is one header row plus line rows. The header maps
like any entity (``fields``/``references`` through :func:`~qbo_sync.mapping.apply.row_to_qbo`);
each line row maps through the first :class:`~qbo_sync.mapping.model.LineKind` whose ``when``
holds, as a small mapping of its own whose paths are inside one ``Line`` object, so the same
transforms and reference resolution apply to lines. Pure code: no database, no HTTP.

:func:`check_transaction` is the load-time check (columns against the contract's line tables and
the integration's own columns, transform names); :func:`complete_transaction` fills default
transforms; :func:`lines_to_qbo` builds the ``Line`` array; :func:`line_problems` is the pre-send
check "amount = quantity x price to the cent".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qbo_sync.mapping.apply import RefResolver, row_to_qbo
from qbo_sync.mapping.contract import CONTRACT_COLUMNS, FOREIGN_KEYS
from qbo_sync.mapping.errors import MissingRef, UnresolvedReference
from qbo_sync.mapping.model import FieldMap, LineKind, Mapping, Reference, condition_holds
from qbo_sync.mapping.transforms import DEFAULT_FOR_KIND, TRANSFORMS

CENT = Decimal("0.01")

# The contract's line tables (cmms-contract.md, "Transactions"), kinds as in ``contract.py``.
LINE_COLUMNS: dict[str, dict[str, str]] = {
    "invoice_lines": {
        "id": "int",
        "invoice_id": "int",
        "line_no": "int",
        "item_id": "int",
        "description": "text",
        "quantity": "decimal4",
        "unit_price": "decimal4",
        "amount": "money",
        "tax_code_id": "int",
    },
    "purchase_invoice_lines": {
        "id": "int",
        "purchase_invoice_id": "int",
        "line_no": "int",
        "item_id": "int",
        "account_id": "int",
        "description": "text",
        "quantity_received": "decimal4",
        "unit_cost": "decimal4",
        "amount": "money",
    },
}
LINE_REFERENCES: dict[tuple[str, str], str] = {
    ("invoice_lines", "item_id"): "items",
    ("invoice_lines", "tax_code_id"): "tax_codes",
    ("purchase_invoice_lines", "item_id"): "items",
    ("purchase_invoice_lines", "account_id"): "accounts",
}
# Columns the integration adds to transaction tables (migration 0007).
INTEGRATION_COLUMNS: dict[str, dict[str, str]] = {
    "invoices": {
        "discount_amount": "money",
        "qb_total_amt": "money",
        "qb_total_tax": "money",
        "qb_balance": "money",
    },
    "purchase_invoices": {"ap_account_id": "int", "qb_total_amt": "money", "qb_balance": "money"},
}
INTEGRATION_REFERENCES: dict[tuple[str, str], str] = {("purchase_invoices", "ap_account_id"): "accounts"}
TAX_TRANSFORMS = frozenset({"us_sales_tax"})
BUILD_TRANSFORMS = frozenset({"expense_journal_entry"})


def _columns(table: str) -> dict[str, str]:
    return {**CONTRACT_COLUMNS.get(table, {}), **INTEGRATION_COLUMNS.get(table, {})}


def check_transaction(mapping: Mapping) -> list[str]:
    """Load-time problems of the ``transaction`` block (empty when fine or absent)."""
    txn = mapping.transaction
    if txn is None:
        return []
    if mapping.direction != "push":
        return ["a `transaction` mapping must have `direction: push`"]
    cols = _columns(mapping.cmms_table)
    problems = [
        f"transaction: `{key}` refers to unknown column `{col}`"
        for key, col in (
            ("doc_number", txn.doc_number),
            ("note_column", txn.note_column),
            ("party", txn.party),
            ("total", txn.total),
            ("discount", txn.discount),
            *((f"store.{c}", c) for c in txn.store),
            *((f"fill.{c}", c) for c in txn.fill),
            *((f"void_when.{c}", c) for c in txn.void_when or {}),
        )
        if col is not None and col not in cols
    ]
    for rel in txn.related:
        if FOREIGN_KEYS.get((mapping.cmms_table, rel.via)) != rel.table:
            problems.append(
                f"transaction: related `{rel.qbo}`: `{rel.via}` is not a reference to `{rel.table}`"
            )
        elif rel.column not in CONTRACT_COLUMNS.get(rel.table, {}):
            problems.append(
                f"transaction: related `{rel.qbo}` refers to unknown column `{rel.table}.{rel.column}`"
            )
    for ref in txn.extra_references:
        if INTEGRATION_REFERENCES.get((mapping.cmms_table, ref.column)) != ref.table:
            problems.append(f"transaction: `{ref.qbo}`: `{ref.column}` is not a reference to `{ref.table}`")
    if txn.tax is not None and txn.tax not in TAX_TRANSFORMS:
        problems.append(
            f"transaction: unknown tax transform `{txn.tax}` (known: {', '.join(sorted(TAX_TRANSFORMS))})"
        )
    if txn.build is not None and txn.build not in BUILD_TRANSFORMS:
        problems.append(
            f"transaction: unknown build transform `{txn.build}` "
            f"(known: {', '.join(sorted(BUILD_TRANSFORMS))})"
        )
    if txn.lines is None and txn.build is None:
        problems.append("transaction: needs `lines` or a `build` transform")
    if txn.lines is not None:
        problems += _check_lines(mapping)
    return problems


def _check_lines(mapping: Mapping) -> list[str]:
    lines = mapping.transaction.lines  # type: ignore[union-attr]
    cols = LINE_COLUMNS.get(lines.table)
    if cols is None:
        return [
            f"transaction.lines: unknown line table `{lines.table}` "
            f"(known: {', '.join(sorted(LINE_COLUMNS))})"
        ]
    named = [lines.parent, lines.order_by, lines.amount, lines.quantity, lines.price]
    problems = [f"transaction.lines refers to unknown column `{c}`" for c in named if c and c not in cols]
    for kind in lines.kinds:
        where = f"transaction.lines `{kind.detail_type}`"
        problems += [
            f"{where}: `when` refers to unknown column `{c}`" for c in kind.when or {} if c not in cols
        ]
        for item in [*kind.fields, *kind.references]:
            if item.column not in cols:
                problems.append(f"{where}: field `{item.qbo}` refers to unknown column `{item.column}`")
            elif (
                isinstance(item, Reference) and LINE_REFERENCES.get((lines.table, item.column)) != item.table
            ):
                problems.append(f"{where}: `{item.column}` is not a reference to `{item.table}`")
            elif isinstance(item, FieldMap) and item.transform and item.transform not in TRANSFORMS:
                problems.append(f"{where}: field `{item.qbo}` uses unknown transform `{item.transform}`")
    return problems


def complete_transaction(mapping: Mapping) -> Mapping:
    """Fill the default transform of every line field from its column kind."""
    txn = mapping.transaction
    if txn is None or txn.lines is None:
        return mapping
    cols = LINE_COLUMNS[txn.lines.table]
    kinds = []
    for kind in txn.lines.kinds:
        fields = [
            f
            if f.transform
            else f.model_copy(update={"transform": DEFAULT_FOR_KIND[cols.get(f.column, "text")]})
            for f in kind.fields
        ]
        kinds.append(kind.model_copy(update={"fields": fields}))
    lines = txn.lines.model_copy(update={"kinds": kinds})
    return mapping.model_copy(update={"transaction": txn.model_copy(update={"lines": lines})})


_KIND_MAPPINGS: dict[int, tuple[LineKind, Mapping]] = {}


def _kind_mapping(table: str, kind: LineKind) -> Mapping:
    """A kind of line as a mapping of its own (paths inside one ``Line``), for ``row_to_qbo``."""
    hit = _KIND_MAPPINGS.get(id(kind))
    if hit is not None and hit[0] is kind:
        return hit[1]
    made = Mapping(
        entity=f"{table}_{kind.detail_type}",
        cmms_table=table,
        qbo_entity="Line",
        label="Line",
        title_column="description",
        direction="push",
        fields=kind.fields,
        references=kind.references,
    )
    _KIND_MAPPINGS[id(kind)] = (kind, made)
    return made


def line_kind(mapping: Mapping, line: dict[str, Any]) -> LineKind | None:
    lines = mapping.transaction.lines  # type: ignore[union-attr]
    return next((k for k in lines.kinds if condition_holds(k.when, line)), None)


def lines_to_qbo(mapping: Mapping, record: str, lines: list[dict[str, Any]], refs: RefResolver) -> list[dict]:
    """The ``Line`` array of one transaction; every unlinked reference of every line is collected
    into one :class:`UnresolvedReference` naming ``record``."""
    spec = mapping.transaction.lines  # type: ignore[union-attr]
    out: list[dict[str, Any]] = []
    missing: list[MissingRef] = []
    for line in lines:
        kind = line_kind(mapping, line)
        if kind is None:
            continue  # line_problems reports it
        try:
            body = row_to_qbo(
                _kind_mapping(spec.table, kind), {k: v for k, v in line.items() if k != "qb_id"}, refs
            )
        except UnresolvedReference as exc:
            missing += exc.missing
            continue
        body["DetailType"] = kind.detail_type
        body.setdefault(kind.detail_type, {})
        out.append(body)
    if missing:
        raise UnresolvedReference(record, missing)
    return out


def line_problems(mapping: Mapping, lines: list[dict[str, Any]]) -> list[str]:
    """Pre-send problems of the line rows: no lines, a line of no known kind, a missing required
    reference, or an amount that is not quantity x price to the cent."""
    spec = mapping.transaction.lines  # type: ignore[union-attr]
    if not lines:
        return ["it has no lines; QuickBooks needs at least one"]
    problems = []
    for line in lines:
        no = line.get(spec.order_by) or line.get("id")
        kind = line_kind(mapping, line)
        if kind is None:
            problems.append(f"line {no} is neither {' nor '.join(k.detail_type for k in spec.kinds)}")
            continue
        for ref in kind.references:
            if ref.required and line.get(ref.column) is None:
                problems.append(f"line {no} has no {ref.human}")
        problems += _amount_problem(spec.amount, spec.quantity, spec.price, line, no)
    return problems


def _amount_problem(
    amount_col: str, qty_col: str | None, price_col: str | None, line: dict, no: Any
) -> list[str]:
    amount = line.get(amount_col)
    if amount is None:
        return [f"line {no} has no amount"]
    if not (qty_col and price_col) or line.get(qty_col) is None or line.get(price_col) is None:
        return []
    qty, price = Decimal(str(line[qty_col])), Decimal(str(line[price_col]))
    expected = (qty * price).quantize(CENT, rounding=ROUND_HALF_UP)
    if Decimal(str(amount)).quantize(CENT) != expected:
        return [
            f"line {no}: amount {Decimal(str(amount)):.2f} is not quantity {qty.normalize():f} x price "
            f"{price.normalize():f} = {expected:.2f}"
        ]
    return []
