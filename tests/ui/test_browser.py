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
        "Chart of Accounts", "Tax", "Customers", "Items", "Vendors", "Invoices", "Bills", "Expenses", "Payments"
    ]
    cells = row.locator("td").all_inner_texts()
    assert cells[2:7] == ["4", "0", "4", "0", "0"]  # 3 demo customers + the clash, none sent yet
    shot(page, "02-quickbooks-page-light")
