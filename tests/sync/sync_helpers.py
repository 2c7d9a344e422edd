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
