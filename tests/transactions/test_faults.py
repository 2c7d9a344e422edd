"""Exactly once under faults: after each one, QuickBooks holds exactly one object per CMMS record and
every CMMS record has its QB ID (asserted by querying the sandbox company)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from qbo_sync.qbo.errors import RetriableError
from tests.transactions.conftest import make_client
from tests.transactions.txn_helpers import (
    add_bill,
    add_invoice,
    cmms_id,
    execute,
    invoice_objects,
    qbo,
    rows,
    scalar,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _invoices(engine: sa.Engine, n: int, prefix: str = "F") -> list[int]:
    customer, item = cmms_id(engine, "customers", "13"), cmms_id(engine, "items", "1")
    return [
        add_invoice(engine, f"{prefix}-{i:04d}", customer, [(item, 1, f"{10 + i}.00", None)])
        for i in range(n)
    ]


def assert_exactly_once(sb: Any, engine: sa.Engine, prefix: str = "F") -> None:
    made = invoice_objects(sb, f"DocNumber LIKE '{prefix}-%'")
    cmms = rows(
        engine,
        "SELECT invoice_number, qb_id, qb_status FROM invoices WHERE invoice_number LIKE :p",
        p=f"{prefix}-%",
    )
    assert sorted(o["DocNumber"] for o in made) == sorted(r["invoice_number"] for r in cmms)  # one each
    by_number = {o["DocNumber"]: o["Id"] for o in made}
    assert all(r["qb_id"] == by_number[r["invoice_number"]] and r["qb_status"] == "synced" for r in cmms)
    assert scalar(engine, "SELECT count(*) FROM sync_txn_state WHERE sending_since IS NOT NULL") == 0


@pytest.mark.parametrize(
    ("kind", "times", "xml"),
    [("429", 3, False), ("429", 2, True), ("500", 2, False), ("503", 1, False), ("drop", 1, False)],
)
def test_transient_faults_are_retried_without_duplicates(
    sb: Any, masters: sa.Engine, push, kind: str, times: int, xml: bool
) -> None:
    _invoices(masters, 35)
    sb.add_fault("POST", r"/batch\?.*requestid=", kind, times=times, xml=xml)

    counts = push("invoices")

    assert (counts.created, counts.failed) == (35, 0)
    assert_exactly_once(sb, masters)
    assert sb.counters()["batch"] == 2 + times  # two batches (30 + 5), plus the refused attempts


def test_timeout_after_commit_is_answered_by_the_requestid_replay(sb: Any, masters: sa.Engine, push) -> None:
    _invoices(masters, 3)
    sb.add_fault("POST", r"/batch\?.*requestid=", "timeout_after_commit", times=1)

    counts = push("invoices", with_client=make_client(sb, timeout=(2, 1)))

    assert counts.created == 3
    assert sb.counters()["replayed"] == 1
    assert_exactly_once(sb, masters)


def test_timeouts_until_the_run_gives_up_then_the_next_run_adopts(sb: Any, masters: sa.Engine, push) -> None:
    ids = _invoices(masters, 4)
    sb.add_fault("POST", r"/batch\?.*requestid=", "timeout_after_commit", times=5)

    with pytest.raises(RetriableError):
        push("invoices", with_client=make_client(sb, timeout=(2, 1), max_attempts=2))

    assert (
        len(invoice_objects(sb, "DocNumber LIKE 'F-%'")) == 4
    )  # QuickBooks saved them; the CMMS never heard
    assert scalar(masters, "SELECT count(*) FROM invoices WHERE qb_id IS NOT NULL") == 0
    assert scalar(masters, "SELECT count(*) FROM sync_txn_state WHERE sending_since IS NOT NULL") == 4
    sb.release_holds()
    sb.reset_counters()

    counts = push("invoices")

    assert (counts.linked, counts.created, counts.failed) == (4, 0, 0)
    assert sb.counters()["query"] == 1 and sb.counters()["batch"] == 0  # one IN lookup, no create
    assert_exactly_once(sb, masters)
    assert {
        r["qb_status"] for r in rows(masters, "SELECT qb_status FROM invoices WHERE id = ANY(:i)", i=ids)
    } == {"synced"}


KILLED_WORKER = """
import sys
from qbo_sync.db.engine import create_engine
from qbo_sync.mapping import load_mappings
from qbo_sync.qbo.budget import RequestBudget
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.transport import Transport
from qbo_sync.sync.push.txn import TransactionPush
from tests.transactions.txn_helpers import StaticTokens

pg_url, url, realm, token = sys.argv[1:5]
client = QBOClient(Transport(url, realm, StaticTokens(token), budget=RequestBudget(), timeout=(2, 60)))
engine = create_engine(pg_url)
TransactionPush(load_mappings()["invoices"], client, engine, realm_id=realm, run_key="killed").run()
"""


def test_worker_killed_between_quickbooks_save_and_cmms_commit_then_retried(
    sb: Any, masters: sa.Engine, push, pg_url: str
) -> None:
    _invoices(masters, 5)
    sb.add_fault("POST", r"/batch\?.*requestid=", "hold", times=1)
    token = sb.issue_tokens()["access_token"]
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER, pg_url, sb.url, sb.realm_id, token], cwd=REPO
    )
    try:
        deadline = time.monotonic() + 60
        while requests.get(f"{sb.url}/_sandbox/faults", timeout=5).json()["held"] == 0:
            assert worker.poll() is None and time.monotonic() < deadline, "the worker never sent its batch"
            time.sleep(0.05)
        worker.kill()  # SIGKILL while QuickBooks has the batch: nothing in the worker runs after this
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    sb.release_holds()  # QuickBooks now saves the batch; nobody hears the answer
    deadline = time.monotonic() + 10
    while len(invoice_objects(sb, "DocNumber LIKE 'F-%'")) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert scalar(masters, "SELECT count(*) FROM invoices WHERE qb_id IS NOT NULL") == 0
    sb.reset_counters()

    counts = push("invoices")  # the task's retry

    assert (counts.linked, counts.created) == (5, 0)
    assert_exactly_once(sb, masters)


def test_a_bill_number_someone_else_used_is_reported_and_ours_is_adopted(
    sb: Any, masters: sa.Engine, push
) -> None:
    vendor, account = cmms_id(masters, "vendors", "29"), cmms_id(masters, "accounts", "22")
    theirs = add_bill(masters, "SQ-1", vendor, [{"account_id": account, "amount": "10.00"}])
    ours = add_bill(masters, "SQ-2", vendor, [{"account_id": account, "amount": "20.00"}])
    line = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": 10,
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "22"}},
    }
    other = sb.company.create("Bill", {"VendorRef": {"value": "29"}, "DocNumber": "SQ-1", "Line": [line]})
    # A bill this sync created before the CMMS lost its link (e.g. restored from a backup):
    mine = sb.company.create(
        "Bill",
        {
            "VendorRef": {"value": "29"},
            "DocNumber": "SQ-2",
            "PrivateNote": f"CMMS purchase invoice id {ours}",
            "Line": [line],
        },
    )

    counts = push("bills")

    assert (counts.created, counts.linked, counts.updated, counts.failed) == (0, 1, 1, 1)
    bills = qbo(sb, "SELECT * FROM Bill MAXRESULTS 1000")
    assert sorted(b["DocNumber"] for b in bills if b["DocNumber"].startswith("SQ-")) == ["SQ-1", "SQ-2"]
    adopted = rows(
        masters, "SELECT qb_id, qb_status, qb_total_amt FROM purchase_invoices WHERE id = :i", i=ours
    )[0]
    assert adopted == {"qb_id": mine["Id"], "qb_status": "synced", "qb_total_amt": Decimal("20.00")}
    assert sb.company.read("Bill", mine["Id"])["TotalAmt"] == 20.0  # the CMMS version was sent
    row = rows(masters, "SELECT qb_id, qb_status, qb_error FROM purchase_invoices WHERE id = :i", i=theirs)[0]
    assert row["qb_id"] is None and row["qb_status"] == "error"
    assert row["qb_error"] == (
        f"Bill 'SQ-1': QuickBooks already has a bill numbered SQ-1 for 'Sequoia HVAC Parts' (QuickBooks Id "
        f"{other['Id']}) that this sync did not create, so this bill was not sent (it "
        "would be a second document "
        "with the same number). Give the CMMS bill another number, or renumber or void "
        "the one in QuickBooks, "
        "then run the sync again."
    )
    execute(masters, "UPDATE purchase_invoices SET bill_number = 'SQ-1B' WHERE id = :i", i=theirs)
    assert push("bills").created == 1
