"""Adopting a CMMS database the CMMS application already created (production's starting point)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from qbo_sync.db import schema
from qbo_sync.db.engine import create_engine
from qbo_sync.db.migrate import VERSION_TABLE, alembic_config, assert_migrated, current_revision, upgrade
from tests.db.test_db_migrations import _triggers, describe

# What a CMMS application may have created: only the contract's business columns (some of them),
# its own extra column and table, a qb_id without a unique constraint, and its own updated_at.
CMMS_DDL = """
CREATE TABLE accounts (id SERIAL PRIMARY KEY, name TEXT NOT NULL, account_type TEXT);
CREATE TABLE customers (
    id SERIAL PRIMARY KEY, display_name TEXT NOT NULL, email TEXT, legacy_code VARCHAR(8),
    qb_id TEXT, created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE vendors (id SERIAL PRIMARY KEY, display_name TEXT NOT NULL, updated_at TIMESTAMPTZ);
CREATE TABLE items (
    id SERIAL PRIMARY KEY, name TEXT NOT NULL, sku TEXT, item_type TEXT NOT NULL,
    unit_price NUMERIC(18,4), income_account_id INTEGER REFERENCES accounts (id)
);
CREATE TABLE invoices (
    id SERIAL PRIMARY KEY, invoice_number TEXT UNIQUE, customer_id INTEGER REFERENCES customers (id),
    total NUMERIC(18,2) NOT NULL DEFAULT 0, paid_amount NUMERIC(18,2) NOT NULL DEFAULT 0,
    balance NUMERIC(18,2) NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'open'
);
CREATE TABLE technicians (id SERIAL PRIMARY KEY, name TEXT);
INSERT INTO accounts (name, account_type) VALUES ('Sales', 'Income');
INSERT INTO customers (display_name, email, legacy_code, qb_id) VALUES
    ('Acme', 'a@acme.test', 'AC1', '58'), ('Globex', NULL, 'GX2', NULL);
INSERT INTO vendors (display_name) VALUES ('Bolts Inc');
INSERT INTO items (name, sku, item_type, unit_price, income_account_id) VALUES
    ('Hex Bolt', 'HB-8', 'inventory', 0.25, 1), ('Inspection', NULL, 'service', 95, 1);
INSERT INTO invoices (invoice_number, customer_id, total, balance) VALUES ('INV-1', 1, 120.50, 120.50);
INSERT INTO technicians (name) VALUES ('Kim');
"""
CMMS_TABLES = ("accounts", "customers", "vendors", "items", "invoices", "technicians")
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture()
def cmms_url(pg_url: str) -> Iterator[str]:
    """A PostgreSQL database as the CMMS application left it: its tables and rows, no qbo-sync."""
    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(CMMS_DDL)
    finally:
        engine.dispose()
    yield pg_url


def _data(engine: sa.Engine, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of the CMMS application's tables, in the given columns."""
    out = {}
    with engine.connect() as conn:
        for table, cols in columns.items():
            sql = f"SELECT {', '.join(cols)} FROM {table} ORDER BY id"
            out[table] = [tuple(r) for r in conn.execute(sa.text(sql))]
    return out


def _cmms_columns(engine: sa.Engine) -> dict[str, list[str]]:
    return {t: [c["name"] for c in sa.inspect(engine).get_columns(t)] for t in CMMS_TABLES}


def _raw_columns(engine: sa.Engine, table: str) -> list[tuple[str, str, bool, Any]]:
    insp = sa.inspect(engine)
    return [(c["name"], str(c["type"]), c["nullable"], c["default"]) for c in insp.get_columns(table)]


def test_upgrade_adopts_existing_cmms_tables_and_keeps_their_rows(cmms_url: str) -> None:
    engine = create_engine(cmms_url)
    try:
        original = {t: _raw_columns(engine, t) for t in CMMS_TABLES}
        own = _cmms_columns(engine)
        rows_before = _data(engine, own)

        upgrade(cmms_url)

        assert_migrated(engine)
        assert _data(engine, own) == rows_before  # same rows, same values
        for table in CMMS_TABLES:  # existing columns untouched: same type, nullability, default
            after = {c[0]: c for c in _raw_columns(engine, table)}
            assert [after[c[0]] for c in original[table]] == original[table], table
        insp = sa.inspect(engine)
        assert [c["name"] for c in insp.get_columns("technicians")] == ["id", "name"]
        for table in ("accounts", "customers", "vendors", "items", "invoices"):
            names = {c["name"] for c in insp.get_columns(table)}
            assert set(schema.SYNC_COLUMNS) <= names, table
            assert set(schema.metadata.tables[table].c.keys()) <= names, table
        assert set(schema.metadata.tables) <= set(insp.get_table_names())
        assert {f"trg_{t}_updated_at" for t in schema.UPDATED_AT_TABLES} == _triggers(engine)
        with engine.connect() as conn:
            statuses = conn.execute(sa.text("SELECT qb_status FROM customers")).scalars().all()
            settings = conn.execute(sa.text("SELECT id, enabled FROM qb_settings")).all()
        assert statuses == ["not_synced", "not_synced"] and settings == [(1, True)]
    finally:
        engine.dispose()


def test_adopted_tables_enforce_the_contract(cmms_url: str) -> None:
    upgrade(cmms_url)
    engine = create_engine(cmms_url)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # qb_id now unique
            conn.execute(sa.text("INSERT INTO customers (display_name, qb_id) VALUES ('Dup', '58')"))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # added column's CHECK
            conn.execute(sa.text("UPDATE items SET qb_status = 'bogus'"))
        with engine.begin() as conn:  # the trigger keeps updated_at current
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text("UPDATE vendors SET updated_at = :t"), {"t": LONG_AGO})
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE vendors SET display_name = 'Bolts Ltd'"))
            conn.execute(sa.text("UPDATE customers SET email = 'b@globex.test' WHERE id = 2"))
            stamp = conn.execute(sa.text("SELECT updated_at FROM vendors")).scalar_one()
            customer = conn.execute(sa.text("SELECT updated_at FROM customers WHERE id = 2")).scalar_one()
        assert stamp > LONG_AGO + timedelta(days=365 * 20)
        assert customer is not None
        with engine.begin() as conn:  # the CMMS application's own columns still work as before
            conn.execute(
                sa.text("INSERT INTO customers (display_name, legacy_code) VALUES ('Initech', 'IN3')")
            )
    finally:
        engine.dispose()


def test_second_upgrade_changes_nothing(cmms_url: str) -> None:
    upgrade(cmms_url)
    engine = create_engine(cmms_url)
    try:
        own = _cmms_columns(engine)
        schema_before, rows_before = describe(engine), _data(engine, own)
        with engine.connect() as conn:
            ledger = conn.execute(sa.text("SELECT * FROM qbo_sync_adopted_objects ORDER BY id")).all()

        upgrade(cmms_url)

        assert describe(engine) == schema_before and _data(engine, own) == rows_before
        with engine.connect() as conn:
            again = conn.execute(sa.text("SELECT * FROM qbo_sync_adopted_objects ORDER BY id")).all()
        assert again == ledger
        recorded = {(r.kind, r.table_name, r.object_name) for r in ledger}
        assert ("column", "customers", "qb_status") in recorded
        assert ("constraint", "customers", "uq_customers_qb_id") in recorded
        assert ("table", "payments", "payments") in recorded
        assert not {r for r in recorded if r[1:] in {("customers", "qb_id"), ("customers", "email")}}
        assert ("column", "vendors", "updated_at") not in recorded  # the CMMS had it already
    finally:
        engine.dispose()


def test_downgrade_removes_only_what_qbo_sync_added(cmms_url: str) -> None:
    engine = create_engine(cmms_url)
    try:
        original = {t: _raw_columns(engine, t) for t in CMMS_TABLES}
        own = _cmms_columns(engine)
        rows_before = _data(engine, own)
        upgrade(cmms_url)
        with engine.begin() as conn:
            config = alembic_config(cmms_url)
            config.attributes["connection"] = conn
            command.downgrade(config, "base")

        assert current_revision(engine) is None
        assert set(sa.inspect(engine).get_table_names()) == {*CMMS_TABLES, VERSION_TABLE}
        assert {t: _raw_columns(engine, t) for t in CMMS_TABLES} == original
        assert _data(engine, own) == rows_before
        assert _triggers(engine) == set()
        uniques = sa.inspect(engine).get_unique_constraints("customers")
        assert uniques == []
    finally:
        engine.dispose()
