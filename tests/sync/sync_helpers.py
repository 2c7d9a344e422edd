"""Helpers of the sync-engine tests: SQL shortcuts and a look into the sandbox company."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

ORDER = ("accounts", "tax_codes", "tax_rates", "customers", "items", "vendors")


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def execute(engine: sa.Engine, sql: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def qbo_all(sb: Any, entity: str, where: str = "") -> list[dict[str, Any]]:
    """Every object of ``entity`` in the sandbox company, inactive ones too."""
    cond = f"{where} AND Active IN (true, false)" if where else "Active IN (true, false)"
    answer = sb.company.query(f"SELECT * FROM {entity} WHERE {cond} MAXRESULTS 1000")
    return next((v for v in answer.values() if isinstance(v, list)), [])


def account_id(engine: sa.Engine, qb_id: str) -> int:
    """The CMMS id of the account linked to QuickBooks account ``qb_id``."""
    return scalar(engine, "SELECT id FROM accounts WHERE qb_id = :q", q=qb_id)


def add_bad_inventory_and_good_service_item(engine: sa.Engine) -> None:
    """'Hex Bolt M8': inventory with an Expense account as its asset account (refused before sending);
    'Roof Inspection': a service item that is fine. Needs the demo accounts pulled first."""
    income, cogs, expense = account_id(engine, "14"), account_id(engine, "16"), account_id(engine, "18")
    execute(
        engine,
        "INSERT INTO items (name, item_type, qty_on_hand, inv_start_date, income_account_id, "
        "expense_account_id, asset_account_id) VALUES ('Hex Bolt M8', 'inventory', 100, '2026-01-01', "
        ":inc, :cogs, :exp)",
        inc=income,
        cogs=cogs,
        exp=expense,
    )
    execute(
        engine,
        "INSERT INTO items (name, item_type, unit_price, income_account_id) VALUES ('Roof Inspection', "
        "'service', 95, :inc)",
        inc=account_id(engine, "15"),
    )
