"""Reference maps: ``<table>.id`` ⇄ ``<table>.qb_id``, loaded once per run (never per row)."""

from __future__ import annotations

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.mapping import AccountInfo, Mapping


class RefMaps:
    """A :class:`~qbo_sync.mapping.RefResolver` backed by the referenced tables' ``qb_id``."""

    def __init__(self, by_qb: dict[str, dict[str, int]], by_id: dict[str, dict[int, str]]) -> None:
        self._by_qb = by_qb
        self._by_id = by_id

    @classmethod
    def load(cls, conn: sa.Connection, tables: set[str]) -> RefMaps:
        by_qb: dict[str, dict[str, int]] = {}
        by_id: dict[str, dict[int, str]] = {}
        for name in sorted(tables):
            table = schema.metadata.tables[name]
            rows = conn.execute(sa.select(table.c.id, table.c.qb_id).where(table.c.qb_id.is_not(None)))
            pairs = [(int(r.id), str(r.qb_id)) for r in rows]
            by_qb[name] = {qb: cid for cid, qb in pairs}
            by_id[name] = dict(pairs)
        return cls(by_qb, by_id)

    def to_qb_id(self, table: str, cmms_id: int) -> str | None:
        return self._by_id.get(table, {}).get(int(cmms_id))

    def to_cmms_id(self, table: str, qb_id: str) -> int | None:
        return self._by_qb.get(table, {}).get(str(qb_id))


def referenced_tables(mapping: Mapping) -> set[str]:
    return {ref.table for ref in mapping.references}


def load_accounts(conn: sa.Connection, mapping: Mapping) -> dict[int, AccountInfo]:
    """Account types for pre-send checks (only when the mapping refers to accounts)."""
    if "accounts" not in referenced_tables(mapping):
        return {}
    t = schema.accounts
    rows = conn.execute(sa.select(t.c.id, t.c.account_type, t.c.account_sub_type, t.c.active, t.c.name))
    return {int(r.id): AccountInfo(r.account_type, r.account_sub_type, r.active, r.name) for r in rows}
