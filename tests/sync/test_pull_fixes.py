"""Pull robustness: one record the database refuses or cannot be read never stops the rest, and an
entity quiet for a month gets back to CDC."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import Mapping
from qbo_sync.qbo.budget import RequestBudget
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.transport import Transport
from qbo_sync.sync import EntitySync
from tests.sync.conftest import StaticTokens
from tests.sync.sync_helpers import execute, qbo_all, rows, scalar

OLD_STAMP = "2020-01-01T00:00:00-08:00"


def _clone(sb: Any, entity: str, source_id: str, changed_at: Any = None, **changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(sb.company.read(entity, source_id))
    obj.update(changes)
    return sb.company.load_raw(entity, obj, changed_at=changed_at)


def test_a_value_too_large_for_its_column_fails_only_that_record(
    sb: Any, engine: sa.Engine, run_sync
) -> None:
    run_sync("accounts")
    # 1e20 fits the mapping's Decimal but not the CMMS column NUMERIC(18,4)
    meta = {"CreateTime": OLD_STAMP, "LastUpdatedTime": OLD_STAMP}
    _clone(sb, "Item", "1", Id="9001", Name="Gold Plated Wrench", UnitPrice=1e20, MetaData=meta)
    # an unlinked CMMS row that the same page links by name: the link must survive the redo
    execute(engine, "INSERT INTO items (name, item_type) VALUES ('window cleaning', 'service')")
    syncable = [i for i in qbo_all(sb, "Item") if i["Type"] not in ("Category", "Group")]

    counts = run_sync("items")["items"]

    assert counts.failed == 1 and counts.linked == 1
    assert counts.created == len(syncable) - 2
    names = {r["name"] for r in rows(engine, "SELECT name FROM items WHERE qb_id IS NOT NULL")}
    assert len(names) == len(syncable) - 1 and "Gold Plated Wrench" not in names
    assert scalar(engine, "SELECT qb_id FROM items WHERE name = 'Window Cleaning'") is not None
    assert scalar(engine, "SELECT count(*) FROM items WHERE qb_id IS NULL") == 0
    errors = rows(engine, "SELECT code, qb_id, message FROM sync_record_errors")
    assert [(e["code"], e["qb_id"]) for e in errors] == [("db_rejected", "9001")]
    message = errors[0]["message"]
    assert "Gold Plated Wrench" in message and "sales price" in message and "UnitPrice" in message
    assert "run the sync again" in message
    # snapshots exist for every loaded item (two-way), none for the refused one
    assert scalar(engine, "SELECT count(*) FROM sync_snapshots WHERE entity = 'items'") == len(names)
    run = rows(engine, "SELECT status, failed, created FROM sync_runs WHERE entity = 'items'")[0]
    assert run["status"] == "partial" and run["failed"] == 1 and run["created"] == counts.created
    # the watermark stays before the refused record, so the next run reads it again
    mark = scalar(engine, "SELECT watermark FROM sync_watermarks WHERE entity = 'items'")
    assert mark <= datetime.fromisoformat(OLD_STAMP) - timedelta(minutes=5)


def test_a_too_large_value_in_a_pull_only_entity(sb: Any, engine: sa.Engine, run_sync) -> None:
    accounts = qbo_all(sb, "Account")
    _clone(sb, "Account", accounts[0]["Id"], Id="9002", Name="Suspense Huge", CurrentBalance=1e17)

    counts = run_sync("accounts")["accounts"]

    assert counts.failed == 1 and counts.created == len(accounts)
    assert scalar(engine, "SELECT count(*) FROM accounts") == len(accounts)
    error = rows(engine, "SELECT code, qb_id, message FROM sync_record_errors")[0]
    assert error["code"] == "db_rejected" and error["qb_id"] == "9002"
    assert "Account 'Suspense Huge'" in error["message"] and "current balance" in error["message"]


def test_a_malformed_last_updated_time_fails_only_that_record(sb: Any, engine: sa.Engine, run_sync) -> None:
    customers = qbo_all(sb, "Customer")
    no_offset = {"CreateTime": OLD_STAMP, "LastUpdatedTime": "2026-01-01T00:00:00"}
    _clone(sb, "Customer", customers[0]["Id"], Id="9003", DisplayName="No Offset Co", MetaData=no_offset)
    broken = {"CreateTime": OLD_STAMP, "LastUpdatedTime": "not a time"}
    _clone(
        sb,
        "Customer",
        customers[1]["Id"],
        sb.clock.now(),
        Id="9004",
        DisplayName="Broken Clock Co",
        MetaData=broken,
    )
    assert sb.company.read("Customer", "9004")["MetaData"]["LastUpdatedTime"] == "not a time"

    counts = run_sync("customers")["customers"]

    assert counts.failed == 2 and counts.created == len(customers)
    assert scalar(engine, "SELECT count(*) FROM customers") == len(customers)
    errors = rows(engine, "SELECT code, qb_id, message FROM sync_record_errors ORDER BY qb_id")
    assert [(e["code"], e["qb_id"]) for e in errors] == [("invalid_value", "9003"), ("invalid_value", "9004")]
    assert "No Offset Co" in errors[0]["message"]
    assert (
        "MetaData.LastUpdatedTime" in errors[0]["message"] and "'2026-01-01T00:00:00'" in errors[0]["message"]
    )
    assert "Broken Clock Co" in errors[1]["message"]
    assert "MetaData.LastUpdatedTime" in errors[1]["message"] and "'not a time'" in errors[1]["message"]
    assert "QuickBooks" in errors[1]["message"] and "run the sync again" in errors[1]["message"]
    assert rows(engine, "SELECT status FROM sync_runs")[0]["status"] == "partial"


def _client(sb: Any) -> QBOClient:
    tokens = StaticTokens(sb.issue_tokens()["access_token"])
    transport = Transport(
        sb.url, sb.realm_id, tokens, budget=RequestBudget(), sleep=lambda _s: None, timeout=(2, 10)
    )
    return QBOClient(transport)


def _run(sb: Any, engine: sa.Engine, mapping: Mapping, now: datetime, key: str) -> None:
    EntitySync(mapping, _client(sb), engine, realm_id=sb.realm_id, run_key=key, now=now).run()


def test_a_quiet_entity_gets_back_to_cdc(
    sb: Any, engine: sa.Engine, run_sync, mappings: dict[str, Mapping]
) -> None:
    run_sync("customers")
    days = 60
    sb.advance_clock(days * 86400)  # two quiet months later
    try:
        later = sb.clock.now()
        # a watermark 40 days old, after every change in QuickBooks: nothing changed since
        execute(
            engine,
            "UPDATE sync_watermarks SET watermark = :mark, mode = 'query' WHERE entity = 'customers'",
            mark=later - timedelta(days=40),
        )
        sb.reset_counters()
        _run(sb, engine, mappings["customers"], later, "test/quiet/1")

        assert sb.counters()["query"] == 1 and sb.counters()["cdc"] == 0
        mark = rows(engine, "SELECT watermark, mode FROM sync_watermarks WHERE entity = 'customers'")[0]
        assert later - timedelta(minutes=10) < mark["watermark"] <= later

        sb.reset_counters()
        _run(sb, engine, mappings["customers"], later + timedelta(hours=1), "test/quiet/2")

        assert sb.counters()["cdc"] == 1 and sb.counters()["query"] == 0
        assert scalar(engine, "SELECT mode FROM sync_watermarks WHERE entity = 'customers'") == "cdc"
    finally:
        sb.advance_clock(-days * 86400)
