"""The payment log and the per-entity figures of payments and invoices, read from the contract tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from qbo_sync.ui import entities
from qbo_sync.ui.payments import payment_log
from tests.sync.sync_helpers import execute

pytestmark = pytest.mark.postgres


def test_each_payment_with_method_reference_amount_and_the_invoices_it_paid(engine: sa.Engine) -> None:
    execute(engine, "INSERT INTO customers (id, display_name) VALUES (1, 'Harbor View Apartments')")
    execute(
        engine,
        "INSERT INTO invoices (id, invoice_number, customer_id, total, paid_amount, balance, qb_id, "
        "qb_status) VALUES (1, 'INV-1001', 1, 500, 300, 200, '130', 'synced'), "
        "(2, 'INV-1002', 1, 80, 80, 0, '131', 'synced'), (3, 'INV-1003', 1, 40, 0, 40, NULL, 'not_synced')",
    )
    execute(
        engine,
        "INSERT INTO payments (id, qb_id, customer_id, payment_date, total_amount, payment_method, "
        "reference_number, status) VALUES (1, '901', 1, '2026-11-02', 380, 'Check', 'CHK-4410', 'active'), "
        "(2, '902', 1, '2026-11-20', 50, 'Cash', NULL, 'voided')",
    )
    execute(
        engine,
        "INSERT INTO payment_applications (payment_id, invoice_id, amount) VALUES (1, 1, 300), (1, 2, 80)",
    )

    log = payment_log(engine)

    assert log["total"] == 2
    newest, first = log["payments"]
    assert (newest["qb_id"], newest["status"], newest["invoices"]) == ("902", "voided", [])
    assert first == {
        "id": 1,
        "qb_id": "901",
        "customer": "Harbor View Apartments",
        "date": "2026-11-02",
        "amount": "380.00",
        "unapplied": "0.00",
        "method": "Check",
        "reference": "CHK-4410",
        "status": "active",
        "invoices": [
            {"invoice": "INV-1001", "invoice_id": 1, "amount": "300.00"},
            {"invoice": "INV-1002", "invoice_id": 2, "amount": "80.00"},
        ],
    }
    figures = {e["key"]: e for e in entities.summary(engine)}
    assert (figures["payments"]["total"], figures["payments"]["synced"]) == (2, 2)
    assert (figures["invoices"]["total"], figures["invoices"]["synced"], figures["invoices"]["waiting"]) == (
        3,
        2,
        1,
    )
    assert figures["invoices"]["trigger"] == {"dag_id": "qbo_full_sync", "conf": {"entities": ["invoices"]}}
    assert figures["bills"]["trigger"] == {"dag_id": "qbo_full_sync", "conf": {"entities": ["bills"]}}
