"""``qbo-sync demo-payment``: the bookkeeper records a partial payment in QuickBooks.

In the demo a customer pays part of a synced invoice by check, and the bookkeeper records it in
QuickBooks (here through QBO's API, as QuickBooks' own screens do: a Payment whose line links the
invoice, per Intuit's Payment reference). The payments DAG then brings it into the CMMS. Once per
invoice and check number: when QuickBooks already holds that payment it is reported, not recorded
twice. Only against the local sandbox server: a demo never writes into a real company.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from qbo_sync.demo.data import PAYMENT, PaymentSpec
from qbo_sync.mapping.transforms import json_number
from qbo_sync.qbo.client import QBOClient, request_id_for


class DemoPaymentError(RuntimeError):
    """The demo payment cannot be recorded; the text says why and what to run first."""


@dataclass(frozen=True)
class DemoPayment:
    qb_id: str
    amount: Decimal
    invoice: str
    customer: str
    balance_left: Decimal
    recorded_now: bool

    def describe(self) -> str:
        verb = "recorded in QuickBooks" if self.recorded_now else "already in QuickBooks"
        return (
            f"partial payment {verb}: payment {self.qb_id} of {self.amount:.2f} (check {PAYMENT.reference}) "
            f"from {self.customer} on invoice {self.invoice}; {self.balance_left:.2f} left to pay"
        )


def record_demo_payment(
    client: QBOClient, engine: sa.Engine, realm_id: str, spec: PaymentSpec = PAYMENT
) -> DemoPayment:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT i.qb_id, c.qb_id AS customer_qb_id, c.display_name FROM invoices i "
                "JOIN customers c ON c.id = i.customer_id WHERE i.invoice_number = :n"
            ),
            {"n": spec.invoice},
        ).first()
    if row is None or row.qb_id is None or row.customer_qb_id is None:
        raise DemoPaymentError(
            f"invoice {spec.invoice} is not in QuickBooks yet: run `qbo-sync seed-demo` and the full "
            "sync first"
        )
    found = _existing(client, row.customer_qb_id, row.qb_id, spec.reference)
    if found is None:
        invoice = client.get("Invoice", row.qb_id)
        if Decimal(str(invoice.get("Balance", 0))) <= spec.amount:
            raise DemoPaymentError(
                f"invoice {spec.invoice} has {invoice.get('Balance')} open in QuickBooks: "
                f"a payment of {spec.amount:.2f} would not be partial"
            )
        found = client.create(
            "Payment", _body(spec, row.customer_qb_id, row.qb_id), _request_id(realm_id, row.qb_id, spec)
        )
        recorded = True
    else:
        recorded = False
    balance = Decimal(str(client.get("Invoice", row.qb_id).get("Balance", 0)))
    return DemoPayment(
        str(found["Id"]), Decimal(str(found["TotalAmt"])), spec.invoice, row.display_name, balance, recorded
    )


def _existing(client: QBOClient, customer: str, invoice: str, reference: str) -> dict[str, Any] | None:
    """The customer's payment with this check number applied to the invoice, if QuickBooks has one."""
    for payment in client.query(f"SELECT * FROM Payment WHERE CustomerRef = '{customer}' MAXRESULTS 1000"):
        links = [lk for ln in payment.get("Line") or [] for lk in ln.get("LinkedTxn") or []]
        if payment.get("PaymentRefNum") == reference and any(
            str(lk.get("TxnId")) == invoice and lk.get("TxnType") == "Invoice" for lk in links
        ):
            return payment
    return None


def _body(spec: PaymentSpec, customer: str, invoice: str) -> dict[str, Any]:
    amount = json_number(spec.amount)
    return {
        "CustomerRef": {"value": customer},
        "TotalAmt": amount,
        "TxnDate": date.today().isoformat(),
        "PaymentRefNum": spec.reference,
        # QuickBooks (and the sandbox) check the Id against its payment methods and answer their name
        "PaymentMethodRef": {"value": spec.method_id, "name": spec.method},
        "PrivateNote": spec.note,
        "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice, "TxnType": "Invoice"}]}],
    }


def _request_id(realm_id: str, invoice: str, spec: PaymentSpec) -> str:
    return request_id_for(realm_id, "Payment", f"demo-{invoice}", spec.reference)
