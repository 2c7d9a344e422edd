"""First sync of a fresh CMMS against the seeded demo company, and a second run with no changes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.sync.sync_helpers import ORDER, qbo_all, rows, scalar

QBO_ENTITY = {
    "accounts": "Account",
    "tax_codes": "TaxCode",
    "tax_rates": "TaxRate",
    "customers": "Customer",
    "items": "Item",
    "vendors": "Vendor",
}


def test_first_sync_loads_every_record_with_its_quickbooks_id(sb: Any, engine: sa.Engine, run_sync) -> None:
    counts = run_sync()

    for entity in ORDER:
        expected = qbo_all(sb, QBO_ENTITY[entity])
        if entity == "items":
            expected = [o for o in expected if o.get("Type") in ("Inventory", "NonInventory", "Service")]
        got = rows(engine, f"SELECT qb_id, qb_status, qb_sync_token, qb_synced_at FROM {entity}")
        assert sorted(r["qb_id"] for r in got) == sorted(str(o["Id"]) for o in expected), entity
        assert {r["qb_status"] for r in got} == {"synced"}, entity
        assert all(r["qb_sync_token"] is not None and r["qb_synced_at"] is not None for r in got), entity
        assert counts[entity].created == len(expected), entity
        assert counts[entity].failed == 0, entity
    inactive_accounts = [o for o in qbo_all(sb, "Account") if o.get("Active") is False]
    assert inactive_accounts, "the demo company has an inactive account"
    assert scalar(engine, "SELECT count(*) FROM accounts WHERE NOT active") == len(inactive_accounts)
    # references resolved through accounts.qb_id
    item = next(o for o in qbo_all(sb, "Item") if o.get("IncomeAccountRef"))
    income = scalar(
        engine,
        "SELECT a.qb_id FROM items i JOIN accounts a ON a.id = i.income_account_id WHERE i.qb_id = :q",
        q=str(item["Id"]),
    )
    assert income == str(item["IncomeAccountRef"]["value"])


def test_sync_runs_record_the_counts(engine: sa.Engine, run_sync) -> None:
    counts = run_sync()

    recorded = rows(engine, "SELECT * FROM sync_runs ORDER BY id")
    assert [r["entity"] for r in recorded] == list(ORDER)
    for r in recorded:
        assert r["status"] == "success"
        assert r["finished_at"] is not None
        assert {k: r[k] for k in counts[r["entity"]].as_dict()} == counts[r["entity"]].as_dict()


def test_second_run_without_changes_writes_nothing(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync()
    before = {e: rows(engine, f"SELECT id, updated_at FROM {e} ORDER BY id") for e in ORDER}
    snapshots = scalar(engine, "SELECT max(updated_at) FROM sync_snapshots")
    sb.reset_counters()

    counts = run_sync()

    assert sb.counters()["write"] == 0
    assert sb.counters()["batch"] == 0
    for entity in ORDER:
        assert rows(engine, f"SELECT id, updated_at FROM {entity} ORDER BY id") == before[entity], entity
        c = counts[entity]
        assert (c.created, c.updated, c.linked, c.failed, c.conflicts) == (0, 0, 0, 0, 0), entity
    assert scalar(engine, "SELECT max(updated_at) FROM sync_snapshots") == snapshots
