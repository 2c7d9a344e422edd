"""The business settings the QuickBooks page edits (``qb_settings``, one row) and the accounts an
expense may post to (the pulled chart of accounts). Connection settings (environment, realm id,
redirect URL) live in the Airflow connection and are edited through Airflow's own API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema

EDITABLE = ("enabled", "payment_sync_enabled", "expense_debit_account_id", "expense_credit_account_id")


class SettingsError(ValueError):
    """A settings change that cannot be saved; the message names the field."""


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    account_type: str | None


def read_settings(engine: sa.Engine) -> dict[str, Any]:
    s = schema.qb_settings
    with engine.connect() as conn:
        row = conn.execute(sa.select(s).where(s.c.id == 1)).one_or_none()
    if row is None:
        return {
            "enabled": True,
            "payment_sync_enabled": True,
            "expense_debit_account_id": None,
            "expense_credit_account_id": None,
        }
    return {k: getattr(row, k) for k in EDITABLE}


def accounts(engine: sa.Engine) -> list[dict[str, Any]]:
    """Active accounts of the pulled chart of accounts, by name."""
    a = schema.accounts
    name = sa.func.coalesce(a.c.fully_qualified_name, a.c.name)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(a.c.id, name.label("name"), a.c.account_type)
            .where(a.c.active.is_not(False))
            .order_by(name)
        )
        return [{"id": r.id, "name": r.name, "account_type": r.account_type} for r in rows]


def _check(conn: sa.Connection, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise SettingsError(f"not a setting: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("enabled", "payment_sync_enabled"):
            if not isinstance(value, bool):
                raise SettingsError(f"{key} must be true or false (got {value!r})")
            clean[key] = value
        elif value in (None, ""):
            clean[key] = None
        else:
            try:
                account_id = int(value)
            except (TypeError, ValueError):
                raise SettingsError(f"{key}: {value!r} is not an account id") from None
            a = schema.accounts
            if conn.execute(sa.select(a.c.id).where(a.c.id == account_id)).one_or_none() is None:
                raise SettingsError(f"{key}: account {account_id} is not in the chart of accounts")
            clean[key] = account_id
    return clean


def save_settings(engine: sa.Engine, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` to the one ``qb_settings`` row (created when missing) and return the result."""
    s = schema.qb_settings
    with engine.begin() as conn:
        clean = _check(conn, changes)
        if conn.execute(sa.select(s.c.id).where(s.c.id == 1)).one_or_none() is None:
            conn.execute(sa.insert(s).values(id=1))
        if clean:
            conn.execute(sa.update(s).where(s.c.id == 1).values(**clean))
    return read_settings(engine)
