"""What QuickBooks computes or refuses on its own: sales tax from the transaction's tax code, the
discount line, and 6140 for an invoice number already in use.

These assert what real QuickBooks answers (qbo-api.md §6 and §9; Intuit's Invoice reference). They
need the sandbox that computes tax and discounts and refuses duplicate invoice numbers (the issue
"The sandbox meets the money half"); against an older sandbox they fail.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tests.transactions.txn_helpers import add_invoice, cmms_id, invoice_objects, rows


def test_sales_tax_is_computed_by_quickbooks_and_stored_back(sb: Any, masters: sa.Engine, push) -> None:
    customer, service, part = (
        cmms_id(masters, "customers", "13"),
        cmms_id(masters, "items", "1"),
        cmms_id(masters, "items", "3"),
    )
    california, non = cmms_id(masters, "tax_codes", "2"), cmms_id(masters, "tax_codes", "NON")
    # 100.00 taxable at 7.25 % (California) + 50.00 not taxable: tax 7.25, total 157.25
    inv = add_invoice(
        masters,
        "TAX-1",
        customer,
        [(part, 4, "25.00", california), (service, 1, "50.00", non)],
        total="157.25",
    )

    counts = push("invoices")

    assert (counts.created, counts.failed) == (1, 0)
    obj = invoice_objects(sb, "DocNumber = 'TAX-1'")[0]
    assert obj["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == "2"
    sales = [ln for ln in obj["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    assert [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in sales] == ["TAX", "NON"]
    assert obj["TxnTaxDetail"]["TotalTax"] == 7.25 and obj["TotalAmt"] == 157.25
    row = rows(
        masters, "SELECT qb_status, qb_total_tax, qb_total_amt, qb_balance FROM invoices WHERE id = :i", i=inv
    )[0]
    assert row == {
        "qb_status": "synced",
        "qb_total_tax": Decimal("7.25"),
        "qb_total_amt": Decimal("157.25"),
        "qb_balance": Decimal("157.25"),
    }


def test_a_tax_difference_is_reported_with_both_figures(sb: Any, masters: sa.Engine, push) -> None:
    customer, part = cmms_id(masters, "customers", "13"), cmms_id(masters, "items", "3")
    california = cmms_id(masters, "tax_codes", "2")
    inv = add_invoice(
        masters, "TAX-2", customer, [(part, 4, "25.00", california)], total="108.00"
    )  # CMMS used 8 %

    push("invoices")

    row = rows(
        masters, "SELECT qb_id, qb_status, qb_error, qb_total_amt, total FROM invoices WHERE id = :i", i=inv
    )[0]
    assert row["qb_id"] is not None and row["qb_status"] == "error"
    assert row["qb_total_amt"] == Decimal("107.25") and row["total"] == Decimal("108.00")
    assert "QuickBooks' total is 107.25 but the CMMS total is 108.00 (difference -0.75)" in row["qb_error"]


def test_an_invoice_discount_is_sent_as_a_discount_line(sb: Any, masters: sa.Engine, push) -> None:
    customer, service = cmms_id(masters, "customers", "13"), cmms_id(masters, "items", "1")
    inv = add_invoice(masters, "DISC-1", customer, [(service, 2, "100.00", None)], discount="15.00")

    counts = push("invoices")

    assert (counts.created, counts.failed) == (1, 0)
    obj = invoice_objects(sb, "DocNumber = 'DISC-1'")[0]
    discount = [ln for ln in obj["Line"] if ln["DetailType"] == "DiscountLineDetail"]
    assert len(discount) == 1 and discount[0]["Amount"] == 15.0
    assert obj["TotalAmt"] == 185.0
    assert rows(masters, "SELECT qb_status, qb_total_amt FROM invoices WHERE id = :i", i=inv)[0] == {
        "qb_status": "synced",
        "qb_total_amt": Decimal("185.00"),
    }


def test_an_invoice_number_someone_else_used_is_reported_not_duplicated(
    sb: Any, masters: sa.Engine, push
) -> None:
    customer, service = cmms_id(masters, "customers", "13"), cmms_id(masters, "items", "1")
    inv = add_invoice(masters, "1001", customer, [(service, 1, "10.00", None)])  # the seed's invoice 1001

    counts = push("invoices")

    assert (counts.created, counts.failed) == (0, 1)
    assert len(invoice_objects(sb, "DocNumber = '1001'")) == 1
    row = rows(masters, "SELECT qb_id, qb_status, qb_error FROM invoices WHERE id = :i", i=inv)[0]
    assert row["qb_id"] is None and row["qb_status"] == "error"
    assert row["qb_error"].startswith("Invoice '1001': QuickBooks already has an invoice numbered 1001")
