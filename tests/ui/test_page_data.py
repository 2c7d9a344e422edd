# ruff: noqa: F811 - the sync suite's fixtures are imported by name (they are parameters here)
"""What the QuickBooks page reads and changes, against real PostgreSQL and the sandbox (no browser):
figures per entity, paged/filtered/searched records, conflict resolution that the next run applies,
values the merge overwrote, settings checks, the run report and the DAG's final check."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from qbo_sync.report import failed_records_message, run_report
from qbo_sync.ui import conflicts, entities, settings_store
from qbo_sync.ui.entities import RecordQuery
from tests.sync.conftest import client, mappings, run_sync  # noqa: F401 - fixtures
from tests.sync.sync_helpers import execute, rows, scalar

pytestmark = pytest.mark.postgres
CLASH = "Delta Safety Products"  # a vendor's name in the sandbox company


def by_key(engine: sa.Engine) -> dict[str, dict[str, Any]]:
    return {e["key"]: e for e in entities.summary(engine)}


def test_figures_per_entity_in_the_seed_order_and_records_paged(sb: Any, engine: sa.Engine, run_sync) -> None:
    execute(engine, f"INSERT INTO customers (display_name) VALUES ('Brand New Co'), ('{CLASH}')")
    before = by_key(engine)
    labels = ["Chart of Accounts", "Tax", "Customers", "Items", "Vendors"]
    labels += ["Invoices", "Bills", "Expenses", "Payments"]
    assert [e["label"] for e in entities.summary(engine)] == labels
    assert before["customers"]["waiting"] == 2 and before["customers"]["last_run"] is None
    assert before["payments"]["trigger"] == {"dag_id": "qbo_payments", "conf": {}}
    assert before["tax"]["trigger"] == {
        "dag_id": "qbo_full_sync",
        "conf": {"entities": ["tax_codes", "tax_rates"]},
    }

    run_sync("customers")

    after = by_key(engine)["customers"]
    total = scalar(engine, "SELECT count(*) FROM customers")
    assert (after["total"], after["synced"], after["waiting"], after["failed"]) == (total, total - 1, 0, 1)
    assert after["last_run"]["status"] == "partial" and after["last_run"]["dag_id"] == "test"
    failed = entities.records(engine, "customers", RecordQuery(status="failed"))
    assert failed["total"] == 1 and failed["records"][0]["name"] == CLASH
    assert (
        failed["records"][0]["quickbooks_status"] == "No"
        and "already used in QuickBooks by vendor" in failed["records"][0]["error"]
    )
    page2 = entities.records(engine, "customers", RecordQuery(page=2, page_size=10))
    assert [r["id"] for r in page2["records"]] == list(range(11, 11 + len(page2["records"])))
    found = entities.records(engine, "customers", RecordQuery(search="brand new"))
    assert [r["name"] for r in found["records"]] == ["Brand New Co"]
    assert found["records"][0]["quickbooks_status"] == "Yes" and found["records"][0]["qb_id"]
    with pytest.raises(ValueError, match="status must be all or one of"):
        RecordQuery(status="broken")
    with pytest.raises(entities.UnknownEntity, match="unknown entity 'nope'"):
        entities.records(engine, "nope", RecordQuery())

    report = run_report(engine, "test", "run1")
    assert report.failed == 1 and report.errors[0].entity == "customers"
    assert report.entities[0]["outcomes"]["to_quickbooks"]["created"] == 1
    assert failed_records_message(report).startswith("1 record(s) could not be synced (customers 1)")


def _rename_both_sides(sb: Any, engine: sa.Engine, cid: int, qb_id: str) -> None:
    execute(engine, "UPDATE customers SET display_name = 'Renamed In CMMS' WHERE id = :i", i=cid)
    token = sb.company.read("Customer", qb_id)["SyncToken"]
    sb.company.update(
        "Customer", {"Id": qb_id, "SyncToken": token, "sparse": True, "DisplayName": "Renamed In QBO"}
    )


@pytest.mark.parametrize("winner", ["cmms", "qbo"])
def test_the_picked_winner_is_applied(sb: Any, engine: sa.Engine, run_sync, winner: str) -> None:
    run_sync("customers")
    target = rows(engine, "SELECT id, qb_id FROM customers WHERE qb_id IS NOT NULL ORDER BY id LIMIT 1")[0]
    _rename_both_sides(sb, engine, target["id"], target["qb_id"])
    assert run_sync("customers")["customers"].conflicts == 1
    [open_] = conflicts.open_conflicts(engine)
    assert (open_["field"], open_["cmms"], open_["qbo"]) == (
        "display_name",
        "Renamed In CMMS",
        "Renamed In QBO",
    )
    assert by_key(engine)["customers"]["conflict"] == 1

    conflicts.resolve(engine, open_["id"], winner)
    with pytest.raises(conflicts.ConflictNotOpen, match=f"conflict {open_['id']} is not open"):
        conflicts.resolve(engine, open_["id"], winner)
    run_sync("customers")

    expected = "Renamed In CMMS" if winner == "cmms" else "Renamed In QBO"
    assert sb.company.read("Customer", target["qb_id"])["DisplayName"] == expected
    row = rows(engine, "SELECT display_name, qb_status FROM customers WHERE id = :i", i=target["id"])[0]
    assert row == {"display_name": expected, "qb_status": "synced"}
    assert scalar(engine, "SELECT count(*) FROM sync_conflicts WHERE status = 'open'") == 0


def test_an_overwritten_value_is_kept_with_the_record(sb: Any, engine: sa.Engine, run_sync) -> None:
    from qbo_sync.sync.record.overwrites import read_overwrites

    run_sync("customers")
    target = rows(engine, "SELECT id, qb_id FROM customers WHERE qb_id IS NOT NULL ORDER BY id LIMIT 1")[0]
    execute(engine, "UPDATE customers SET phone = '(415) 555-0199' WHERE id = :i", i=target["id"])
    token = sb.company.read("Customer", target["qb_id"])["SyncToken"]
    sb.company.update(
        "Customer",
        {
            "Id": target["qb_id"],
            "SyncToken": token,
            "sparse": True,
            "PrimaryPhone": {"FreeFormNumber": "(415) 555-0123"},
        },
    )
    run_sync("customers")
    assert sb.company.read("Customer", target["qb_id"])["PrimaryPhone"]["FreeFormNumber"] == "(415) 555-0199"
    [kept] = read_overwrites(engine, "customers", target["id"])
    assert (kept["field"], kept["overwritten_side"], kept["lost"], kept["kept"]) == (
        "phone", "qbo", "(415) 555-0123", "(415) 555-0199"
    )  # fmt: skip


def test_settings_are_checked_before_saving(engine: sa.Engine) -> None:
    execute(engine, "INSERT INTO accounts (name, active) VALUES ('Repairs', true)")
    account = scalar(engine, "SELECT id FROM accounts")
    saved = settings_store.save_settings(engine, {"enabled": False, "expense_debit_account_id": str(account)})
    assert saved["enabled"] is False and saved["expense_debit_account_id"] == account
    with pytest.raises(settings_store.SettingsError, match="expense_credit_account_id: account 999"):
        settings_store.save_settings(engine, {"expense_credit_account_id": 999})
    with pytest.raises(settings_store.SettingsError, match="enabled must be true or false"):
        settings_store.save_settings(engine, {"enabled": "yes"})
    with pytest.raises(settings_store.SettingsError, match="not a setting: realm"):
        settings_store.save_settings(engine, {"realm": "1"})
    assert [a["name"] for a in settings_store.accounts(engine)] == ["Repairs"]


def _context(params: dict[str, Any]) -> dict[str, Any]:
    ti = SimpleNamespace(dag_id="test", run_id="run1", task_id="check_results")
    return {"ti": ti, "params": params}


def test_final_check_fails_visibly_on_failed_records_and_skips_with_the_reason(
    sb: Any, engine: sa.Engine, run_sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qbo_sync.run_check import check_run, say_switched_off
    from qbo_sync.sync.tasks import SWITCHED_OFF

    monkeypatch.setenv(
        "AIRFLOW_CONN_CMMS_DB", engine.url.render_as_string(hide_password=False).replace("+psycopg2", "")
    )
    execute(engine, f"INSERT INTO customers (display_name) VALUES ('{CLASH}')")
    run_sync("customers")
    with pytest.raises(AirflowFailException, match=r"1 record\(s\) could not be synced \(customers 1\)"):
        check_run(_context({"entities": ["customers"]}))
    assert check_run(_context({"entities": ["customers"], "dry_run": True}))["failed"] == 1

    execute(engine, "UPDATE qb_settings SET enabled = false")
    with pytest.raises(AirflowSkipException, match="switched off"):
        check_run(_context({"entities": ["customers", "vendors"]}))
    # the run's one green box says why; it records the reason per entity for the page
    switched = {"ti": SimpleNamespace(dag_id="qbo_full_sync", run_id="run1", task_id="switched_off")}
    assert say_switched_off({**switched, "params": {"entities": ["customers", "vendors"]}}) == {
        "reason": SWITCHED_OFF
    }
    skipped = rows(
        engine, "SELECT entity, status, message FROM sync_runs WHERE status = 'skipped' ORDER BY entity"
    )
    assert skipped == [
        {"entity": "customers", "status": "skipped", "message": SWITCHED_OFF},
        {"entity": "vendors", "status": "skipped", "message": SWITCHED_OFF},
    ]
    assert by_key(engine)["vendors"]["last_run"]["message"] == SWITCHED_OFF


def test_a_task_process_does_not_build_the_web_app() -> None:
    code = (
        "import sys, asyncio; from qbo_sync.plugin import QuickBooksPlugin as P; "
        "app = P.fastapi_apps[0]['app']; "
        "print('qbo_sync.web' in sys.modules, 'starlette.templating' in sys.modules, app.built)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "False"]
