"""``qbo_full_sync`` end to end with ``dag.test()``: real Airflow, sandbox over HTTP, real PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import airflow_uri

pytestmark = pytest.mark.usefixtures("airflow_db")

DAGS = Path(__file__).resolve().parents[2] / "dags"
SYNC_TASKS = [
    "pull_accounts",
    "pull_tax_codes",
    "pull_tax_rates",
    "sync_customers",
    "sync_items",
    "sync_vendors",
]
PUSH_TASKS = ["push_invoices", "push_bills", "push_expenses"]  # not in ENTITIES: skipped here
ENTITIES = ["accounts", "tax_codes", "tax_rates", "customers", "items", "vendors"]
QBO_ENTITY = dict(zip(ENTITIES, ["Account", "TaxCode", "TaxRate", "Customer", "Item", "Vendor"], strict=True))


def run_dag(**conf: Any) -> dict[str, str]:
    """One run of qbo_full_sync; returns {task_id: final state}."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).get_dag("qbo_full_sync")
    dr = dag.test(run_conf={"entities": ENTITIES, "full_refresh": False, "dry_run": False, **conf})
    return {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}


def report_page_html() -> str:
    """The plugin's /qbo/report page, as an Airflow user allowed to edit connections sees it."""
    from fastapi.testclient import TestClient

    from qbo_sync import web
    from qbo_sync.ui.guards import can_edit, can_read

    web.app.dependency_overrides = {can_read: lambda: None, can_edit: lambda: None}
    try:
        answer = TestClient(web.app).get("/report")
    finally:
        web.app.dependency_overrides = {}
    assert answer.status_code == 200
    return answer.text


def q(engine: sa.Engine, sql: str, **params: Any) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def qbo(sandbox: Any, statement: str) -> list[dict]:
    answer = sandbox.company.query(statement)
    return next((v for v in answer.values() if isinstance(v, list)), [])


def test_full_sync_both_ways_then_quiet(sandbox: Any, cmms: sa.Engine) -> None:
    # 1. fresh CMMS + seeded company: everything arrives with QB ids, in the product's order
    states = run_dag()
    assert {t: states[t] for t in ["preflight", *SYNC_TASKS]} == dict.fromkeys(
        ["preflight", *SYNC_TASKS], "success"
    )
    assert {states[t] for t in [*PUSH_TASKS, "switched_off"]} == {"skipped"}
    for table, entity in QBO_ENTITY.items():
        expected = qbo(sandbox, f"SELECT * FROM {entity} WHERE Active IN (true, false) MAXRESULTS 1000")
        if entity == "Item":  # categories group items in QBO; they are not items of the CMMS
            expected = [o for o in expected if o.get("Type") != "Category"]
        got = q(cmms, f"SELECT qb_id FROM {table} WHERE qb_status = 'synced' AND qb_id IS NOT NULL")
        assert expected and sorted(r.qb_id for r in got) == sorted(o["Id"] for o in expected), table
        assert q(cmms, f"SELECT count(*) AS n FROM {table}")[0].n == len(expected), table
    runs = q(cmms, "SELECT entity, status, started_at, finished_at FROM sync_runs ORDER BY id")
    reference_done = max(r.finished_at for r in runs if r.entity in ("accounts", "tax_codes", "tax_rates"))
    assert all(r.started_at >= reference_done for r in runs if r.entity in ("customers", "items", "vendors"))
    assert {r.status for r in runs} == {"success"}

    # 2. CMMS create + edit, QBO edit, and one field edited on both sides
    customer = q(cmms, "SELECT id, qb_id, display_name FROM customers ORDER BY id LIMIT 1")[0]
    other = q(cmms, "SELECT id, qb_id FROM customers ORDER BY id LIMIT 1 OFFSET 1")[0]
    with cmms.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO customers (display_name, email, active) VALUES (:n, :e, true)"),
            {"n": "Riverside Clinic", "e": "ops@riverside.example"},
        )
        conn.execute(
            sa.text("UPDATE customers SET phone = '(415) 555-0100' WHERE id = :i"), {"i": customer.id}
        )
        conn.execute(
            sa.text("UPDATE customers SET display_name = 'Renamed In CMMS' WHERE id = :i"), {"i": other.id}
        )
    qbo_other = sandbox.company.read("Customer", other.qb_id)
    sandbox.company.update(
        "Customer",
        {
            "Id": other.qb_id,
            "SyncToken": qbo_other["SyncToken"],
            "sparse": True,
            "DisplayName": "Renamed In QBO",
            "PrimaryEmailAddr": {"Address": "billing@renamed.example"},
        },
    )
    states = run_dag()
    assert states["sync_customers"] == "success"
    created = qbo(sandbox, "SELECT * FROM Customer WHERE DisplayName = 'Riverside Clinic'")
    assert len(created) == 1 and created[0]["PrimaryEmailAddr"]["Address"] == "ops@riverside.example"
    assert (
        q(cmms, "SELECT qb_id FROM customers WHERE display_name = 'Riverside Clinic'")[0].qb_id
        == created[0]["Id"]
    )
    assert (
        sandbox.company.read("Customer", customer.qb_id)["PrimaryPhone"]["FreeFormNumber"] == "(415) 555-0100"
    )
    row = q(cmms, "SELECT display_name, email, qb_status, qb_error FROM customers WHERE id = :i", i=other.id)[
        0
    ]
    assert row.email == "billing@renamed.example"  # QBO-only edit flowed into the CMMS
    assert row.qb_status == "conflict" and "display name" in row.qb_error.lower()
    conflict = q(
        cmms, "SELECT field, cmms_value, qbo_value, status FROM sync_conflicts WHERE cmms_id = :i", i=other.id
    )
    assert [(c.field, c.status) for c in conflict] == [("display_name", "open")]
    assert "Renamed In CMMS" in conflict[0].cmms_value and "Renamed In QBO" in conflict[0].qbo_value
    # the data team sees it: `qbo-sync report` and the plugin's report page
    from qbo_sync.report import sync_report

    assert f"conflict: customers #{other.id} display_name" in sync_report(cmms)
    page = report_page_html()
    assert "Open conflicts (1)" in page and "Renamed In QBO" in page and "Renamed In CMMS" in page

    # 3. nothing changed on either side: a run makes no QuickBooks writes
    sandbox.reset_counters()
    states = run_dag()
    assert states["sync_customers"] == "success"
    counters = sandbox.counters()
    assert counters.get("write", 0) == 0
    # the change check's one batch (tax lists: reads only) and one CDC; nothing else (issue 11)
    assert (counters.get("batch", 0), counters.get("cdc", 0), counters.get("query", 0)) == (1, 1, 0)


def test_switch_off_skips_everything_before_any_quickbooks_call(sandbox: Any, cmms: sa.Engine) -> None:
    with cmms.begin() as conn:
        conn.execute(sa.text("UPDATE qb_settings SET enabled = false"))
    states = run_dag()
    assert {states[t] for t in ["preflight", *SYNC_TASKS, *PUSH_TASKS, "check_results"]} == {"skipped"}
    # the one green box of the run, labelled with why nothing ran
    assert states["switched_off"] == "success"
    assert sandbox.counters().get("total", 0) == 0
    # nothing synced; the switched-off task records why, per entity, where the QuickBooks page shows it
    from qbo_sync.sync.tasks import SWITCHED_OFF

    runs = q(cmms, "SELECT entity, status, message FROM sync_runs ORDER BY entity")
    assert sorted(r.entity for r in runs) == sorted(ENTITIES)
    assert {(r.status, r.message) for r in runs} == {("skipped", SWITCHED_OFF)}


def test_switch_off_reason_is_readable(cmms: sa.Engine) -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    from qbo_sync.sync.tasks import preflight

    with cmms.begin() as conn:
        conn.execute(sa.text("UPDATE qb_settings SET enabled = false"))
    with pytest.raises(AirflowSkipException, match=r"switched off \(qb_settings.enabled = false"):
        preflight({"params": {"entities": ENTITIES}})


def test_dry_run_writes_nothing(sandbox: Any, cmms: sa.Engine) -> None:
    with cmms.begin() as conn:  # a CMMS-only customer: a real run would create it in QuickBooks
        conn.execute(sa.text("INSERT INTO customers (display_name, active) VALUES ('Dry Run Dental', true)"))
    states = run_dag(dry_run=True)
    assert states["sync_customers"] == "success"
    assert q(cmms, "SELECT count(*) AS n FROM customers")[0].n == 1
    assert q(cmms, "SELECT qb_id FROM customers")[0].qb_id is None
    assert q(cmms, "SELECT count(*) AS n FROM accounts")[0].n == 0
    counters = sandbox.counters()
    assert counters.get("write", 0) == 0 and counters.get("batch", 0) == 0
    assert q(cmms, "SELECT created FROM sync_runs WHERE entity = 'customers'")[0].created >= 1
    assert {r.dry_run for r in q(cmms, "SELECT dry_run FROM sync_runs")} == {True}


def test_entities_param_limits_the_run(sandbox: Any, cmms: sa.Engine) -> None:
    states = run_dag(entities=["accounts"])
    assert states["pull_accounts"] == "success"
    assert {states[t] for t in SYNC_TASKS if t != "pull_accounts"} == {"skipped"}
    assert q(cmms, "SELECT count(*) AS n FROM customers")[0].n == 0
    assert q(cmms, "SELECT count(*) AS n FROM accounts WHERE qb_id IS NOT NULL")[0].n > 0


def test_masters_alone_still_sync(sandbox: Any, cmms: sa.Engine) -> None:
    states = run_dag(entities=["customers"])
    assert [states[t] for t in ("pull_accounts", "pull_tax_codes", "pull_tax_rates")] == ["skipped"] * 3
    assert states["sync_customers"] == "success" and states["sync_items"] == "skipped"
    expected = qbo(sandbox, "SELECT * FROM Customer WHERE Active IN (true, false) MAXRESULTS 1000")
    assert q(cmms, "SELECT count(*) AS n FROM customers WHERE qb_id IS NOT NULL")[0].n == len(expected)


def test_a_cmms_bound_to_one_company_refuses_another(
    sandbox: Any, cmms: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import os

    from airflow.sdk.exceptions import AirflowFailException

    from qbo_sync.sync.tasks import preflight

    assert run_dag(entities=["accounts"])["pull_accounts"] == "success"
    conn = json.loads(os.environ["AIRFLOW_CONN_QUICKBOOKS_DEFAULT"])
    conn["extra"]["realm_id"] = "4620816365000000"
    monkeypatch.setenv("AIRFLOW_CONN_QUICKBOOKS_DEFAULT", json.dumps(conn))
    with pytest.raises(
        AirflowFailException, match=f"synced with QuickBooks company \\(realm\\) {sandbox.realm_id}"
    ):
        preflight({"params": {"entities": ENTITIES}})


def test_unmigrated_database_refuses_to_run(
    sandbox: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from qbo_sync.sync.tasks import preflight

    monkeypatch.setenv("AIRFLOW_CONN_CMMS_DB", airflow_uri(pg_url))
    extra = '"extra": {"environment": "local", "realm_id": "1"}'
    monkeypatch.setenv(
        "AIRFLOW_CONN_QUICKBOOKS_DEFAULT",
        '{"conn_type": "quickbooks", "login": "x", "password": "y", ' + extra + "}",
    )
    with pytest.raises(AirflowFailException, match="qbo-sync migrate"):
        preflight({"params": {"entities": ENTITIES}})
    states = run_dag()
    assert states["preflight"] == "failed"
    assert {states[t] for t in SYNC_TASKS} == {"upstream_failed"}


def test_lost_authorization_fails_at_once_with_how_to_reconnect(sandbox: Any, cmms: sa.Engine) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from qbo_sync.qbo.crypto import TokenCipher
    from qbo_sync.sync.tasks import sync_entity

    with cmms.begin() as conn:  # the stored tokens no longer work: access expired, refresh unknown
        conn.execute(
            sa.text(
                "UPDATE qbo_tokens SET refresh_token = :t, "
                "access_token_expires_at = now() - interval '1 hour'"
            ),
            {"t": TokenCipher().encrypt("a-refresh-token-quickbooks-never-issued")},
        )
    with pytest.raises(AirflowFailException, match=r"accounts: .*Reconnect it"):
        sync_entity("accounts", {"params": {"entities": ENTITIES}})
    with cmms.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM qbo_tokens")).scalar() == "reconnect_needed"
