"""Test helper: a CMMS database that mirrors the sandbox company's books exactly (no drift)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa


def client_for(sb: Any) -> Any:
    """The product's client on the sandbox, with a fresh access token and no waiting between retries."""
    from qbo_sync.qbo.budget import RequestBudget
    from qbo_sync.qbo.client import QBOClient
    from qbo_sync.qbo.transport import Transport
    from tests.sync.conftest import StaticTokens

    tokens = StaticTokens(sb.issue_tokens()["access_token"])
    transport = Transport(
        sb.url, sb.realm_id, tokens, budget=RequestBudget(), sleep=lambda _s: None, timeout=(2, 10)
    )
    return QBOClient(transport)


def _all(company: Any, entity: str, where: str = "") -> list[dict[str, Any]]:
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
            for obj in _all(company, entity, " WHERE Active IN (true, false)"):
                ids[entity][obj["Id"]] = conn.execute(
                    sa.text(
                        f"INSERT INTO {table} (display_name, qb_id, qb_status) "
                        "VALUES (:n, :q, 'synced') RETURNING id"
                    ),
                    {"n": obj["DisplayName"], "q": obj["Id"]},
                ).scalar_one()
        for inv in _all(company, "Invoice"):
            ids["Invoice"][inv["Id"]] = add_invoice(
                conn, ids, inv if payments else {**inv, "Balance": inv["TotalAmt"]}
            )
        for bill in _all(company, "Bill"):
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
        for je in _all(company, "JournalEntry"):
            debit = sum(
                Decimal(str(line["Amount"]))
                for line in je["Line"]
                if line["JournalEntryLineDetail"]["PostingType"] == "Debit"
            )
            conn.execute(
                sa.text("INSERT INTO expenses (amount, qb_id, qb_status) VALUES (:a, :q, 'synced')"),
                {"a": debit, "q": je["Id"]},
            )
        for pay in _all(company, "Payment") if payments else ():
            add_payment(conn, ids, pay)
    return ids


def add_invoice(conn: sa.Connection, ids: dict[str, dict[str, int]], inv: dict[str, Any]) -> int:
    total, balance = Decimal(str(inv["TotalAmt"])), Decimal(str(inv["Balance"]))
    tax = Decimal(str((inv.get("TxnTaxDetail") or {}).get("TotalTax") or 0))
    voided = str(inv.get("PrivateNote") or "").startswith("Voided") and total == 0
    return conn.execute(
        sa.text(
            "INSERT INTO invoices (invoice_number, customer_id, invoice_date, due_date, tax_total, total, "
            "paid_amount, balance, status, qb_id, qb_status) "
            "VALUES (:n, :c, :d, :due, :tax, :t, :p, :b, :s, :q, 'synced') RETURNING id"
        ),
        {
            "n": inv.get("DocNumber") or f"QB-{inv['Id']}",
            "c": ids["Customer"][inv["CustomerRef"]["value"]],
            "d": inv.get("TxnDate"),
            "due": inv.get("DueDate") or inv.get("TxnDate"),
            "tax": tax,
            "t": total,
            "p": total - balance,
            "b": balance,
            "q": inv["Id"],
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
