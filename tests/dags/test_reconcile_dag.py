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
    assert run_dag() == {"preflight": "success", "reconcile": "success"}
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
    assert states == {"preflight": "skipped", "reconcile": "skipped"}
    assert sandbox.counters()["total"] == 0
