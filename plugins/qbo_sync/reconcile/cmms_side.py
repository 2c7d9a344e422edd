"""The CMMS's figures as of a date, computed the way QuickBooks' reports compute theirs.

- A customer's balance as of D: its linked, non-void invoices dated on or before D, less its
  active payments dated on or before D (so an unapplied payment lowers it, as on QuickBooks' A/R).
- An invoice's open amount as of D: its total less the applications of active payments dated on
  or before D (the ``payment_applications`` the payment DAG keeps), aged by days past due.

Voided and deleted payments never count (the contract's ``paid_amount`` invariant).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

ZERO = Decimal(0)

_PAYMENTS_AS_OF = "p.status = 'active' AND (p.payment_date IS NULL OR p.payment_date <= :as_of)"
_INVOICES_AS_OF = (
    "i.qb_id IS NOT NULL AND i.status <> 'void' AND (i.invoice_date IS NULL OR i.invoice_date <= :as_of)"
)
CUSTOMER_INVOICED = (
    "SELECT c.qb_id, SUM(i.total) FROM invoices i JOIN customers c ON c.id = i.customer_id "
    f"WHERE c.qb_id IS NOT NULL AND {_INVOICES_AS_OF} GROUP BY c.qb_id"
)
CUSTOMER_PAID = (
    "SELECT c.qb_id, SUM(p.total_amount) FROM payments p JOIN customers c ON c.id = p.customer_id "
    f"WHERE c.qb_id IS NOT NULL AND {_PAYMENTS_AS_OF} GROUP BY c.qb_id"
)
OPEN_INVOICES = (
    "SELECT i.id, i.total, i.due_date, i.invoice_date, COALESCE(x.paid, 0) AS paid FROM invoices i "
    "LEFT JOIN (SELECT a.invoice_id, SUM(a.amount) AS paid FROM payment_applications a "
    f"JOIN payments p ON p.id = a.payment_id WHERE {_PAYMENTS_AS_OF} GROUP BY a.invoice_id) x "
    f"ON x.invoice_id = i.id WHERE {_INVOICES_AS_OF}"
)
UNAPPLIED = (
    "SELECT COALESCE(SUM(p.total_amount), 0) - COALESCE(SUM(x.applied), 0) FROM payments p "
    "LEFT JOIN (SELECT payment_id, SUM(amount) AS applied FROM payment_applications GROUP BY payment_id) x "
    f"ON x.payment_id = p.id WHERE {_PAYMENTS_AS_OF}"
)


def customer_balances(conn: sa.Connection, as_of: date) -> dict[str, Decimal]:
    """Per customer QuickBooks Id, the open balance as of ``as_of``."""
    out: dict[str, Decimal] = {}
    for qb_id, amount in conn.execute(sa.text(CUSTOMER_INVOICED), {"as_of": as_of}):
        out[str(qb_id)] = Decimal(str(amount or 0))
    for qb_id, amount in conn.execute(sa.text(CUSTOMER_PAID), {"as_of": as_of}):
        out[str(qb_id)] = out.get(str(qb_id), ZERO) - Decimal(str(amount or 0))
    return out


def open_invoices(conn: sa.Connection, as_of: date) -> list[dict[str, Any]]:
    """Linked invoices with their open amount as of ``as_of`` (as ``balance``) and due date."""
    rows = conn.execute(sa.text(OPEN_INVOICES), {"as_of": as_of}).mappings()
    return [
        {"id": r["id"], "balance": Decimal(str(r["total"])) - Decimal(str(r["paid"])),
         "due_date": r["due_date"], "invoice_date": r["invoice_date"]}
        for r in rows
    ]  # fmt: skip


def unapplied_total(conn: sa.Connection, as_of: date) -> Decimal:
    """What active payments dated on or before ``as_of`` left unapplied, all customers together."""
    return Decimal(str(conn.execute(sa.text(UNAPPLIED), {"as_of": as_of}).scalar() or 0))
