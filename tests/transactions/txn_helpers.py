"""Helpers of the transaction tests: CMMS rows to push, and a look into the sandbox company."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

# shared with the sync tests (StaticTokens is also imported from here by a killed-worker subprocess)
from tests.sync.conftest import StaticTokens
from tests.sync.sync_helpers import rows, scalar

__all__ = [
    "MASTERS", "StaticTokens", "add_bill", "add_invoice", "cmms_id", "execute", "first_linked",
    "invoice_objects", "qbo", "rows", "scalar",
]  # fmt: skip

MASTERS = ("accounts", "tax_codes", "tax_rates", "customers", "items", "vendors")


def execute(engine: sa.Engine, sql: str, **params: Any) -> Any:
    """Run ``sql`` in its own transaction and return its result (``RETURNING`` rows)."""
    with engine.begin() as conn:
        return conn.execute(sa.text(sql), params)


def qbo(sb: Any, statement: str) -> list[dict[str, Any]]:
    answer = sb.company.query(statement)
    return next((v for v in answer.values() if isinstance(v, list)), [])


def cmms_id(engine: sa.Engine, table: str, qb_id: str) -> int:
    return scalar(engine, f"SELECT id FROM {table} WHERE qb_id = :q", q=qb_id)


def first_linked(engine: sa.Engine, table: str, where: str = "TRUE") -> dict[str, Any]:
    return rows(engine, f"SELECT * FROM {table} WHERE qb_id IS NOT NULL AND {where} ORDER BY id LIMIT 1")[0]


def add_invoice(
    engine: sa.Engine,
    number: str,
    customer_id: int,
    lines: list[tuple[int, Any, Any, int | None]],
    *,
    total: Any = None,
    status: str = "open",
    due: str | None = "2026-12-31",
    discount: Any = None,
) -> int:
    """An invoice with ``lines`` of (item id, quantity, unit price, tax code id); amounts and the
    total are computed unless ``total`` is given."""
    amounts = [(Decimal(str(q)) * Decimal(str(p))).quantize(Decimal("0.01")) for _, q, p, _ in lines]
    subtotal = sum(amounts, Decimal(0))
    the_total = Decimal(str(total)) if total is not None else subtotal - Decimal(str(discount or 0))
    new_id = execute(
        engine,
        "INSERT INTO invoices (invoice_number, customer_id, invoice_date, due_date, "
        "subtotal, total, balance, "
        "status, discount_amount) VALUES (:n, :c, '2026-11-20', :due, :s, :t, :t, :st, :d) RETURNING id",
        n=number, c=customer_id, due=due, s=subtotal, t=the_total, st=status, d=discount,
    ).scalar_one()  # fmt: skip
    for no, ((item, qty, price, tax), amount) in enumerate(zip(lines, amounts, strict=True), start=1):
        execute(
            engine,
            "INSERT INTO invoice_lines (invoice_id, line_no, item_id, description, quantity, "
            "unit_price, amount, "
            "tax_code_id) VALUES (:i, :no, :item, :d, :q, :p, :a, :t)",
            i=new_id, no=no, item=item, d=f"line {no}", q=qty, p=price, a=amount, t=tax,
        )  # fmt: skip
    return int(new_id)


def add_bill(engine: sa.Engine, number: str | None, vendor_id: int, lines: list[dict[str, Any]]) -> int:
    """A bill; each line dict has item_id+quantity_received+unit_cost, or account_id+amount."""
    total = Decimal(0)
    for line in lines:
        if line.get("item_id"):
            line["amount"] = (
                Decimal(str(line["quantity_received"])) * Decimal(str(line["unit_cost"]))
            ).quantize(Decimal("0.01"))
        total += Decimal(str(line["amount"]))
    new_id = execute(
        engine,
        "INSERT INTO purchase_invoices (bill_number, vendor_id, bill_date, due_date, memo, total) "
        "VALUES (:n, :v, '2026-11-18', '2026-12-18', 'parts for WO-7', :t) RETURNING id",
        n=number, v=vendor_id, t=total,
    ).scalar_one()  # fmt: skip
    for no, line in enumerate(lines, start=1):
        execute(
            engine,
            "INSERT INTO purchase_invoice_lines (purchase_invoice_id, line_no, item_id, "
            "account_id, description, "
            "quantity_received, unit_cost, amount) VALUES (:i, :no, :item, :acct, :d, :q, :c, :a)",
            i=new_id, no=no, item=line.get("item_id"), acct=line.get("account_id"), d=f"bill line {no}",
            q=line.get("quantity_received"), c=line.get("unit_cost"), a=line["amount"],
        )  # fmt: skip
    return int(new_id)


def invoice_objects(sb: Any, where: str = "") -> list[dict[str, Any]]:
    return qbo(sb, f"SELECT * FROM Invoice{(' WHERE ' + where) if where else ''} MAXRESULTS 1000")
