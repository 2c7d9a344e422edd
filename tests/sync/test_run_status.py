"""Run statuses (success / partial) and idempotent sync-state writes (snapshots, watermarks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.sync import store
from tests.sync.sync_helpers import add_bad_inventory_and_good_service_item, rows, scalar

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _age(engine: sa.Engine, table: str) -> None:
    """Set every row's ``updated_at`` to :data:`LONG_AGO`, bypassing the trigger (PostgreSQL)."""
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(f"UPDATE {table} SET updated_at = :t"), {"t": LONG_AGO})


def _last_run(engine: sa.Engine, entity: str) -> dict[str, Any]:
    sql = "SELECT * FROM sync_runs WHERE entity = :e ORDER BY id DESC LIMIT 1"
    return rows(engine, sql, e=entity)[0]


def test_run_with_one_bad_inventory_item_is_partial(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync("accounts")
    add_bad_inventory_and_good_service_item(engine)

    counts = run_sync("items")

    run = _last_run(engine, "items")
    assert run["status"] == "partial"
    assert (run["failed"], run["created"]) == (1, counts["items"].created) and run["created"] >= 1
    assert run["message"] == "1 record(s) failed; see sync_record_errors"
    assert run["finished_at"] is not None
    assert scalar(engine, "SELECT qb_status FROM items WHERE name = 'Roof Inspection'") == "synced"
    errors = rows(engine, "SELECT run_id, code FROM sync_record_errors")
    assert errors == [{"run_id": run["id"], "code": "invalid"}]
    assert _last_run(engine, "accounts")["status"] == "success"
    assert _last_run(engine, "accounts")["message"] is None


def _snapshot_stamps(engine: sa.Engine) -> list[dict[str, Any]]:
    return rows(engine, "SELECT entity, cmms_id, updated_at FROM sync_snapshots ORDER BY entity, cmms_id")


def test_second_run_without_changes_keeps_every_snapshot_row(engine: sa.Engine, run_sync) -> None:
    run_sync("accounts", "customers", "items", "vendors")
    _age(engine, "sync_snapshots")
    before = _snapshot_stamps(engine)
    assert len(before) > 10 and {r["updated_at"] for r in before} == {LONG_AGO}

    run_sync("accounts", "customers", "items", "vendors")

    assert _snapshot_stamps(engine) == before


def test_save_snapshots_rewrites_only_changed_rows(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        store.save_snapshots(conn, "customers", [(1, "10", "0", {"a": 1}), (2, "11", "0", {"a": 2})])
    _age(engine, "sync_snapshots")

    with engine.begin() as conn:
        store.save_snapshots(conn, "customers", [(1, "10", "0", {"a": 1}), (2, "11", "1", {"a": 3})])

    got = rows(engine, "SELECT cmms_id, qb_sync_token, snapshot, updated_at FROM sync_snapshots ORDER BY 1")
    assert got[0] == {"cmms_id": 1, "qb_sync_token": "0", "snapshot": {"a": 1}, "updated_at": LONG_AGO}
    assert (got[1]["qb_sync_token"], got[1]["snapshot"]) == ("1", {"a": 3})
    assert got[1]["updated_at"] > LONG_AGO


def test_save_watermark_rewrites_only_when_it_moves(engine: sa.Engine) -> None:
    later = datetime(2026, 2, 1, tzinfo=UTC)
    with engine.begin() as conn:
        store.save_watermark(conn, "123", "customers", T0, "cdc")
    _age(engine, "sync_watermarks")

    with engine.begin() as conn:
        store.save_watermark(conn, "123", "customers", T0, "cdc")
        assert store.watermark(conn, "123", "customers") == T0
    assert scalar(engine, "SELECT updated_at FROM sync_watermarks") == LONG_AGO

    with engine.begin() as conn:
        store.save_watermark(conn, "123", "customers", later, "cdc")
    row = rows(engine, "SELECT watermark, updated_at FROM sync_watermarks")[0]
    assert row["watermark"] == later and row["updated_at"] > LONG_AGO
