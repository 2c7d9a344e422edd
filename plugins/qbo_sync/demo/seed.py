"""``qbo-sync seed-demo``: insert the demo CMMS rows (:mod:`qbo_sync.demo.data`) that are missing.

Two stages, because a CMMS item or invoice names accounts and tax codes that only QuickBooks owns:

1. customers, vendors and work orders, always;
2. once the chart of accounts, tax codes and tax rates have been pulled into the CMMS (the full
   sync's reference entities): items with their income, expense and asset accounts, invoices with
   lines, a tax code and a discount, bills, expenses, and the settings' expense accounts when they
   are empty. Accounts are resolved by name among the pulled ones (any of the same type stands in).

Idempotent: a row whose key is already there is left alone (see the keys in ``data``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from qbo_sync.demo import data
from qbo_sync.demo.data import AccountSpec

CENT = Decimal("0.01")
REFERENCE = (
    ("accounts", "the chart of accounts"),
    ("tax_codes", "the tax codes"),
    ("tax_rates", "the tax rates"),
)


@dataclass
class SeedResult:
    inserted: dict[str, int] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)  # reference data not pulled yet
    problems: list[str] = field(default_factory=list)  # demo rows that could not be built

    def describe(self) -> str:
        lines = ["demo CMMS rows added: " + ", ".join(f"{k} {v}" for k, v in self.inserted.items())]
        if self.waiting:
            lines.append(
                f"items, invoices, bills and expenses wait for {', '.join(self.waiting)} from QuickBooks: "
                "run the full sync's reference entities, then seed-demo again"
            )
        lines.extend(f"not seeded: {p}" for p in self.problems)
        return "\n".join(lines)


def seed_demo(engine: sa.Engine, *, existing_qbo_customer: str | None = None) -> SeedResult:
    """Insert the demo rows that are not there yet (see the module docstring)."""
    from qbo_sync.db import schema as s

    wanted = list(data.CUSTOMERS)
    if existing_qbo_customer:  # typed in the CMMS in other capitals: the first sync links it
        wanted.append({"display_name": existing_qbo_customer.upper(), "notes": "typed in the CMMS"})
    result = SeedResult()
    with engine.begin() as conn:
        result.inserted["customers"] = _insert_new(conn, s.customers, "display_name", wanted)
        result.inserted["vendors"] = _insert_new(conn, s.vendors, "display_name", data.VENDORS)
        result.inserted["work_orders"] = _work_orders(conn)
        result.waiting = missing_reference_data(conn)
        if result.waiting:
            return result
        ref = _References.load(conn)
        result.inserted["items"] = _items(conn, ref, result.problems)
        result.inserted["invoices"] = _invoices(conn, ref, result.problems)
        result.inserted["bills"] = _bills(conn, ref, result.problems)
        result.inserted["expenses"] = _expenses(conn, ref, result.problems)
        _expense_settings(conn, ref, result.problems)
    return result


def missing_reference_data(conn: sa.Connection) -> list[str]:
    """What QuickBooks owns that the CMMS has not pulled yet (no linked row in the table)."""
    return [
        words
        for table, words in REFERENCE
        if conn.execute(sa.text(f"SELECT 1 FROM {table} WHERE qb_id IS NOT NULL LIMIT 1")).first() is None
    ]


def _index(conn: sa.Connection, table: str, column: str) -> dict[str, int]:
    """Casefolded ``column`` -> the lowest id holding it."""
    out: dict[str, int] = {}
    for key, row_id in conn.execute(sa.text(f"SELECT {column}, id FROM {table} ORDER BY id")):
        if key is not None:
            out.setdefault(str(key).casefold(), int(row_id))
    return out


def _insert_new(conn: sa.Connection, table: sa.Table, key: str, rows: list[dict[str, Any]]) -> int:
    existing = _index(conn, table.name, key)
    new = [{**row, "active": True} for row in rows if row[key].casefold() not in existing]
    keys = {k for row in new for k in row}
    if new:  # one executemany needs the same keys in every row
        conn.execute(table.insert(), [{k: row.get(k) for k in keys} for row in new])
    return len(new)


def _work_orders(conn: sa.Connection) -> int:
    from qbo_sync.db.schema import work_orders

    existing, customers = _index(conn, "work_orders", "number"), _index(conn, "customers", "display_name")
    new = [
        {"number": n, "customer_id": customers.get(c.casefold()), "description": d, "status": st}
        for n, c, d, st in data.WORK_ORDERS
        if n.casefold() not in existing
    ]
    if new:
        conn.execute(work_orders.insert(), new)
    return len(new)


@dataclass
class _References:
    accounts: list[sa.Row]
    tax_code_id: int | None
    no_tax_code_id: int | None
    tax_rate: Decimal | None

    @classmethod
    def load(cls, conn: sa.Connection) -> _References:
        accounts = list(
            conn.execute(
                sa.text(
                    "SELECT id, name, account_type, account_sub_type FROM accounts "
                    "WHERE qb_id IS NOT NULL AND active ORDER BY id"
                )
            )
        )
        codes = {
            str(n).casefold(): int(i)
            for n, i in conn.execute(
                sa.text("SELECT name, id FROM tax_codes WHERE qb_id IS NOT NULL AND active")
            )
        }
        rate = conn.execute(
            sa.text("SELECT rate_value FROM tax_rates WHERE qb_id IS NOT NULL AND active AND name = :n"),
            {"n": data.TAX_CODE},
        ).scalar()
        return cls(
            accounts,
            codes.get(data.TAX_CODE.casefold()),
            codes.get(data.NO_TAX_CODE.casefold()),
            None if rate is None else Decimal(str(rate)),
        )

    def account(self, spec: AccountSpec, problems: list[str], what: str) -> int | None:
        for row in self.accounts:
            if row.name.casefold() == spec.name.casefold():
                return int(row.id)
        for row in self.accounts:
            if row.account_type == spec.account_type and spec.sub_type in (None, row.account_sub_type):
                return int(row.id)
        problems.append(
            f"{what}: no {spec.account_type} account like '{spec.name}' in the pulled chart of accounts"
        )
        return None


def _items(conn: sa.Connection, ref: _References, problems: list[str]) -> int:
    from qbo_sync.db.schema import items

    existing, new = _index(conn, "items", "name"), []
    for it in data.ITEMS:
        if it.name.casefold() in existing:
            continue
        what = f"item '{it.name}'"
        wanted = [("income_account_id", it.income), ("expense_account_id", it.expense),
                  ("asset_account_id", it.asset)]  # fmt: skip
        accounts = {column: ref.account(spec, problems, what) if spec else None for column, spec in wanted}
        if any(spec and accounts[column] is None for column, spec in wanted):
            continue
        inventory = it.item_type == "inventory"
        new.append(
            {
                "name": it.name, "sku": it.sku, "description": it.description, "item_type": it.item_type,
                "unit_price": Decimal(it.unit_price),
                "purchase_cost": Decimal(it.purchase_cost) if it.purchase_cost else None,
                "qty_on_hand": Decimal(it.qty_on_hand) if inventory and it.qty_on_hand else None,
                "inv_start_date": date.today() - timedelta(days=90) if inventory else None,
                "taxable": it.taxable, "active": True, **accounts,
            }
        )  # fmt: skip
    if new:
        conn.execute(items.insert(), new)
    return len(new)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _invoices(conn: sa.Connection, ref: _References, problems: list[str]) -> int:
    from qbo_sync.db.schema import invoice_lines, invoices

    if ref.tax_code_id is None or ref.tax_rate is None:
        problems.append(f"invoices: no tax code and rate '{data.TAX_CODE}' among the pulled tax codes")
        return 0
    existing = _index(conn, "invoices", "invoice_number")
    customers, orders = _index(conn, "customers", "display_name"), _index(conn, "work_orders", "number")
    item_ids, taxable = _index(conn, "items", "name"), {i.name.casefold(): i.taxable for i in data.ITEMS}
    count = 0
    for inv in data.INVOICES:
        if inv.number.casefold() in existing:
            continue
        missing = [n for n, _, _ in inv.lines if n.casefold() not in item_ids]
        if inv.customer.casefold() not in customers or missing:
            problems.append(
                f"invoice {inv.number}: customer '{inv.customer}' or items {missing} not in the CMMS"
            )
            continue
        lines, base = [], Decimal(0)
        for no, (name, qty, price) in enumerate(inv.lines, start=1):
            amount = _money(Decimal(qty) * Decimal(price))
            taxed = taxable[name.casefold()]
            base += amount if taxed else 0
            code = ref.tax_code_id if taxed else ref.no_tax_code_id
            lines.append({"line_no": no, "item_id": item_ids[name.casefold()], "description": name,
                          "quantity": Decimal(qty), "unit_price": Decimal(price), "amount": amount,
                          "tax_code_id": code})  # fmt: skip
        subtotal = sum((ln["amount"] for ln in lines), Decimal(0))
        # tax on the undiscounted taxable lines, as QuickBooks computes it (ApplyTaxAfterDiscount off)
        tax = _money(base * ref.tax_rate / 100)
        discount = Decimal(inv.discount) if inv.discount else None
        total = subtotal - (discount or 0) + tax
        day = date.today() - timedelta(days=inv.days_ago)
        new_id = conn.execute(
            invoices.insert().returning(invoices.c.id),
            {"invoice_number": inv.number, "customer_id": customers[inv.customer.casefold()],
             "invoice_date": day, "due_date": day + timedelta(days=30),
             "work_order_id": orders.get(inv.work_order.casefold()), "memo": inv.memo,
             "subtotal": subtotal, "tax_total": tax, "discount_amount": discount, "total": total,
             "paid_amount": Decimal(0), "balance": total, "status": "open"},
        ).scalar_one()  # fmt: skip
        conn.execute(invoice_lines.insert(), [{**ln, "invoice_id": new_id} for ln in lines])
        count += 1
    return count


def _bills(conn: sa.Connection, ref: _References, problems: list[str]) -> int:
    from qbo_sync.db.schema import purchase_invoice_lines, purchase_invoices

    vendors, item_ids = _index(conn, "vendors", "display_name"), _index(conn, "items", "name")
    have = {
        (v, str(n).casefold())
        for v, n in conn.execute(sa.text("SELECT vendor_id, bill_number FROM purchase_invoices"))
    }
    count = 0
    for bill in data.BILLS:
        vendor = vendors.get(bill.vendor.casefold())
        if (vendor, bill.number.casefold()) in have:
            continue
        what = f"bill {bill.number}"
        lines = [
            {"item_id": item_ids.get(n.casefold()), "account_id": None, "description": n,
             "quantity_received": Decimal(q), "unit_cost": Decimal(c),
             "amount": _money(Decimal(q) * Decimal(c))}
            for n, q, c in bill.item_lines
        ] + [
            {"item_id": None, "account_id": ref.account(spec, problems, what), "description": d,
             "quantity_received": None, "unit_cost": None, "amount": Decimal(a)}
            for spec, d, a in bill.account_lines
        ]  # fmt: skip
        if vendor is None or any(ln["item_id"] is None and ln["account_id"] is None for ln in lines):
            problems.append(f"{what}: vendor '{bill.vendor}' or an item or account is missing")
            continue
        day = date.today() - timedelta(days=bill.days_ago)
        new_id = conn.execute(
            purchase_invoices.insert().returning(purchase_invoices.c.id),
            {"bill_number": bill.number, "vendor_id": vendor, "bill_date": day,
             "due_date": day + timedelta(days=30), "memo": bill.memo,
             "total": sum((ln["amount"] for ln in lines), Decimal(0))},
        ).scalar_one()  # fmt: skip
        conn.execute(
            purchase_invoice_lines.insert(),
            [{**ln, "purchase_invoice_id": new_id, "line_no": no} for no, ln in enumerate(lines, start=1)],
        )
        count += 1
    return count


def _expenses(conn: sa.Connection, ref: _References, problems: list[str]) -> int:
    from qbo_sync.db.schema import expenses

    existing = _index(conn, "expenses", "description")
    vendors, orders = _index(conn, "vendors", "display_name"), _index(conn, "work_orders", "number")
    new = []
    for ex in data.EXPENSES:
        if ex.description.casefold() in existing:
            continue
        account = ref.account(ex.account, problems, f"expense '{ex.description}'") if ex.account else None
        if ex.account and account is None:
            continue
        new.append({"description": ex.description, "amount": Decimal(ex.amount),
                    "expense_date": date.today() - timedelta(days=ex.days_ago),
                    "vendor_id": vendors.get(ex.vendor.casefold()) if ex.vendor else None,
                    "work_order_id": orders.get(ex.work_order.casefold()) if ex.work_order else None,
                    "expense_account_id": account})  # fmt: skip
    if new:
        conn.execute(expenses.insert(), new)
    return len(new)


def _expense_settings(conn: sa.Connection, ref: _References, problems: list[str]) -> None:
    """Choose the expense accounts as an administrator would in Settings, when none is chosen."""
    for column, spec in (
        ("expense_debit_account_id", data.EXPENSE_DEBIT),
        ("expense_credit_account_id", data.EXPENSE_CREDIT),
    ):
        account = ref.account(spec, problems, f"setting {column}")
        if account is not None:
            conn.execute(
                sa.text(f"UPDATE qb_settings SET {column} = :a WHERE id = 1 AND {column} IS NULL"),
                {"a": account},
            )
