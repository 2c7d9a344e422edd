"""Faults in the data: names that clash or only look different, inactive and CMMS-only references,
a negative starting quantity, a stale SyncToken (defects 6 and 7)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from tests.faults.fault_helpers import execute, problems, q, qbo_all, record, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")
ALL = ("accounts", "tax_codes", "tax_rates", "customers", "items", "vendors")


def _error(cmms: sa.Engine, table: str, column: str, value: str) -> sa.Row:
    return q(cmms, f"SELECT id, qb_id, qb_status, qb_error FROM {table} WHERE {column} = :v", v=value)[0]


def _account(cmms: sa.Engine, kind: str) -> sa.Row:
    return q(
        cmms,
        "SELECT id, qb_id, name FROM accounts WHERE account_type = :k AND active ORDER BY id LIMIT 1",
        k=kind,
    )[0]


def test_name_clashes_say_which_list_and_record(sandbox: Any, cmms: sa.Engine) -> None:
    assert run_dag(*ALL)["sync_items"] == "success"
    vendor = next(o for o in qbo_all(sandbox, "Vendor"))
    execute(cmms, "INSERT INTO customers (display_name) VALUES (:n)", n=vendor["DisplayName"])
    first, other = q(
        cmms, "SELECT id, name, qb_id FROM items WHERE item_type = 'service' ORDER BY id LIMIT 2"
    )
    execute(cmms, "UPDATE items SET name = :n WHERE id = :i", n=other.name, i=first.id)

    states = run_dag("customers", "items")

    assert states["sync_customers"] == states["sync_items"] == "success"  # partial runs, not failures
    customer = _error(cmms, "customers", "display_name", vendor["DisplayName"])
    assert customer.qb_status == "error" and customer.qb_id is None
    assert customer.qb_error.startswith(
        f"Customer '{vendor['DisplayName']}': the name is already used in QuickBooks by vendor "
        f"'{vendor['DisplayName']}' (QuickBooks Id {vendor['Id']}). QuickBooks needs a name that no other "
        "customer, vendor or employee uses"
    )
    item = q(cmms, "SELECT qb_status, qb_error FROM items WHERE id = :i", i=first.id)[0]
    assert item.qb_status == "error"
    assert item.qb_error.startswith(
        f"Item '{other.name}': the name is already used in QuickBooks by item '{other.name}' "
        f"(QuickBooks Id {other.qb_id}). QuickBooks needs a name that no other item uses"
    )
    assert [r.status for r in q(cmms, "SELECT status FROM sync_runs ORDER BY id DESC LIMIT 2")] == [
        "partial"
    ] * 2
    record("duplicate name: customer vs vendor", "refused; names the vendor and its Id")
    record("duplicate name: item vs item", "refused; names the item list and the item's Id")


def test_inactive_and_cmms_only_accounts_say_what_to_do(sandbox: Any, cmms: sa.Engine) -> None:
    assert run_dag(*ALL)["sync_items"] == "success"
    income = _account(cmms, "Income")
    current = sandbox.company.read("Account", income.qb_id)
    sandbox.company.update(
        "Account", {"Id": income.qb_id, "SyncToken": current["SyncToken"], "sparse": True, "Active": False}
    )
    execute(cmms, "INSERT INTO accounts (name, account_type) VALUES ('Local Only Income', 'Income')")
    local = q(cmms, "SELECT id FROM accounts WHERE name = 'Local Only Income'")[0]
    execute(
        cmms,
        "INSERT INTO items (name, item_type, income_account_id) VALUES "
        "('Uses Inactive Account', 'service', :a), ('Uses Local Account', 'service', :b)",
        a=income.id,
        b=local.id,
    )

    assert run_dag("items")["sync_items"] == "success"  # accounts not re-pulled: QuickBooks refuses

    inactive = _error(cmms, "items", "name", "Uses Inactive Account")
    assert inactive.qb_error == (
        f"Item 'Uses Inactive Account': QuickBooks refused it because its income account "
        f"(IncomeAccountRef) refers to account '{income.name}' (QuickBooks Id {income.qb_id}), which "
        "QuickBooks reports as inactive. Make it active again in QuickBooks, or choose another one in "
        "the CMMS, then run the sync again."
    )
    local_only = _error(cmms, "items", "name", "Uses Local Account")
    assert local_only.qb_error.startswith(
        f"Item 'Uses Local Account': its income account (income_account_id) is account #{local.id}, "
        "which exists only in the CMMS. It was not sent to QuickBooks. Accounts come from QuickBooks "
        "and are never sent to it, so this does not resolve by itself"
    )
    assert "retried automatically" not in local_only.qb_error
    record("inactive reference (610)", "names the field and the inactive account")
    record("account that exists only in the CMMS", "says it never resolves and what to do")


def test_hostile_names(sandbox: Any, cmms: sa.Engine) -> None:
    assert run_dag("customers")["sync_customers"] == "success"
    names = [
        "FQ Twin Name",
        "fq  twin   NAME",
        "Caf\u00e9 Hostile",  # NFC
        "Cafe\u0301 Hostile",  # NFD: the same name
        "\uff21\uff43\uff4d\uff45 Widths",  # full-width "Acme"
        "Zero\u200bWidth Co",
        "  Spaced   Out  Co ",
    ]
    for name in names:
        execute(cmms, "INSERT INTO customers (display_name) VALUES (:n)", n=name)

    assert run_dag("customers")["sync_customers"] == "success"

    in_qbo = {o["DisplayName"] for o in qbo_all(sandbox, "Customer")}
    assert {"FQ Twin Name", "Caf\u00e9 Hostile", "Spaced Out Co"} <= in_qbo
    assert not {"fq twin NAME", "Acme Widths", "ZeroWidth Co", "\uff21\uff43\uff4d\uff45 Widths"} & in_qbo
    twin = _error(cmms, "customers", "display_name", "fq  twin   NAME")
    assert twin.qb_error.startswith(
        "Customer 'fq  twin   NAME': has the same name as Customer 'FQ Twin Name' (CMMS #"
    )
    assert _error(cmms, "customers", "display_name", "Cafe\u0301 Hostile").qb_status == "error"
    wide = _error(cmms, "customers", "display_name", "\uff21\uff43\uff4d\uff45 Widths")
    assert "is typed in full-width characters (U+FF21 fullwidth latin capital letter a)" in wide.qb_error
    assert "Type it as 'Acme Widths'" in wide.qb_error
    hidden = _error(cmms, "customers", "display_name", "Zero\u200bWidth Co")
    assert "contains an invisible character (U+200B zero width space)" in hidden.qb_error
    assert problems(sandbox, cmms, "customers", allow_unlinked=4, cmms_twins_ok=True) == []
    assert run_dag("customers")["sync_customers"] == "success"  # a clean follow-up run: no new copy
    assert {o["DisplayName"] for o in qbo_all(sandbox, "Customer")} == in_qbo
    record("names equal but for case/spacing/NFC", "sent once; the twin refused, naming the first")
    record("full-width and zero-width look-alikes", "refused before sending with the character named")


def test_negative_starting_quantity_is_refused_before_sending(sandbox: Any, cmms: sa.Engine) -> None:
    assert run_dag(*ALL)["sync_items"] == "success"
    income, cogs = _account(cmms, "Income"), _account(cmms, "Cost of Goods Sold")
    asset = q(cmms, "SELECT id FROM accounts WHERE account_sub_type = 'Inventory' ORDER BY id LIMIT 1")[0]
    execute(
        cmms,
        "INSERT INTO items (name, item_type, qty_on_hand, inv_start_date, income_account_id, "
        "expense_account_id, asset_account_id) VALUES ('Negative Stock', 'inventory', -5, '2026-11-01', "
        ":i, :e, :a)",
        i=income.id,
        e=cogs.id,
        a=asset.id,
    )
    sandbox.reset_counters()

    assert run_dag("items")["sync_items"] == "success"

    item = _error(cmms, "items", "name", "Negative Stock")
    assert item.qb_error == (
        "Item 'Negative Stock': quantity on hand is -5.0000; QuickBooks does not take a negative one "
        "(set 0 or more). Nothing was sent to QuickBooks. Correct the record in the CMMS and run the "
        "sync again."
    )
    assert sandbox.counters().get("write:Item", 0) == 0
    record("negative inventory quantity", "refused before sending")


def test_stale_synctoken_is_logged_once_and_converges(
    sandbox: Any, cmms: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    assert run_dag("customers")["sync_customers"] == "success"
    target = q(cmms, "SELECT id, qb_id, qb_sync_token, display_name FROM customers ORDER BY id LIMIT 1")[0]
    execute(cmms, "UPDATE customers SET phone = '(415) 555-0142' WHERE id = :i", i=target.id)
    sandbox.add_fault("POST", r"/batch\?.*requestid=", "hold")

    def edit_in_quickbooks_meanwhile() -> None:
        deadline = time.monotonic() + 60
        while not sandbox.faults.held():
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        current = sandbox.company.read("Customer", target.qb_id)
        sandbox.company.update(
            "Customer",
            {"Id": target.qb_id, "SyncToken": current["SyncToken"], "sparse": True, "Notes": "edited in QBO"},
        )
        sandbox.release_holds()

    helper = threading.Thread(target=edit_in_quickbooks_meanwhile)
    helper.start()
    with caplog.at_level(logging.WARNING, logger="qbo_sync.sync"):
        try:
            states = run_dag("customers")
        finally:
            helper.join()

    assert states["sync_customers"] == "success"
    stale = [r.getMessage() for r in caplog.records if "QuickBooks 5010" in r.getMessage()]
    assert stale == [
        f"Customer '{target.display_name}': changed in QuickBooks since it was read (SyncToken "
        f"{target.qb_sync_token} is stale, QuickBooks 5010); re-reading it, merging, and sending the "
        "CMMS changes once more"
    ]
    remote = sandbox.company.read("Customer", target.qb_id)
    assert remote["PrimaryPhone"]["FreeFormNumber"] == "(415) 555-0142" and remote["Notes"] == "edited in QBO"
    assert q(cmms, "SELECT notes FROM customers WHERE id = :i", i=target.id)[0].notes == "edited in QBO"
    assert problems(sandbox, cmms, "customers") == []
    record("stale SyncToken (5010)", "re-read, merged, resent; logged once for the record")
