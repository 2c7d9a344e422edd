"""Set-based writes: 5,000 rows in a handful of statements, on PostgreSQL and SQLite."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.db.upsert import bulk_update, bulk_upsert

N = 5000


def _customers(suffix: str) -> list[dict]:
    return [
        {
            "id": i,
            "display_name": f"Customer {i}",
            "email": f"c{i}@{suffix}.example",
            "qb_id": str(10_000 + i),
        }
        for i in range(1, N + 1)
    ]


def _count(conn: sa.Connection, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def test_bulk_upsert_inserts_then_updates_5000_rows_in_pages(engine: sa.Engine, counter) -> None:
    table = schema.customers
    with engine.begin() as conn:
        counter.statements.clear()
        inserted = bulk_upsert(conn, table, _customers("old"), ["id"])
        assert len(inserted) == N and {r["id"] for r in inserted} == set(range(1, N + 1))
        assert len(counter.statements) == 5  # 1,000 rows per statement

        counter.statements.clear()
        changed = bulk_upsert(conn, table, _customers("new"), ["id"], returning=["id", "email"])
        assert len(changed) == N and all(r["email"].endswith("@new.example") for r in changed)
        assert len(counter.statements) == 5

        assert _count(conn, table) == N
        assert _count(conn, table, table.c.email.like("%@new.example")) == N
        row = conn.execute(sa.select(table).where(table.c.id == 4321)).mappings().one()
    assert row["display_name"] == "Customer 4321" and row["qb_id"] == "14321"
    assert row["qb_status"] == "not_synced"  # a column the rows did not carry is left alone


def test_bulk_upsert_by_unique_key_skips_unchanged_rows(engine: sa.Engine) -> None:
    table = schema.accounts
    balance = Decimal("10.50")
    rows = [{"qb_id": str(i), "name": f"Account {i}", "current_balance": balance} for i in range(1, 11)]
    stamps = sa.select(table.c.qb_id, table.c.updated_at).order_by(table.c.qb_id)
    with engine.begin() as conn:
        assert len(bulk_upsert(conn, table, rows, ["qb_id"])) == 10
    rows[3] = {**rows[3], "current_balance": Decimal("99.99")}
    with engine.begin() as conn:
        changed = bulk_upsert(conn, table, rows, ["qb_id"], returning=["qb_id", "current_balance"])
        assert changed == [{"qb_id": "4", "current_balance": Decimal("99.99")}]
        before = conn.execute(stamps).all()
    with engine.begin() as conn:  # a later transaction: a rewrite would move updated_at (trigger)
        assert bulk_upsert(conn, table, rows, ["qb_id"]) == []
    with engine.connect() as conn:
        assert conn.execute(stamps).all() == before
        assert _count(conn, table) == 10
        assert _count(conn, table, table.c.current_balance == Decimal("99.99")) == 1


def test_bulk_upsert_dedupes_keys_and_handles_mixed_columns(engine: sa.Engine) -> None:
    table = schema.vendors
    rows = [
        {"id": 1, "display_name": "First"},
        {"id": 1, "display_name": "First, corrected"},
        {"id": 2, "display_name": "Second", "email": "s@example.com"},
    ]
    with engine.begin() as conn:
        result = bulk_upsert(conn, table, rows, ["id"], returning=["id", "display_name"])
        assert sorted(r["display_name"] for r in result) == ["First, corrected", "Second"]
        kept = bulk_upsert(conn, table, [{"id": 2, "display_name": "Renamed"}], ["id"], update_cols=[])
        assert kept == []
        names = dict(conn.execute(sa.select(table.c.id, table.c.display_name)).tuples().all())
    assert names == {1: "First, corrected", 2: "Second"}


def test_bulk_upsert_rejects_unknown_columns(engine: sa.Engine) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="has no column"):
        bulk_upsert(conn, schema.vendors, [{"id": 1, "display_name": "x", "nickname": "y"}], ["id"])


def test_bulk_update_5000_rows_in_one_executemany(engine: sa.Engine, counter) -> None:
    table = schema.customers
    with engine.begin() as conn:
        bulk_upsert(conn, table, _customers("x"), ["id"])
        updates = [{"id": i, "qb_status": "synced", "qb_sync_token": "3"} for i in range(1, N + 1, 2)]
        counter.statements.clear()
        keys = bulk_update(conn, table, updates, "id")
        assert len(counter.writes()) == 1
        assert keys == list(range(1, N + 1, 2))
        assert _count(conn, table, table.c.qb_status == "synced", table.c.qb_sync_token == "3") == N // 2
        assert _count(conn, table, table.c.qb_status == "not_synced") == N // 2
