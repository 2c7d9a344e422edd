"""Fixtures of the browser tests: one real Airflow for the module, a CMMS database connected to the
sandbox company, and headless Chromium (Debian's package) driven by Playwright.

Without Chromium the browser tests skip with the reason, except under ``CI=true`` where they fail
(``.ci/run`` installs it). Screenshots go to ``test-artifacts/ui/`` (gitignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REDIRECT, create_database, drop_database

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")


def chromium_path() -> str:
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    reason = "no Chromium on this machine (apt-get install chromium); browser tests need it"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run; .ci/run installs it)")
    pytest.skip(reason)


def connect_cmms(engine: Any, sandbox: Any) -> None:
    """Store the sandbox company's tokens in the CMMS database through the OAuth flow."""
    from qbo_sync.connect_flow import approve_locally, begin_connect, complete_connect
    from qbo_sync.qbo.oauth import OAuthClient, endpoints_for

    oauth = OAuthClient.for_endpoints(
        "sandbox-demo-client", "sandbox-demo-secret", endpoints_for("local", sandbox.url)
    )
    answer = approve_locally(begin_connect(engine, oauth, REDIRECT))
    complete_connect(engine, oauth, code=answer["code"], state=answer["state"], realm_id=answer["realmId"])


@pytest.fixture(scope="module")
def browser_path() -> str:
    return chromium_path()


@pytest.fixture(scope="module")
def cmms_db(sandbox: Any) -> Iterator[tuple[str, Any]]:
    """A migrated CMMS database with the demo data, connected to the sandbox company."""
    from qbo_sync.db.engine import create_engine
    from qbo_sync.db.migrate import upgrade
    from qbo_sync.demo import seed_demo

    url = create_database("qbo_test")
    upgrade(url)
    engine = create_engine(url)
    seed_demo(engine)
    connect_cmms(engine, sandbox)
    try:
        yield url, engine
    finally:
        engine.dispose()
        drop_database(url)


@pytest.fixture(scope="module")
def airflow_stack(
    sandbox: Any, cmms_db: tuple[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    from tests.ui.airflow_stack import AirflowStack

    url, _ = cmms_db
    metadata = create_database("qbo_test")
    quickbooks = {
        "conn_type": "quickbooks",
        "login": "sandbox-demo-client",
        "password": "sandbox-demo-secret",
        "host": sandbox.url,
        "extra": {"environment": "local", "realm_id": sandbox.realm_id, "redirect_uri": REDIRECT},
    }
    cmms = {
        "conn_type": "postgres",
        "host": "127.0.0.1",
        "port": 5432,
        "login": "postgres",
        "schema": url.rsplit("/", 1)[1],
    }
    stack = AirflowStack(
        home=tmp_path_factory.mktemp("airflow_home"),
        metadata_url=metadata,
        connections={"quickbooks_default": quickbooks, "cmms_db": cmms},
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        drop_database(metadata)


@pytest.fixture(scope="module")
def browser(browser_path: str) -> Iterator[Any]:
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()
