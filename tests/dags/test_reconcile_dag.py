"""``qbo_reconcile`` end to end with ``dag.test()``: real Airflow, sandbox over HTTP, real PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.dags.test_full_sync_dag import report_page_html
from tests.reconcile.mirror import mirror_books

pytestmark = pytest.mark.usefixtures("airflow_db")

DAGS = Path(__file__).resolve().parents[2] / "dags"


def run_dag(**conf: Any) -> dict[str, str]:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).get_dag("qbo_reconcile")
    dr = dag.test(run_conf={"as_of": "", "tolerance": 0.0, "heal": True, **conf})
    return {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}


def api_summary() -> dict[str, Any]:
    """``/qbo/api/summary`` as the QuickBooks page reads it (a user allowed to read connections)."""
    from fastapi.testclient import TestClient

    from qbo_sync import web
    from qbo_sync.ui.guards import can_edit, can_read

    web.app.dependency_overrides = {can_read: lambda: None, can_edit: lambda: None}
    try:
        answer = TestClient(web.app).get("/api/summary")
    finally:
        web.app.dependency_overrides = {}
    assert answer.status_code == 200, answer.text
    return answer.json()


def open_drifts(engine: sa.Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT * FROM sync_drift WHERE status = 'open' ORDER BY id")))


def test_agreeing_books_pass_then_an_unpulled_payment_fails_the_run_visibly(
    sandbox: Any, cmms: sa.Engine
) -> None:
    mirror_books(cmms, sandbox.company)
    sandbox.reset_counters()
    assert run_dag() == {"preflight": "success", "reconcile": "success", "switched_off": "skipped"}
    assert open_drifts(cmms) == []
    counters = sandbox.counters()
    assert counters["report"] == 4 and counters["query"] == 3 and counters["write"] == 0

    invoices = sandbox.company.query("SELECT * FROM Invoice MAXRESULTS 1000")["Invoice"]
    inv = next(i for i in invoices if Decimal(str(i["Balance"])) > 25)
    link = [{"Amount": 25.00, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]
    sandbox.company.create("Payment", {"CustomerRef": inv["CustomerRef"], "TotalAmt": 25.00, "Line": link})
    assert run_dag(heal=False)["reconcile"] == "failed"
    drifts = {(d.check_name, d.qb_id): d for d in open_drifts(cmms)}
    balance = drifts[("invoice.balance", inv["Id"])]
    assert balance.amount_at_stake == Decimal("25.00")
    assert balance.cause == "payment recorded in QuickBooks not yet pulled into the CMMS"
    assert ("customer_balance", inv["CustomerRef"]["value"]) in drifts

    # the QuickBooks page and the report show it: what differs, the total at stake, since when
    page = report_page_html()
    assert f"Reconciliation: {len(drifts)} open differences" in page
    assert "payment recorded in QuickBooks not yet pulled into the CMMS" in page
    summary = api_summary()["reconciliation"]
    assert summary["open"] == len(drifts) and summary["oldest_open_since"] is not None
    assert Decimal(summary["at_stake"]) == sum(d.amount_at_stake for d in drifts.values())

    # within a tolerance above the difference the run passes, and the differences stay recorded
    assert run_dag(tolerance=30.0, heal=False)["reconcile"] == "success"
    assert {(d.check_name, d.qb_id) for d in open_drifts(cmms)} == set(drifts)

    # healing (the default) pulls the payment through the payment pipeline: nothing is left open
    assert run_dag()["reconcile"] == "success"
    assert open_drifts(cmms) == []
    with cmms.connect() as conn:
        healed = conn.execute(sa.text("SELECT check_name FROM sync_drift WHERE status = 'healed'")).scalars()
        assert list(healed) == ["invoice.balance"]


def test_switched_off_skips_before_any_quickbooks_call(sandbox: Any, cmms: sa.Engine) -> None:
    with cmms.begin() as conn:
        conn.execute(sa.text("UPDATE qb_settings SET enabled = false WHERE id = 1"))
    sandbox.reset_counters()
    states = run_dag()
    assert states == {"preflight": "skipped", "reconcile": "skipped", "switched_off": "success"}
    assert sandbox.counters()["total"] == 0


def test_each_kind_of_drift_is_found_through_the_dag_and_the_healable_one_healed(
    sandbox: Any, cmms: sa.Engine
) -> None:
    co = sandbox.company
    ids = mirror_books(cmms, co)
    unpaid = [
        i
        for i in co.query("SELECT * FROM Invoice MAXRESULTS 1000")["Invoice"]
        if Decimal(str(i["Balance"])) == Decimal(str(i["TotalAmt"])) > 25
    ]
    paid_later, voided, edited, moved = unpaid[:4]
    bill = co.query("SELECT * FROM Bill MAXRESULTS 1")["Bill"][0]
    journal = co.query("SELECT * FROM JournalEntry MAXRESULTS 1")["JournalEntry"][0]
    other = next(c for c in ids["Customer"] if c != moved["CustomerRef"]["value"])
    service = next(
        i for i in co.query("SELECT * FROM Item MAXRESULTS 1000")["Item"] if i["Type"] == "Service"
    )
    with cmms.begin() as conn:  # the CMMS side: a hand edit, a failed push, an Id QuickBooks no longer has
        conn.execute(
            sa.text("UPDATE invoices SET total = total + 5, balance = balance + 5 WHERE qb_id = :q"),
            {"q": edited["Id"]},
        )
        conn.execute(
            sa.text("UPDATE purchase_invoices SET total = total + 7 WHERE qb_id = :q"), {"q": bill["Id"]}
        )
        conn.execute(
            sa.text("UPDATE expenses SET amount = amount + 3 WHERE qb_id = :q"), {"q": journal["Id"]}
        )
        conn.execute(
            sa.text(
                "INSERT INTO invoices (invoice_number, total, balance, status, qb_id, qb_status) "
                "VALUES ('GONE-9', 42.00, 42.00, 'open', '999999', 'synced')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO invoices (invoice_number, total, balance, status, qb_status, qb_error) "
                "VALUES ('FAIL-9', 17.50, 17.50, 'open', 'error', 'The customer is inactive')"
            )
        )
    # the QuickBooks side: a payment not pulled yet, a void, a customer changed, an invoice entered there
    link = [{"Amount": 25.00, "LinkedTxn": [{"TxnId": paid_later["Id"], "TxnType": "Invoice"}]}]
    co.create("Payment", {"CustomerRef": paid_later["CustomerRef"], "TotalAmt": 25.00, "Line": link})
    co.void("Invoice", {"Id": voided["Id"], "SyncToken": voided["SyncToken"]})
    co.update(
        "Invoice",
        {"Id": moved["Id"], "SyncToken": moved["SyncToken"], "sparse": True, "CustomerRef": {"value": other}},
    )
    line = {
        "DetailType": "SalesItemLineDetail",
        "Amount": 33.0,
        "SalesItemLineDetail": {"ItemRef": {"value": service["Id"]}},
    }
    extra = co.create(
        "Invoice", {"CustomerRef": edited["CustomerRef"], "DocNumber": "QBO-ONLY-9", "Line": [line]}
    )

    assert run_dag()["reconcile"] == "failed"  # differences a person must look at remain

    found = {(d.check_name, d.qb_id): d for d in open_drifts(cmms)}
    causes = {key: d.cause for key, d in found.items()}
    assert causes[("invoice.total", edited["Id"])].startswith("QuickBooks computed a different total")
    assert causes[("invoice.voided", voided["Id"])] == "invoice voided in QuickBooks, not in the CMMS"
    assert causes[("invoice.party", moved["Id"])] == "customer changed in QuickBooks"
    assert causes[("invoice.missing", "999999")] == "deleted in QuickBooks (Id 999999 no longer exists)"
    assert causes[("invoice.failed_push", None)] == "failed push, not in QuickBooks: The customer is inactive"
    assert causes[("invoice.unlinked", extra["Id"])].startswith("created directly in QuickBooks")
    assert found[("bill.total", bill["Id"])].amount_at_stake == Decimal("7.00")
    assert found[("journalentry.amount", journal["Id"])].amount_at_stake == Decimal("3.00")
    assert ("invoice.balance", paid_later["Id"]) not in found  # QuickBooks owns it: healed by the same run
    with cmms.connect() as conn:
        healed = conn.execute(sa.text("SELECT qb_id, cause FROM sync_drift WHERE status = 'healed'")).all()
        balance = conn.execute(
            sa.text("SELECT balance FROM invoices WHERE qb_id = :q"), {"q": paid_later["Id"]}
        )
        assert balance.scalar_one() == Decimal(str(co.read("Invoice", paid_later["Id"])["Balance"])).quantize(
            Decimal("0.01")
        )
    assert [tuple(r) for r in healed] == [
        (paid_later["Id"], "payment recorded in QuickBooks not yet pulled into the CMMS")
    ]
