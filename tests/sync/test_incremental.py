"""Incremental pulls: CDC while the watermark is recent, LastUpdatedTime queries when it is old."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.sync.sync_helpers import execute, rows, scalar


def _edit(sb: Any, qb_id: str, notes: str) -> None:
    current = sb.company.read("Customer", qb_id)
    sb.company.update(
        "Customer", {"Id": qb_id, "SyncToken": current["SyncToken"], "sparse": True, "Notes": notes}
    )


def _mark(engine: sa.Engine) -> dict[str, Any]:
    return rows(engine, "SELECT watermark, mode FROM sync_watermarks WHERE entity = 'customers'")[0]


def test_recent_watermark_reads_by_cdc_and_old_one_by_query(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync("customers")
    assert _mark(engine)["mode"] == "full"

    execute(engine, "UPDATE sync_watermarks SET watermark = now() - interval '1 hour'")
    _edit(sb, "8", "Ring the bell")
    sb.reset_counters()
    counts = run_sync("customers")

    assert sb.counters()["cdc"] == 1 and sb.counters()["query"] == 0
    assert counts["customers"].pulled == 1 and counts["customers"].updated == 1
    assert scalar(engine, "SELECT notes FROM customers WHERE qb_id = '8'") == "Ring the bell"
    mark = _mark(engine)
    assert mark["mode"] == "cdc"
    assert mark["watermark"] > scalar(engine, "SELECT now() - interval '1 hour'")

    execute(engine, "UPDATE sync_watermarks SET watermark = now() - interval '40 days'")
    _edit(sb, "9", "Back entrance")
    sb.reset_counters()
    run_sync("customers")

    assert sb.counters()["cdc"] == 0 and sb.counters()["query"] >= 1
    assert scalar(engine, "SELECT notes FROM customers WHERE qb_id = '9'") == "Back entrance"
    assert _mark(engine)["mode"] == "query"
    assert sb.counters()["write"] == 0 and sb.counters()["batch"] == 0


def test_full_refresh_rereads_everything_without_rewriting(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync("customers")
    stamps = rows(engine, "SELECT id, updated_at FROM customers ORDER BY id")

    counts = run_sync("customers", full_refresh=True)

    assert counts["customers"].pulled == len(stamps) == counts["customers"].unchanged
    assert rows(engine, "SELECT id, updated_at FROM customers ORDER BY id") == stamps


def test_watermark_stays_before_a_record_that_failed_to_load(sb: Any, engine: sa.Engine, run_sync) -> None:
    # items reference accounts; without accounts in the CMMS no item can be loaded
    counts = run_sync("items")

    assert counts["items"].failed == counts["items"].pulled > 0
    errors = rows(engine, "SELECT code, message FROM sync_record_errors")
    assert {e["code"] for e in errors} == {"unresolved_reference"}
    assert "sync accounts first" in errors[0]["message"]
    run_sync("accounts")
    again = run_sync("items")
    assert again["items"].failed == 0 and again["items"].created == counts["items"].failed
