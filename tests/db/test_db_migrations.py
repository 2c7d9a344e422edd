"""Migrations: the same schema on PostgreSQL and SQLite, triggers, the settings row, the guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from qbo_sync.db import schema
from qbo_sync.db.engine import create_engine
from qbo_sync.db.migrate import (
    VERSION_TABLE,
    DatabaseNotMigrated,
    alembic_config,
    assert_migrated,
    current_revision,
    head_revision,
    upgrade,
)


def describe(engine: sa.Engine) -> dict[str, dict[str, Any]]:
    """Everything the two dialects must agree on, per table, from the inspector."""
    insp = sa.inspect(engine)
    out: dict[str, dict[str, Any]] = {}
    for table in insp.get_table_names():
        out[table] = {
            "columns": [(c["name"], c["nullable"]) for c in insp.get_columns(table)],
            "pk": insp.get_pk_constraint(table)["constrained_columns"],
            "unique": sorted(
                (u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in insp.get_indexes(table)
                if not i.get("duplicates_constraint")
            ),
            "fks": sorted(
                (
                    f["name"],
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    f["options"].get("ondelete"),
                )
                for f in insp.get_foreign_keys(table)
            ),
            "checks": sorted(c["name"] for c in insp.get_check_constraints(table)),
        }
    return out


def test_postgres_and_sqlite_get_the_same_schema(pg_url: str, sqlite_url: str) -> None:
    upgrade(pg_url)
    upgrade(sqlite_url)
    pg, lite = create_engine(pg_url), create_engine(sqlite_url)
    try:
        pg_schema, lite_schema = describe(pg), describe(lite)
    finally:
        pg.dispose()
        lite.dispose()
    assert set(pg_schema) == {*schema.metadata.tables, VERSION_TABLE}
    for table in schema.metadata.tables:
        assert pg_schema[table] == lite_schema[table], table
    customers = dict(pg_schema["customers"]["columns"])
    assert customers["display_name"] is False
    assert {*schema.SYNC_COLUMNS} <= set(customers)
    assert ("uq_invoices_invoice_number", ("invoice_number",)) in pg_schema["invoices"]["unique"]
    assert ("uq_payments_qb_id", ("qb_id",)) in pg_schema["payments"]["unique"]
    assert dict(pg_schema["payments"]["columns"])["qb_id"] is False
    assert ("uq_payment_applications_payment_id_invoice_id", ("payment_id", "invoice_id")) in pg_schema[
        "payment_applications"
    ]["unique"]
    assert ("uq_sync_conflicts_open", ("entity", "cmms_id", "field"), True) in pg_schema["sync_conflicts"][
        "indexes"
    ]


def test_migrated_schema_matches_schema_py(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True, "version_table": VERSION_TABLE}
        )
        assert compare_metadata(context, schema.metadata) == []


def _triggers(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            sql = "SELECT DISTINCT trigger_name FROM information_schema.triggers"
        return set(conn.execute(sa.text(sql)).scalars())


def test_every_table_with_updated_at_has_its_trigger(engine: sa.Engine) -> None:
    expected = {f"trg_{t}_updated_at" for t in schema.UPDATED_AT_TABLES}
    assert len(expected) == 15  # 9 synced tables, payments, qb_settings, tokens, watermarks, snapshots, drift
    assert _triggers(engine) == expected


@pytest.mark.parametrize(
    ("table", "row", "change"),
    [
        ("customers", {"id": 7, "display_name": "Acme"}, {"display_name": "Acme Ltd"}),
        ("qbo_tokens", {"realm_id": "123"}, {"refresh_count": 1}),
        ("sync_snapshots", {"entity": "Customer", "cmms_id": 7, "snapshot": {"a": 1}}, {"qb_id": "9"}),
    ],
)
def test_update_sets_updated_at(engine: sa.Engine, table: str, row: dict, change: dict) -> None:
    tbl = schema.metadata.tables[table]
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    key = [col == row[col.name] for col in tbl.primary_key.columns]
    with engine.begin() as conn:
        conn.execute(tbl.insert().values(**row))
        inserted = conn.execute(sa.select(tbl.c.updated_at).where(*key)).scalar_one()
        conn.execute(sa.text(f"UPDATE {table} SET updated_at = :t"), {"t": long_ago})  # trigger overrides
        conn.execute(tbl.update().where(*key).values(**change))
    with engine.connect() as conn:
        after = conn.execute(sa.select(tbl.c.updated_at).where(*key)).scalar_one()
    assert inserted.tzinfo is UTC and after.tzinfo is UTC
    assert after > long_ago + timedelta(days=365 * 20)
    assert abs(after - inserted) < timedelta(hours=1)


def test_qb_settings_has_exactly_one_row(engine: sa.Engine) -> None:
    settings = schema.qb_settings
    with engine.connect() as conn:
        rows = conn.execute(sa.select(settings)).mappings().all()
    assert len(rows) == 1
    assert rows[0]["id"] == 1 and rows[0]["enabled"] is True and rows[0]["payment_sync_enabled"] is True
    assert rows[0]["expense_debit_account_id"] is None and rows[0]["expense_credit_account_id"] is None
    for row_id in (1, 2):
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(settings.insert().values(id=row_id, enabled=False))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(settings)).scalar_one() == 1


def _rejects(engine: sa.Engine, *statements: Any) -> None:
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        for stmt in statements:
            conn.execute(stmt)


def test_contract_constraints_hold_on_both_dialects(engine: sa.Engine) -> None:
    s = schema
    with engine.begin() as conn:
        conn.execute(s.customers.insert().values(id=1, display_name="A", qb_id="10"))
        conn.execute(s.invoices.insert().values(id=1, invoice_number="INV-1", customer_id=1, total=5))
        conn.execute(s.payments.insert().values(id=1, qb_id="P1", customer_id=1, total_amount=5))
        conn.execute(s.payment_applications.insert().values(payment_id=1, invoice_id=1, amount=5))
        conn.execute(
            s.sync_conflicts.insert().values(
                entity="Customer", cmms_id=1, field="email", status="resolved_qbo"
            )
        )
        conn.execute(s.sync_conflicts.insert().values(entity="Customer", cmms_id=1, field="email"))
    _rejects(engine, s.customers.insert().values(display_name="B", qb_status="bogus"))
    _rejects(engine, s.customers.insert().values(display_name="B", qb_id="10"))
    _rejects(engine, s.customers.insert().values(display_name=None))
    _rejects(engine, s.invoices.insert().values(invoice_number="INV-1"))
    _rejects(engine, s.invoices.insert().values(invoice_number="INV-2", status="cancelled"))
    _rejects(engine, s.payments.insert().values(qb_id=None))
    _rejects(engine, s.payment_applications.insert().values(payment_id=1, invoice_id=1, amount=1))
    _rejects(engine, s.invoice_lines.insert().values(invoice_id=999, line_no=1, amount=1))  # foreign key
    _rejects(engine, s.sync_conflicts.insert().values(entity="Customer", cmms_id=1, field="email"))
    _rejects(engine, s.qbo_tokens.insert().values(realm_id="1", status="revoked"))
    with engine.connect() as conn:
        customer = conn.execute(sa.select(s.customers)).mappings().one()
    assert customer["qb_status"] == "not_synced" and customer["active"] is True


def test_timestamps_round_trip_as_aware_utc(engine: sa.Engine) -> None:
    pacific = datetime(2024, 3, 1, 5, 58, 16, 512000, tzinfo=timezone(timedelta(hours=-7)))
    with engine.begin() as conn:
        conn.execute(schema.accounts.insert().values(id=1, name="Bank", qb_last_updated_at=pacific))
    with engine.connect() as conn:
        stored = conn.execute(sa.select(schema.accounts.c.qb_last_updated_at)).scalar_one()
    assert stored == pacific
    assert stored.tzinfo is UTC and stored.hour == 12


def test_assert_migrated_explains_what_to_run(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with pytest.raises(DatabaseNotMigrated) as info:
            assert_migrated(engine)
        message = str(info.value)
        assert "revision: none" in message and f"expects revision {head_revision()}" in message
        assert "`qbo-sync migrate`" in message and "`make migrate`" in message
        assert engine.url.database in message
        assert info.value.current is None and info.value.expected == head_revision() == "0011"

        upgrade(db_url)
        assert_migrated(engine)
        assert current_revision(engine) == "0011"

        with engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = 'ffff'"))
        with pytest.raises(DatabaseNotMigrated, match="newer than the code"):
            assert_migrated(engine)
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    upgrade(db_url)
    engine = create_engine(db_url)
    try:
        before = describe(engine)
        upgrade(db_url)
        upgrade(db_url)
        assert describe(engine) == before
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(schema.qb_settings)).scalar_one() == 1
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_everything(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    try:
        with engine.begin() as conn:
            config = alembic_config(migrated_url)
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {VERSION_TABLE}
        assert _triggers(engine) == set()
        assert current_revision(engine) is None
    finally:
        engine.dispose()
