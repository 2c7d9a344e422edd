"""Reconciliation against the sandbox's books and a real PostgreSQL CMMS.

The CMMS starts as an exact mirror of the sandbox company (no drift); each test then introduces
drift on one side, on purpose, and asserts what the run finds: the check, both values, the amount
at stake, the cause, and the drift table across runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.db.engine import create_engine
from qbo_sync.db.migrate import upgrade
from qbo_sync.qbo.client import QBOClient
from qbo_sync.reconcile.run import reconcile
from tests.reconcile.mirror import client_for, mirror_books

pytestmark = pytest.mark.postgres
REALM_AS_OF = date(2026, 12, 1)


@pytest.fixture()
def engine(pg_url: str, sb: Any) -> Iterator[sa.Engine]:
    upgrade(pg_url)
    eng = create_engine(pg_url)
    mirror_books(eng, sb.company)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture()
def client(sb: Any) -> QBOClient:
    return client_for(sb)


def run(engine: sa.Engine, client: QBOClient, sb: Any, **kw: Any) -> dict[str, Any]:
    kw.setdefault("heal", False)
    return reconcile(engine, client, sb.realm_id, as_of=sb.clock.now().date(), run_id="test", **kw)


def drifts(engine: sa.Engine, status: str = "open") -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM sync_drift WHERE status = :s"), {"s": status}).mappings()
        return {f"{r['check_name']}|{r['subject']}": dict(r) for r in rows}


def open_invoice(sb: Any) -> dict[str, Any]:
    invoices = sb.company.query("SELECT * FROM Invoice MAXRESULTS 1000")["Invoice"]
    return next(i for i in invoices if Decimal(str(i["Balance"])) > 10)


def test_mirrored_books_have_no_drift_and_cost_pages_plus_reports(engine, client, sb) -> None:
    sb.reset_counters()
    summary = run(engine, client, sb)
    assert summary["differences"] == 0, drifts(engine)
    assert summary["validation"]["success"] is True
    assert summary["compared"]["invoices"] > 0 and summary["compared"]["customer_balances"] > 0
    counters = sb.counters()
    # one page per transaction entity (each < 1000 objects here), one request per report
    assert counters["query"] == 3
    assert counters["report"] == 4
    assert counters["write"] == 0 and counters["batch"] == 0


def test_payment_not_yet_pulled_is_found_on_the_invoice_and_the_customer(engine, client, sb) -> None:
    inv = open_invoice(sb)
    sb.company.create(
        "Payment",
        {
            "CustomerRef": inv["CustomerRef"],
            "TotalAmt": 10.00,
            "Line": [{"Amount": 10.00, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
        },
    )
    summary = run(engine, client, sb)
    found = drifts(engine)
    doc = inv.get("DocNumber")
    balance = found[f"invoice.balance|invoice {doc}"]
    assert balance["cause"] == "payment recorded in QuickBooks not yet pulled into the CMMS"
    assert Decimal(balance["cmms_value"]) - Decimal(balance["qbo_value"]) == Decimal("10.00")
    assert balance["amount_at_stake"] == Decimal("10.00")
    customer = next(v for k, v in found.items() if k.startswith("customer_balance|"))
    assert customer["qb_id"] == inv["CustomerRef"]["value"]
    assert customer["cause"] == "explained by the record differences listed for it"
    assert summary["validation"]["success"] is False
    assert summary["validation"]["above_tolerance"]["invoice.balance"] == 1
    aging = [v for k, v in found.items() if k.startswith("aging|")]
    assert sum(a["amount_at_stake"] for a in aging) == Decimal("10.00")


def test_hand_edit_void_deleted_unlinked_and_failed_push_each_found_with_cause(engine, client, sb) -> None:
    invoices = [
        i
        for i in sb.company.query("SELECT * FROM Invoice MAXRESULTS 1000")["Invoice"]
        if Decimal(str(i["Balance"])) == Decimal(str(i["TotalAmt"])) > 0
    ]
    edited, voided = invoices[0], invoices[1]
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE invoices SET total = total + 5, balance = balance + 5 WHERE qb_id = :q"),
            {"q": edited["Id"]},
        )
        conn.execute(
            sa.text(
                "INSERT INTO invoices (invoice_number, total, balance, status, qb_id, qb_status) "
                "VALUES ('GONE-1', 42.00, 42.00, 'open', '999999', 'synced')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO invoices (invoice_number, total, balance, status, qb_status, qb_error) "
                "VALUES ('FAIL-1', 17.50, 17.50, 'open', 'error', 'The customer is inactive')"
            )
        )
    sb.company.void("Invoice", {"Id": voided["Id"], "SyncToken": voided["SyncToken"]})
    extra = sb.company.create(
        "Invoice",
        {
            "CustomerRef": edited["CustomerRef"],
            "DocNumber": "QBO-ONLY-1",
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 33.00,
                    "SalesItemLineDetail": {"ItemRef": _service_item(sb)},
                }
            ],
        },
    )
    run(engine, client, sb)
    found = drifts(engine)
    total = found[f"invoice.total|invoice {edited['DocNumber']}"]
    assert (total["cmms_value"], total["qbo_value"]) == (
        f"{Decimal(str(edited['TotalAmt'])) + 5:.2f}",
        f"{Decimal(str(edited['TotalAmt'])):.2f}",
    )
    assert total["cause"] == "QuickBooks computed a different total than the CMMS (tax or rounding)"
    assert (
        found[f"invoice.voided|invoice {voided['DocNumber']}"]["cause"]
        == "invoice voided in QuickBooks, not in the CMMS"
    )
    balance = found[f"invoice.balance|invoice {edited['DocNumber']}"]
    assert balance["cause"] == "follows the total difference: the balance is the total less payments"
    missing = found["invoice.missing|invoice GONE-1"]
    assert missing["cause"] == "deleted in QuickBooks (Id 999999 no longer exists)"
    assert missing["amount_at_stake"] == Decimal("42.00")
    failed = found["invoice.failed_push|invoice FAIL-1"]
    assert failed["cause"] == "failed push, not in QuickBooks: The customer is inactive"
    unlinked = found[f"invoice.unlinked|QuickBooks Invoice QBO-ONLY-1 (Id {extra['Id']})"]
    assert unlinked["amount_at_stake"] == Decimal("33.00")
    assert "created directly in QuickBooks" in unlinked["cause"]


def test_drift_keeps_first_seen_across_runs_and_resolves_when_fixed(engine, client, sb) -> None:
    inv = open_invoice(sb)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE invoices SET tax_total = tax_total + 1 WHERE qb_id = :q"), {"q": inv["Id"]}
        )
    run(engine, client, sb)
    key = f"invoice.tax|invoice {inv['DocNumber']}"
    first = drifts(engine)[key]
    second_summary = run(engine, client, sb)
    again = drifts(engine)[key]
    assert again["id"] == first["id"] and again["first_seen_at"] == first["first_seen_at"]
    assert second_summary["stored"] == {"new": 0, "still_open": 1, "resolved": 0, "healed": 0}
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE invoices SET tax_total = tax_total - 1 WHERE qb_id = :q"), {"q": inv["Id"]}
        )
    third = run(engine, client, sb)
    assert third["differences"] == 0 and third["stored"]["resolved"] == 1
    assert drifts(engine, "resolved")[key]["resolved_at"] is not None
    assert third["open"]["open"] == 0


def _service_item(sb: Any) -> dict[str, str]:
    items = sb.company.query("SELECT * FROM Item MAXRESULTS 1000")["Item"]
    item = next(i for i in items if i["Type"] == "Service")
    return {"value": item["Id"]}


def test_unpulled_payment_is_healed_by_the_same_run_through_the_payment_pipeline(engine, client, sb) -> None:
    inv = open_invoice(sb)
    link = [{"Amount": 10.00, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]
    payment = sb.company.create(
        "Payment", {"CustomerRef": inv["CustomerRef"], "TotalAmt": 10.00, "Line": link}
    )
    summary = run(engine, client, sb, heal=True)
    assert summary["healed"] == 1 and summary["differences"] == 0, drifts(engine)
    assert summary["validation"]["success"] is True
    healed = drifts(engine, "healed")[f"invoice.balance|invoice {inv['DocNumber']}"]
    assert healed["healed_at"] is not None and healed["amount_at_stake"] == Decimal("10.00")
    assert healed["cause"] == "payment recorded in QuickBooks not yet pulled into the CMMS"
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT balance, paid_amount, total FROM invoices WHERE qb_id = :q"), {"q": inv["Id"]}
        ).one()
        logged = conn.execute(
            sa.text("SELECT total_amount FROM payments WHERE qb_id = :q"), {"q": payment["Id"]}
        )
        assert logged.scalar_one() == Decimal("10.00")
    assert row.balance == Decimal(str(sb.company.read("Invoice", inv["Id"])["Balance"])).quantize(
        Decimal("0.01")
    )
    assert row.paid_amount + row.balance == row.total
    assert drifts(engine) == {}  # nothing waits for a person: the customer's balance agrees again


def test_voids_compare_by_side_and_a_total_edit_is_told_from_the_figure_the_push_stored(
    engine, client, sb
) -> None:
    unpaid = [
        i
        for i in sb.company.query("SELECT * FROM Invoice MAXRESULTS 1000")["Invoice"]
        if Decimal(str(i["Balance"])) == Decimal(str(i["TotalAmt"])) > 0
    ]
    both, cmms_only, stored = unpaid[0], unpaid[1], unpaid[2]
    sb.company.void("Invoice", {"Id": both["Id"], "SyncToken": both["SyncToken"]})
    later = sb.company.read("Invoice", stored["Id"])  # touched in QuickBooks after the push (memo)
    sb.company.update(
        "Invoice",
        {"Id": later["Id"], "SyncToken": later["SyncToken"], "sparse": True, "CustomerMemo": {"value": "x"}},
    )
    with engine.begin() as conn:
        # voided in the CMMS: the CMMS keeps its figures, QuickBooks zeroes them (the push voided it)
        conn.execute(
            sa.text("UPDATE invoices SET status = 'void' WHERE qb_id IN (:a, :b)"),
            {"a": both["Id"], "b": cmms_only["Id"]},
        )
        # the CMMS total moved after the push; QuickBooks still has the total the push stored
        conn.execute(
            sa.text(
                "UPDATE invoices SET qb_total_amt = total, total = total + 2, balance = balance + 2, "
                "qb_last_updated_at = now() - interval '1 day' WHERE qb_id = :q"
            ),
            {"q": stored["Id"]},
        )
    run(engine, client, sb)
    found = drifts(engine)
    assert not [k for k in found if k.endswith(f"invoice {both['DocNumber']}")]  # void on both sides
    only = found[f"invoice.voided|invoice {cmms_only['DocNumber']}"]
    assert only["cause"] == (
        "invoice voided in the CMMS, not in QuickBooks (the void was not pushed, or QuickBooks refused it)"
    )
    assert (only["cmms_value"], only["qbo_value"]) == ("void", "open")
    assert only["amount_at_stake"] == Decimal(str(cmms_only["TotalAmt"])).quantize(Decimal("0.01"))
    total = found[f"invoice.total|invoice {stored['DocNumber']}"]
    assert total["cause"] == "QuickBooks computed a different total than the CMMS (tax or rounding)"
