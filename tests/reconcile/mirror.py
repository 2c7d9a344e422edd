"""Test helper: a CMMS database that mirrors the sandbox company's books exactly (no drift)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa


def client_for(sb: Any, **transport: Any) -> Any:
    """The product's client on the sandbox, with a fresh access token and no waiting between retries
    (nor after a 429: the budget's clock is a fake one); ``transport`` overrides its options."""
    from tests.transactions.conftest import make_client

    return make_client(sb, **{"timeout": (2, 10), **transport})


def all_objects(company: Any, entity: str, where: str = "") -> list[dict[str, Any]]:
    """Every ``entity`` object of the sandbox company (read in process, pages of 1000)."""
    out, start = [], 1
    while True:
        page = company.query(f"SELECT * FROM {entity}{where} STARTPOSITION {start} MAXRESULTS 1000").get(
            entity, []
        )
        out += page
        if len(page) < 1000:
            return out
        start += 1000


def mirror_books(engine: sa.Engine, company: Any, *, payments: bool = True) -> dict[str, dict[str, int]]:
    """Insert CMMS customers, vendors, invoices, bills, expenses and payments matching QuickBooks.

    ``payments=False``: the invoices as the pushes left them (nothing paid yet) and no payments, for
    the payment pipeline to bring in."""
    ids: dict[str, dict[str, int]] = {"Customer": {}, "Vendor": {}, "Invoice": {}}
    with engine.begin() as conn:
        for entity, table in (("Customer", "customers"), ("Vendor", "vendors")):
            for obj in all_objects(company, entity, " WHERE Active IN (true, false)"):
                ids[entity][obj["Id"]] = conn.execute(
                    sa.text(
                        f"INSERT INTO {table} (display_name, qb_id, qb_status) "
                        "VALUES (:n, :q, 'synced') RETURNING id"
                    ),
                    {"n": obj["DisplayName"], "q": obj["Id"]},
                ).scalar_one()
        _transactions(conn, company, ids, payments=payments, lines=False)
    return ids


def mirror_history(engine: sa.Engine, company: Any) -> dict[str, dict[str, int]]:
    """The company's history before the sync started, in a CMMS whose masters are already linked
    (by a real master sync): invoices with their lines, discount and tax code as the pushes left them
    (nothing paid yet), bills and expense journal entries. No payments: the payment pipeline brings
    them in. The invoices have no push state yet, so the first push links them (sparse updates that
    send the same lines)."""
    ids: dict[str, dict[str, int]] = {"Invoice": {}}
    with engine.begin() as conn:
        for entity, table in LINKED.items():
            rows = conn.execute(sa.text(f"SELECT qb_id, id FROM {table} WHERE qb_id IS NOT NULL"))
            ids[entity] = {str(q): int(i) for q, i in rows}
        _transactions(conn, company, ids, payments=False, lines=True)
    return ids


LINKED = {
    "Customer": "customers",
    "Vendor": "vendors",
    "Item": "items",
    "TaxCode": "tax_codes",
}


def _transactions(
    conn: sa.Connection, company: Any, ids: dict[str, dict[str, int]], *, payments: bool, lines: bool
) -> None:
    for inv in all_objects(company, "Invoice"):
        ids["Invoice"][inv["Id"]] = add_invoice(
            conn, ids, inv if payments else {**inv, "Balance": inv["TotalAmt"]}
        )
        if lines:
            add_invoice_lines(conn, ids, inv)
    for bill in all_objects(company, "Bill"):
        conn.execute(
            sa.text(
                "INSERT INTO purchase_invoices (bill_number, vendor_id, total, qb_id, qb_status) "
                "VALUES (:n, :v, :t, :q, 'synced')"
            ),
            {
                "n": bill.get("DocNumber"),
                "v": ids["Vendor"].get(bill["VendorRef"]["value"]),
                "t": bill["TotalAmt"],
                "q": bill["Id"],
            },
        )
    for je in all_objects(company, "JournalEntry"):
        debit = sum(
            Decimal(str(line["Amount"]))
            for line in je["Line"]
            if line["JournalEntryLineDetail"]["PostingType"] == "Debit"
        )
        conn.execute(
            sa.text("INSERT INTO expenses (amount, qb_id, qb_status) VALUES (:a, :q, 'synced')"),
            {"a": debit, "q": je["Id"]},
        )
    for pay in all_objects(company, "Payment") if payments else ():
        add_payment(conn, ids, pay)


def add_invoice_lines(conn: sa.Connection, ids: dict[str, dict[str, int]], inv: dict[str, Any]) -> None:
    """The invoice's sales lines as CMMS lines: a taxable line carries the invoice's tax code (the
    push sends it as ``TAX`` and the code as the invoice's), a line QuickBooks marked ``NON`` the
    ``NON`` code."""
    invoice_code = ((inv.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef") or {}).get("value")
    sales = [ln for ln in inv["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    for no, line in enumerate(sales, start=1):
        detail = line["SalesItemLineDetail"]
        code = (detail.get("TaxCodeRef") or {}).get("value")
        if code == "TAX" and invoice_code:
            code = invoice_code
        conn.execute(
            sa.text(
                "INSERT INTO invoice_lines (invoice_id, line_no, item_id, description, quantity, "
                "unit_price, amount, tax_code_id) VALUES (:i, :no, :item, :d, :q, :p, :a, :t)"
            ),
            {
                "i": ids["Invoice"][inv["Id"]],
                "no": no,
                "item": ids["Item"][detail["ItemRef"]["value"]],
                "d": line.get("Description"),
                "q": detail.get("Qty"),
                "p": detail.get("UnitPrice"),
                "a": line["Amount"],
                "t": ids["TaxCode"].get(str(code)) if code else None,
            },
        )


def add_invoice(conn: sa.Connection, ids: dict[str, dict[str, int]], inv: dict[str, Any]) -> int:
    total, balance = Decimal(str(inv["TotalAmt"])), Decimal(str(inv["Balance"]))
    tax = Decimal(str((inv.get("TxnTaxDetail") or {}).get("TotalTax") or 0))
    voided = str(inv.get("PrivateNote") or "").startswith("Voided") and total == 0
    lines = inv.get("Line") or []
    discount = sum(
        (Decimal(str(ln["Amount"])) for ln in lines if ln.get("DetailType") == "DiscountLineDetail"),
        Decimal(0),
    )
    subtotal = sum(
        (Decimal(str(ln["Amount"])) for ln in lines if ln.get("DetailType") == "SubTotalLineDetail"),
        Decimal(0),
    )
    return conn.execute(
        sa.text(
            "INSERT INTO invoices (invoice_number, customer_id, invoice_date, due_date, subtotal, "
            "discount_amount, tax_total, total, paid_amount, balance, status, qb_id, qb_sync_token, "
            "qb_status) "
            "VALUES (:n, :c, :d, :due, :sub, :disc, :tax, :t, :p, :b, :s, :q, :tok, 'synced') RETURNING id"
        ),
        {
            "sub": subtotal,
            "disc": discount or None,
            "n": inv.get("DocNumber") or f"QB-{inv['Id']}",
            "c": ids["Customer"][inv["CustomerRef"]["value"]],
            "d": inv.get("TxnDate"),
            "due": inv.get("DueDate") or inv.get("TxnDate"),
            "tax": tax,
            "t": total,
            "p": total - balance,
            "b": balance,
            "q": inv["Id"],
            "tok": inv.get("SyncToken"),
            "s": "void"
            if voided
            else ("paid" if balance == 0 else ("partial" if balance < total else "open")),
        },
    ).scalar_one()


def add_payment(conn: sa.Connection, ids: dict[str, dict[str, int]], pay: dict[str, Any]) -> None:
    """The payment, its status and one application per invoice it pays (what the payment DAG writes)."""
    lines = [
        (ln["LinkedTxn"][0]["TxnId"], Decimal(str(ln["Amount"])))
        for ln in pay.get("Line") or []
        if ln.get("LinkedTxn")
    ]
    total = Decimal(str(pay["TotalAmt"]))
    voided = str(pay.get("PrivateNote") or "").startswith("Voided") and total == 0
    payment_id = conn.execute(
        sa.text(
            "INSERT INTO payments (qb_id, customer_id, payment_date, total_amount, unapplied_amount, status) "
            "VALUES (:q, :c, :d, :t, :u, :s) RETURNING id"
        ),
        {
            "q": pay["Id"],
            "c": ids["Customer"][pay["CustomerRef"]["value"]],
            "d": pay.get("TxnDate"),
            "t": total,
            "u": total - sum((a for _, a in lines), Decimal(0)),
            "s": "voided" if voided else "active",
        },
    ).scalar_one()
    for invoice_qb_id, amount in lines:
        if amount and invoice_qb_id in ids["Invoice"]:
            conn.execute(
                sa.text(
                    "INSERT INTO payment_applications (payment_id, invoice_id, amount) VALUES (:p, :i, :a)"
                ),
                {"p": payment_id, "i": ids["Invoice"][invoice_qb_id], "a": amount},
            )
