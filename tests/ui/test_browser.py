"""The QuickBooks page in a real browser against a real Airflow, the sandbox and PostgreSQL.

One Airflow for the module; the tests run in order and build on each other like a person's
session: the anonymous visitor, login, Sync customers, View failures, a conflict, settings, Test
Connection, the run's QuickBooks tab. Screenshots (light and dark) go to test-artifacts/ui/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.ui.airflow_stack import USERS
from tests.ui.conftest import ARTIFACTS

pytestmark = [pytest.mark.postgres, pytest.mark.airflow]
RUN_TIMEOUT_MS = 240_000
CLASH = "Delta Safety Products"  # a vendor's name in the sandbox company: QuickBooks refuses it (6240)


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def session(browser: Any, airflow_stack: Any) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme="light")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def frame(page: Any) -> Any:
    return page.frame_locator("iframe")


def test_a_visitor_without_login_is_sent_to_the_login(browser: Any, airflow_stack: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{airflow_stack.url}/qbo/")
    assert "/auth/login" in page.url and "next=" in page.url
    shot(page, "01-anonymous-login")
    context.close()


def test_login_and_open_the_quickbooks_page(session: Any, airflow_stack: Any, cmms_db: Any) -> None:
    _, engine = cmms_db
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO customers (display_name, active) VALUES (:n, true)"), {"n": CLASH})
    page = session
    page.goto(f"{airflow_stack.url}/qbo/")
    page.get_by_label(re.compile("user", re.I)).fill("admin")
    page.get_by_label(re.compile("password", re.I)).fill(USERS["admin"])
    page.get_by_role("button", name=re.compile("sign in|log ?in", re.I)).click()
    page.wait_for_url(re.compile(r"/qbo/"))
    page.goto(f"{airflow_stack.url}/plugin/quickbooks")
    row = frame(page).locator("#entities tr[data-entity=customers]")
    row.wait_for()
    labels = frame(page).locator("#entities tbody tr td:first-child").all_inner_texts()
    assert labels == [
        "Chart of Accounts",
        "Tax",
        "Customers",
        "Items",
        "Vendors",
        "Invoices",
        "Bills",
        "Expenses",
        "Payments",
    ]
    cells = row.locator("td").all_inner_texts()
    assert cells[2:7] == ["4", "0", "4", "0", "0"]  # 3 demo customers + the clash, none sent yet
    shot(page, "02-quickbooks-page-light")


def test_sync_customers_runs_the_dag_and_the_counts_change(
    session: Any, airflow_stack: Any, cmms_db: Any
) -> None:
    page, f = session, frame(session)
    f.locator("#entities tr[data-entity=customers] [data-action=sync]").click()
    assert "entities customers" in f.locator("#confirm-text").inner_text()
    f.locator("#confirm-yes").click()
    status = f.locator("#run-status")
    status.locator("#run-link").wait_for()
    # one record (the clash) fails: the run must not look like a clean success
    f.locator("#run-status[data-state=failed], #run-status[data-state=success]").wait_for(
        timeout=RUN_TIMEOUT_MS
    )
    assert status.get_attribute("data-state") == "failed", airflow_stack.logs()
    cells = f.locator("#entities tr[data-entity=customers] td").all_inner_texts()
    _, engine = cmms_db
    with engine.connect() as conn:
        pulled = conn.execute(sa.text("SELECT count(*) FROM customers WHERE id > 4")).scalar_one()
    assert pulled > 0  # the sandbox company's own customers came into the CMMS
    # total, synced (the 3 demo customers created in QuickBooks + those pulled), waiting, failed, conflict
    assert cells[2:7] == [str(4 + pulled), str(3 + pulled), "0", "1", "0"]
    assert cells[7].startswith("partial")
    with engine.connect() as conn:
        runs = conn.execute(
            sa.text("SELECT entity, status, outcomes FROM sync_runs WHERE entity = 'customers'")
        ).all()
    assert [(r.entity, r.status) for r in runs] == [("customers", "partial")]
    assert runs[0].outcomes["to_quickbooks"] == {"created": 3, "updated": 0, "waiting": 0, "failed": 1}
    run_id = status.locator("#run-link").inner_text()
    states = {
        ti["task_id"]: ti["state"]
        for ti in airflow_stack.api(
            "GET", f"/api/v2/dags/qbo_full_sync/dagRuns/{run_id}/taskInstances"
        ).json()["task_instances"]
    }
    assert states["sync_customers"] == "success" and states["check_results"] == "failed"
    shot(page, "03-after-sync")


def test_view_filtered_to_failures_shows_the_reason(session: Any) -> None:
    page, f = session, frame(session)
    f.locator("#entities tr[data-entity=customers] [data-action=view]").click()
    f.locator("#records-status").select_option("failed")
    f.locator("#records-total", has_text="1 record(s)").wait_for()
    expect(f.locator("#records-table tbody tr")).to_have_count(1)
    cells = f.locator("#records-table tbody tr").first.locator("td").all_inner_texts()
    assert cells[1] == CLASH and cells[2].startswith("No")
    assert cells[5].startswith(
        f"Customer '{CLASH}': the name is already used in QuickBooks by vendor '{CLASH}'"
    )
    f.locator("#records-search").fill("harbor")
    f.locator("#records-status").select_option("all")
    expect(f.locator("#records-table tbody td:nth-child(2)")).to_have_text(["Harbor View Apartments"])
    expect(f.locator("#records-total")).to_have_text("1 record(s)")
    shot(page, "04-view-failures")


def sync_from_page(f: Any, entity: str) -> str:
    """Press Sync for ``entity``, confirm, wait for the run to end; return its final state."""
    f.locator(f"#entities tr[data-entity={entity}] [data-action=sync]").click()
    f.locator("#confirm-yes").click()
    f.locator("#run-status #run-link").wait_for()
    done = f.locator("#run-status[data-state=failed], #run-status[data-state=success]")
    done.wait_for(timeout=RUN_TIMEOUT_MS)
    return str(done.get_attribute("data-state"))


def test_a_conflict_is_shown_and_resolved_and_an_overwrite_is_kept(
    session: Any, sandbox: Any, cmms_db: Any
) -> None:
    page, f = session, frame(session)
    _, engine = cmms_db
    with engine.begin() as conn:
        harbor = conn.execute(
            sa.text("SELECT id, qb_id FROM customers WHERE display_name = 'Harbor View Apartments'")
        ).one()
        conn.execute(
            sa.text("UPDATE customers SET display_name = :n, phone = :p WHERE id = :i"),
            {"n": "Harbor View Apartments (CMMS)", "p": "(415) 555-0199", "i": harbor.id},
        )
    token = sandbox.company.read("Customer", harbor.qb_id)["SyncToken"]
    sandbox.company.update(
        "Customer",
        {
            "Id": harbor.qb_id,
            "SyncToken": token,
            "sparse": True,
            "DisplayName": "Harbor View Apartments (QBO)",
            "PrimaryPhone": {"FreeFormNumber": "(415) 555-0123"},  # the bookkeeper's phone change
        },
    )
    assert sync_from_page(f, "customers") == "failed"  # the clash still fails; Harbor View merges
    cells = f.locator("#entities tr[data-entity=customers] td").all_inner_texts()
    assert cells[6] == "1"  # in conflict
    f.locator(".tabs button[data-tab=conflicts]").click()
    row = f.locator("#conflicts tr[data-conflict]")
    row.wait_for()
    assert row.count() == 1
    texts = row.locator("td").all_inner_texts()
    assert texts[1:5] == [
        "display_name",
        "Harbor View Apartments",
        "Harbor View Apartments (CMMS)",
        "Harbor View Apartments (QBO)",
    ]
    shot(page, "05-conflict")
    row.locator("[data-winner=qbo]").click()
    f.locator("#flash.ok").wait_for()
    f.locator("#conflicts td", has_text="No open conflicts.").wait_for()
    with engine.connect() as conn:
        after = conn.execute(
            sa.text("SELECT display_name, phone, qb_status FROM customers WHERE id = :i"), {"i": harbor.id}
        ).one()
        status = conn.execute(sa.text("SELECT status FROM sync_conflicts")).scalars().all()
    assert after.display_name == "Harbor View Apartments (QBO)" and after.qb_status == "synced"
    assert status == ["resolved_qbo"]
    # the phone (owner: CMMS) went to QuickBooks, and the bookkeeper's value is kept with the record
    assert (
        sandbox.company.read("Customer", harbor.qb_id)["PrimaryPhone"]["FreeFormNumber"] == "(415) 555-0199"
    )
    with engine.connect() as conn:
        kept = conn.execute(
            sa.text("SELECT field, overwritten_side, qbo_value, cmms_value FROM sync_overwrites")
        ).all()
    assert [(k.field, k.overwritten_side) for k in kept] == [("phone", "qbo")]
    f.locator(".tabs button[data-tab=entities]").click()
    f.locator("#entities tr[data-entity=customers] [data-action=view]").click()
    f.locator("#records-search").fill("harbor")
    expect(f.locator("#records-table tbody td:nth-child(2)")).to_have_text(["Harbor View Apartments (QBO)"])
    f.locator("#records-table tbody tr").first.get_by_role("button", name="History").click()
    history = f.locator("#records-table tr.history")
    history.wait_for()
    assert (
        "phone: QuickBooks had (415) 555-0123, replaced by the CMMS value (415) 555-0199"
        in history.inner_text()
    )
    shot(page, "06-overwritten-value")


def test_settings_change_and_test_connection(
    session: Any, airflow_stack: Any, cmms_db: Any, sandbox: Any
) -> None:
    page, f = session, frame(session)
    f.locator(".tabs button[data-tab=entities]").click()
    assert sync_from_page(f, "accounts") == "success"
    f.locator(".tabs button[data-tab=settings]").click()
    account = f.locator("#s-debit option").nth(1)  # the first pulled account (0 is "not set")
    account.wait_for(state="attached")
    debit = account.get_attribute("value")
    f.locator("#s-debit").select_option(debit)
    f.locator("#s-payments").uncheck()
    f.locator("#save-settings").click()
    f.locator("#flash.ok", has_text="Settings saved.").wait_for()
    _, engine = cmms_db
    with engine.connect() as conn:
        saved = conn.execute(
            sa.text("SELECT payment_sync_enabled, expense_debit_account_id FROM qb_settings")
        ).one()
    assert saved.payment_sync_enabled is False and saved.expense_debit_account_id == int(debit)
    # the connection lives in Airflow's metadata database: editable here, through Airflow's API
    assert f.locator("#c-env").input_value() == "local"
    f.locator("#c-env").select_option("production")
    assert f.locator("#c-base").get_attribute("placeholder").startswith("https://quickbooks.api.intuit.com")
    f.locator("#c-env").select_option("local")
    new_redirect = f"{airflow_stack.url}/qbo/oauth/callback"
    assert f.locator("#redirect-suggestion").inner_text() == new_redirect
    f.locator("#c-redirect").fill(new_redirect)
    f.locator("#save-connection").click()
    f.locator("#flash.ok", has_text="Connection quickbooks_default saved.").wait_for()
    conn_json = airflow_stack.api("GET", "/api/v2/connections/quickbooks_default").json()
    assert '"redirect_uri": "' + new_redirect + '"' in conn_json["extra"]
    f.locator("#test-connection").click()
    f.locator("#test-result.ok").wait_for()
    company = sandbox.company.company_info()["CompanyName"]
    assert f.locator("#test-result").inner_text() == (
        f"Connected to QuickBooks company '{company}' (realm {sandbox.realm_id})"
    )
    shot(page, "07-settings-light")
    page.emulate_media(color_scheme="dark")
    page.wait_for_timeout(500)
    assert "dark" in (f.locator("html").get_attribute("class") or "")
    shot(page, "08-settings-dark")
    f.locator(".tabs button[data-tab=entities]").click()
    shot(page, "09-quickbooks-page-dark")
    page.emulate_media(color_scheme="light")


def test_the_run_tab_shows_counts_and_errors(session: Any, airflow_stack: Any) -> None:
    page = session
    runs = airflow_stack.api("GET", "/api/v2/dags/qbo_full_sync/dagRuns?order_by=start_date").json()[
        "dag_runs"
    ]
    first = runs[0]["dag_run_id"]
    page.goto(f"{airflow_stack.url}/dags/qbo_full_sync/runs/{first}/plugin/quickbooks_run")
    f = frame(page)
    f.locator("#run-entities").wait_for()
    row = f.locator("#run-entities tr", has_text="customers")
    assert "3 created, 0 updated, 0 waiting, 1 failed" in row.inner_text()
    assert f.locator("#failed-note").inner_text().startswith("1 record(s) failed")
    assert CLASH in f.locator("#run-errors").inner_text()
    shot(page, "10-run-tab")


def test_sync_says_so_when_the_dag_is_not_deployed(session: Any, airflow_stack: Any) -> None:
    """The payments DAG taken away (its file gone and the DAG deleted, as on a deployment without
    it): Sync for Payments says the DAG is not found instead of failing silently; no run starts."""
    (airflow_stack.dags_folder / "qbo_payments.py").unlink()
    assert airflow_stack.api("DELETE", "/api/v2/dags/qbo_payments").status_code == 204
    assert airflow_stack.api("GET", "/api/v2/dags/qbo_payments").status_code == 404
    page = session
    page.goto(f"{airflow_stack.url}/plugin/quickbooks")
    f = frame(page)
    f.locator("#entities tr[data-entity=payments] [data-action=sync]").click()
    assert f.locator("#confirm-text").inner_text() == "Sync Payments now? This triggers the DAG qbo_payments."
    f.locator("#confirm-yes").click()
    status = f.locator("#run-status.bad")
    status.wait_for()
    assert status.inner_text() == (
        "The DAG qbo_payments was not found in Airflow: it is not deployed here (or not parsed yet), "
        "so Payments cannot be synced from this page."
    )
    assert f.locator("#run-status #run-link").count() == 0
    runs = airflow_stack.api("GET", "/api/v2/dags/qbo_payments/dagRuns")
    assert runs.status_code == 404 or runs.json()["total_entries"] == 0, runs.text
    shot(page, "11-dag-not-found")
