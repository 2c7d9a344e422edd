"""Pushing to QuickBooks: pre-send validation, readable rejections, 5010 retry, dry run."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.errors import RetriableError
from qbo_sync.sync import EntitySync
from tests.sync.sync_helpers import (
    add_bad_inventory_and_good_service_item,
    execute,
    qbo_all,
    rows,
    scalar,
)

MASTERS = ("accounts", "tax_codes", "tax_rates", "customers", "items", "vendors")


def test_inventory_item_with_wrong_account_type_fails_readably_and_others_sync(
    sb: Any, engine: sa.Engine, run_sync
) -> None:
    run_sync("accounts")
    add_bad_inventory_and_good_service_item(engine)
    sb.reset_counters()

    counts = run_sync("items")

    assert counts["items"].failed == 1
    bad = rows(engine, "SELECT * FROM items WHERE name = 'Hex Bolt M8'")[0]
    assert bad["qb_id"] is None and bad["qb_status"] == "error"
    assert bad["qb_error"].startswith("Item 'Hex Bolt M8': inventory items need an Inventory Asset account")
    assert "'Supplies & Materials' is an Expense account" in bad["qb_error"]
    assert "Nothing was sent to QuickBooks" in bad["qb_error"]
    good = rows(engine, "SELECT * FROM items WHERE name = 'Roof Inspection'")[0]
    assert good["qb_status"] == "synced"
    assert sb.company.read("Item", good["qb_id"])["IncomeAccountRef"]["value"] == "15"
    assert not [i for i in qbo_all(sb, "Item") if i["Name"] == "Hex Bolt M8"]
    error = rows(engine, "SELECT code, cmms_id, message FROM sync_record_errors")
    assert error == [{"code": "invalid", "cmms_id": bad["id"], "message": bad["qb_error"]}]


def test_name_used_by_a_vendor_is_a_readable_per_record_error(sb: Any, engine: sa.Engine, run_sync) -> None:
    execute(engine, "INSERT INTO customers (display_name) VALUES ('Delta Safety Products'), ('Brand New Co')")

    counts = run_sync("customers")

    assert counts["customers"].failed == 1 and counts["customers"].created >= 1
    clash = rows(engine, "SELECT * FROM customers WHERE display_name = 'Delta Safety Products'")[0]
    assert clash["qb_status"] == "error" and clash["qb_id"] is None
    assert clash["qb_error"].startswith(
        "Customer 'Delta Safety Products': the name is already used in QuickBooks by vendor "
        "'Delta Safety Products' (QuickBooks Id "
    )
    assert "Rename this customer in the CMMS" in clash["qb_error"]
    assert rows(engine, "SELECT code FROM sync_record_errors") == [{"code": "qbo_6240"}]
    assert scalar(engine, "SELECT qb_status FROM customers WHERE display_name = 'Brand New Co'") == "synced"


class _EditsBehindOurBack(QBOClient):
    """Our client, plus a QuickBooks user who edits customer ``qb_id`` just before our first batch."""

    def __init__(self, client: QBOClient, sb: Any, qb_id: str) -> None:
        super().__init__(client.transport)
        self.sb, self.qb_id, self.done = sb, qb_id, False

    def batch(self, items, request_id=None):  # type: ignore[no-untyped-def]
        if not self.done:
            self.done = True
            current = self.sb.company.read("Customer", self.qb_id)
            self.sb.company.update(
                "Customer",
                {"Id": self.qb_id, "SyncToken": current["SyncToken"], "sparse": True, "Notes": "Call first"},
            )
        return super().batch(items, request_id)


def test_stale_sync_token_is_reread_merged_and_retried_once(
    sb: Any, engine: sa.Engine, client: QBOClient, mappings, run_sync
) -> None:
    run_sync("customers")
    execute(engine, "UPDATE customers SET phone = '(650) 555-0142' WHERE qb_id = '5'")
    sb.reset_counters()

    counts = EntitySync(
        mappings["customers"],
        _EditsBehindOurBack(client, sb, "5"),
        engine,
        realm_id=sb.realm_id,
        run_key="test/stale",
    ).run()

    assert (counts.updated, counts.failed) == (2, 0)  # notes into the CMMS, phone into QuickBooks
    remote = sb.company.read("Customer", "5")
    assert remote["PrimaryPhone"]["FreeFormNumber"] == "(650) 555-0142"
    assert remote["Notes"] == "Call first"
    row = rows(engine, "SELECT notes, qb_sync_token, qb_status FROM customers WHERE qb_id = '5'")[0]
    assert row == {"notes": "Call first", "qb_sync_token": remote["SyncToken"], "qb_status": "synced"}
    assert sb.counters()["batch"] == 1 and sb.counters()["write"] == 1  # one batch, one retry


def test_dry_run_reports_and_writes_nothing(sb: Any, engine: sa.Engine, run_sync) -> None:
    execute(
        engine,
        "INSERT INTO customers (display_name) VALUES ('MISSION LOGISTICS CENTER'), ('Zephyr Facilities')",
    )
    before = rows(engine, "SELECT * FROM customers ORDER BY id")

    counts = run_sync("accounts", "customers", dry_run=True)

    qbo_customers = len(qbo_all(sb, "Customer"))
    assert counts["accounts"].created == len(qbo_all(sb, "Account"))
    assert counts["customers"].linked == 1
    assert counts["customers"].created == (qbo_customers - 1) + 1  # into the CMMS, and one into QBO
    assert sb.counters()["write"] == 0 and sb.counters()["batch"] == 0
    assert scalar(engine, "SELECT count(*) FROM accounts") == 0
    assert rows(engine, "SELECT * FROM customers ORDER BY id") == before
    assert scalar(engine, "SELECT count(*) FROM sync_snapshots") == 0
    assert scalar(engine, "SELECT count(*) FROM sync_watermarks") == 0
    assert {r["dry_run"] for r in rows(engine, "SELECT dry_run FROM sync_runs")} == {True}


def test_dry_run_after_a_sync_reports_pending_edits_only(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync(*MASTERS)
    execute(engine, "UPDATE vendors SET email = 'orders@delta.example' WHERE qb_id = '26'")
    stamp = scalar(engine, "SELECT updated_at FROM vendors WHERE qb_id = '26'")
    sb.reset_counters()

    counts = run_sync("vendors", dry_run=True)

    assert (counts["vendors"].updated, counts["vendors"].created) == (1, 0)
    assert sb.counters()["write"] == 0 and sb.counters()["batch"] == 0
    assert "PrimaryEmailAddr" not in sb.company.read("Vendor", "26") or (
        sb.company.read("Vendor", "26")["PrimaryEmailAddr"].get("Address") != "orders@delta.example"
    )
    assert scalar(engine, "SELECT updated_at FROM vendors WHERE qb_id = '26'") == stamp


def test_new_cmms_record_already_in_quickbooks_is_looked_up_and_linked_not_created(
    sb: Any, engine: sa.Engine, run_sync
) -> None:
    run_sync("customers")
    # e.g. a create whose answer was lost: QuickBooks has it, the CMMS row has no qb_id yet,
    # and the incremental window no longer covers it.
    made = sb.company.create("Customer", {"DisplayName": "Harbor Point Marina"})
    execute(
        engine, "INSERT INTO customers (display_name, email) VALUES ('harbor point marina', 'hp@x.example')"
    )
    execute(engine, "UPDATE sync_watermarks SET watermark = now() + interval '1 minute'")
    sb.reset_counters()

    counts = run_sync("customers")

    assert counts["customers"].linked == 1 and counts["customers"].created == 0
    assert sb.counters()["batch"] == 1  # the email, sent as an update; no create
    row = rows(engine, "SELECT qb_id, display_name, qb_status FROM customers WHERE email = 'hp@x.example'")[0]
    assert row == {"qb_id": made["Id"], "display_name": "Harbor Point Marina", "qb_status": "synced"}
    assert len([c for c in qbo_all(sb, "Customer") if c["DisplayName"] == "Harbor Point Marina"]) == 1
    assert sb.company.read("Customer", made["Id"])["PrimaryEmailAddr"]["Address"] == "hp@x.example"


def test_transport_failure_fails_the_run_after_recording_what_was_done(
    sb: Any, engine: sa.Engine, run_sync
) -> None:
    execute(engine, "INSERT INTO customers (display_name) VALUES ('Zephyr Facilities')")
    # the create batches (they carry a requestid), every attempt of the transport's bounded retries
    sb.add_fault("POST", r"/batch\?.*requestid=", 503, times=5)

    with pytest.raises(RetriableError):
        run_sync("customers")

    run = rows(engine, "SELECT status, created, message FROM sync_runs")[0]
    assert run["status"] == "failed" and run["message"].startswith("stopped: RetriableError")
    assert run["created"] == len(qbo_all(sb, "Customer"))  # the pull was loaded and counted
    assert scalar(engine, "SELECT count(*) FROM customers WHERE qb_id IS NOT NULL") == run["created"]
    assert scalar(engine, "SELECT qb_id FROM customers WHERE display_name = 'Zephyr Facilities'") is None

    counts = run_sync("customers")
    assert counts["customers"].created == 1
    assert len([c for c in qbo_all(sb, "Customer") if c["DisplayName"] == "Zephyr Facilities"]) == 1
