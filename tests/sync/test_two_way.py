"""Customers, items and vendors both ways: linking, creates, edits, merge, deactivation."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from tests.sync.sync_helpers import execute, qbo_all, rows, scalar

MASTERS = ("accounts", "tax_codes", "tax_rates", "customers", "items", "vendors")


def _qbo(sb: Any, entity: str, qb_id: str) -> dict[str, Any]:
    return sb.company.read(entity, qb_id)


def _edit_qbo(sb: Any, entity: str, qb_id: str, **fields: Any) -> dict[str, Any]:
    current = sb.company.read(entity, qb_id)
    return sb.company.update(
        entity, {"Id": qb_id, "SyncToken": current["SyncToken"], "sparse": True, **fields}
    )


def test_existing_cmms_customer_is_linked_by_name_not_duplicated(
    sb: Any, engine: sa.Engine, run_sync
) -> None:
    execute(
        engine,
        "INSERT INTO customers (display_name, notes) "
        "VALUES ('  mission LOGISTICS center ', 'Gate code 1234')",
    )
    qbo_before = len(qbo_all(sb, "Customer"))

    counts = run_sync(*MASTERS)

    assert counts["customers"].linked == 1
    assert counts["customers"].created == qbo_before - 1
    assert scalar(engine, "SELECT count(*) FROM customers") == qbo_before
    linked = rows(engine, "SELECT * FROM customers WHERE notes = 'Gate code 1234'")[0]
    assert linked["qb_id"] == "1" and linked["qb_status"] == "synced"
    assert linked["display_name"] == "Mission Logistics Center"  # QuickBooks' spelling of the key
    assert linked["email"] == "ap@missionlogisticscenter.example"  # empty CMMS fields filled from QBO
    assert len(qbo_all(sb, "Customer")) == qbo_before  # nothing created in QuickBooks
    assert _qbo(sb, "Customer", "1")["Notes"] == "Gate code 1234"  # the CMMS-only value was sent


def test_cmms_create_and_edit_reach_quickbooks(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync(*MASTERS)
    execute(
        engine,
        "INSERT INTO customers (display_name, email, bill_city) "
        "VALUES ('Zephyr Facilities', 'ops@zephyr.example', 'Oakland')",
    )
    sb.reset_counters()

    counts = run_sync("customers")

    assert counts["customers"].created == 1
    assert sb.counters()["batch"] == 1
    row = rows(engine, "SELECT * FROM customers WHERE display_name = 'Zephyr Facilities'")[0]
    assert row["qb_status"] == "synced" and row["qb_error"] is None and row["qb_synced_at"] is not None
    assert row["qb_last_updated_at"] is not None
    created = _qbo(sb, "Customer", row["qb_id"])
    assert created["DisplayName"] == "Zephyr Facilities"
    assert created["PrimaryEmailAddr"]["Address"] == "ops@zephyr.example"
    assert created["SyncToken"] == row["qb_sync_token"]

    execute(
        engine,
        "UPDATE customers SET phone = '(510) 555-0199', bill_city = 'Berkeley' WHERE id = :i",
        i=row["id"],
    )
    counts = run_sync("customers")

    assert counts["customers"].updated == 1
    edited = _qbo(sb, "Customer", row["qb_id"])
    assert edited["PrimaryPhone"]["FreeFormNumber"] == "(510) 555-0199"
    assert edited["BillAddr"]["City"] == "Berkeley"
    assert edited["PrimaryEmailAddr"]["Address"] == "ops@zephyr.example"  # sparse: untouched
    after = rows(engine, "SELECT qb_sync_token, qb_status FROM customers WHERE id = :i", i=row["id"])[0]
    assert after == {"qb_sync_token": edited["SyncToken"], "qb_status": "synced"}

    sb.reset_counters()
    run_sync("customers")
    assert sb.counters()["write"] == 0 and sb.counters()["batch"] == 0  # our own write is not echoed


def test_quickbooks_edit_reaches_cmms_and_is_not_echoed(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync(*MASTERS)
    _edit_qbo(sb, "Customer", "3", PrimaryPhone={"FreeFormNumber": "(415) 555-0100"}, Notes="Loading dock B")
    _edit_qbo(sb, "Item", "1", UnitPrice=155.5)
    sb.reset_counters()

    counts = run_sync("customers", "items")

    assert counts["customers"].updated == 1 and counts["items"].updated == 1
    customer = rows(engine, "SELECT phone, notes, qb_sync_token FROM customers WHERE qb_id = '3'")[0]
    assert customer == {
        "phone": "(415) 555-0100",
        "notes": "Loading dock B",
        "qb_sync_token": _qbo(sb, "Customer", "3")["SyncToken"],
    }
    assert str(scalar(engine, "SELECT unit_price FROM items WHERE qb_id = '1'")) == "155.5000"
    assert sb.counters()["write"] == 0 and sb.counters()["batch"] == 0

    sb.reset_counters()
    again = run_sync("customers", "items")
    assert sb.counters()["write"] == 0 and sb.counters()["batch"] == 0
    assert again["customers"].updated == 0 and again["items"].updated == 0


def test_same_field_edited_on_both_sides_follows_owner_or_opens_a_conflict(
    sb: Any, engine: sa.Engine, run_sync
) -> None:
    run_sync(*MASTERS)
    # customers.phone: owner cmms; vendors.account_number: owner qbo; customers.display_name: conflict
    execute(engine, "UPDATE customers SET phone = '111-1111', display_name = 'Sunset Mall' WHERE qb_id = '3'")
    execute(engine, "UPDATE vendors SET account_number = 'CMMS-7' WHERE qb_id = '26'")
    _edit_qbo(sb, "Customer", "3", PrimaryPhone={"FreeFormNumber": "222-2222"}, DisplayName="Sunset Plaza")
    _edit_qbo(sb, "Vendor", "26", AcctNum="QB-7")

    counts = run_sync("customers", "vendors")

    assert counts["customers"].conflicts == 1
    customer = rows(engine, "SELECT * FROM customers WHERE qb_id = '3'")[0]
    assert customer["phone"] == "111-1111"
    assert _qbo(sb, "Customer", "3")["PrimaryPhone"]["FreeFormNumber"] == "111-1111"  # CMMS owns phone
    assert customer["display_name"] == "Sunset Mall"  # the conflict changes neither side
    assert _qbo(sb, "Customer", "3")["DisplayName"] == "Sunset Plaza"
    assert customer["qb_status"] == "conflict"
    assert "'Sunset Mall' in the CMMS but 'Sunset Plaza' in QuickBooks" in customer["qb_error"]
    conflict = rows(engine, "SELECT * FROM sync_conflicts")
    assert len(conflict) == 1
    assert (conflict[0]["entity"], conflict[0]["field"], conflict[0]["status"]) == (
        "customers",
        "display_name",
        "open",
    )
    assert json.loads(conflict[0]["cmms_value"]) == "Sunset Mall"
    assert json.loads(conflict[0]["qbo_value"]) == "Sunset Plaza"
    assert scalar(engine, "SELECT account_number FROM vendors WHERE qb_id = '26'") == "QB-7"  # QBO owns it
    assert _qbo(sb, "Vendor", "26")["AcctNum"] == "QB-7"

    sb.reset_counters()
    again = run_sync("customers", "vendors")
    assert again["customers"].conflicts == 0
    assert sb.counters()["write"] == 0 and sb.counters()["batch"] == 0  # an open conflict is not pushed
    assert scalar(engine, "SELECT count(*) FROM sync_conflicts WHERE status = 'open'") == 1


def test_deactivation_flows_both_ways(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync(*MASTERS)
    idle = next(c for c in qbo_all(sb, "Customer") if c["Active"] and not c.get("Balance"))["Id"]
    execute(engine, "UPDATE customers SET active = false WHERE qb_id = :q", q=idle)
    _edit_qbo(sb, "Vendor", "27", Active=False)

    run_sync("customers", "vendors")

    assert _qbo(sb, "Customer", idle)["Active"] is False
    assert scalar(engine, "SELECT active FROM vendors WHERE qb_id = '27'") is False
    assert scalar(engine, "SELECT qb_status FROM customers WHERE qb_id = :q", q=idle) == "synced"

    execute(engine, "UPDATE customers SET active = true WHERE qb_id = :q", q=idle)
    run_sync("customers")
    assert _qbo(sb, "Customer", idle)["Active"] is True


def test_quickbooks_refusal_of_one_record_is_readable_and_does_not_stop_the_rest(
    sb: Any, engine: sa.Engine, run_sync
) -> None:
    run_sync(*MASTERS)
    owing = next(c for c in qbo_all(sb, "Customer") if c["Active"] and c.get("Balance"))["Id"]
    idle = next(c for c in qbo_all(sb, "Customer") if c["Active"] and not c.get("Balance"))["Id"]
    execute(engine, "UPDATE customers SET active = false WHERE qb_id IN (:a, :b)", a=owing, b=idle)

    counts = run_sync("customers")

    assert (counts["customers"].updated, counts["customers"].failed) == (1, 1)
    assert _qbo(sb, "Customer", idle)["Active"] is False
    assert _qbo(sb, "Customer", owing)["Active"] is True
    row = rows(
        engine, "SELECT id, display_name, qb_status, qb_error FROM customers WHERE qb_id = :q", q=owing
    )[0]
    assert row["qb_status"] == "error"
    assert row["qb_error"].startswith(f"Customer '{row['display_name']}': QuickBooks refused the update")
    assert "open balance" in row["qb_error"]
    error = rows(engine, "SELECT * FROM sync_record_errors")[0]
    assert (error["cmms_id"], error["qb_id"], error["message"]) == (row["id"], owing, row["qb_error"])
    run = rows(engine, "SELECT status, failed, updated FROM sync_runs ORDER BY id DESC LIMIT 1")[0]
    assert run["failed"] == 1 and run["updated"] == 1 and run["status"] in ("partial", "success")
