"""Reading pushed transactions from the CMMS: header rows a page at a time with their lines, their
push state (``sync_txn_state``), and the small lookups a transaction needs (related values such as
the customer's e-mail, the expense settings, account types, work order / job / invoice numbers)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.mapping import AccountInfo, Mapping
from qbo_sync.sync.refs import RefMaps

PAGE = 500
REF_TABLES = {"customers", "vendors", "items", "accounts", "tax_codes"}


@dataclass
class TxnRecord:
    """One transaction: its header row, its line rows (in order) and its push state (or None)."""

    row: dict[str, Any]
    lines: list[dict[str, Any]]
    state: dict[str, Any] | None


@dataclass
class Lookups:
    """What building bodies needs besides the record, loaded once per run (never per record)."""

    refs: RefMaps
    accounts: dict[int, AccountInfo]
    related: dict[tuple[str, str], dict[int, Any]]
    settings: dict[str, Any]
    purposes: dict[str, dict[int, tuple[str | None, int | None]]]  # table -> id -> (number, customer)
    unlinked: dict[str, dict[int, str]]  # names of referenced records not in QuickBooks yet (messages)


def load_lookups(conn: sa.Connection, mapping: Mapping) -> Lookups:
    txn = mapping.transaction
    assert txn is not None
    refs = RefMaps.load(conn, REF_TABLES)
    a = schema.accounts
    accounts = {
        int(r.id): AccountInfo(r.account_type, r.account_sub_type, r.active, r.name)
        for r in conn.execute(sa.select(a.c.id, a.c.account_type, a.c.account_sub_type, a.c.active, a.c.name))
    }
    related: dict[tuple[str, str], dict[int, Any]] = {}
    for rel in txn.related:
        t = schema.metadata.tables[rel.table]
        rows = conn.execute(sa.select(t.c.id, t.c[rel.column]).where(t.c[rel.column].is_not(None)))
        related[(rel.table, rel.column)] = {int(r[0]): r[1] for r in rows}
    s = schema.qb_settings
    settings = dict(conn.execute(sa.select(s).where(s.c.id == 1)).mappings().first() or {})
    purposes: dict[str, dict[int, tuple[str | None, int | None]]] = {}
    if txn.build == "expense_journal_entry":
        for name, number in (("work_orders", "number"), ("jobs", "number"), ("invoices", "invoice_number")):
            t = schema.metadata.tables[name]
            rows = conn.execute(sa.select(t.c.id, t.c[number], t.c.customer_id))
            purposes[name] = {int(r[0]): (r[1], r[2]) for r in rows}
    return Lookups(refs, accounts, related, settings, purposes, _unlinked_names(conn))


TITLES = {
    "customers": "display_name",
    "vendors": "display_name",
    "items": "name",
    "accounts": "name",
    "tax_codes": "name",
}


def _unlinked_names(conn: sa.Connection) -> dict[str, dict[int, str]]:
    """Names of the referenced records that are not linked yet (few once masters synced), so a
    waiting transaction can name the record it waits for."""
    out: dict[str, dict[int, str]] = {}
    for name, column in TITLES.items():
        t = schema.metadata.tables[name]
        rows = conn.execute(sa.select(t.c.id, t.c[column]).where(t.c.qb_id.is_(None)))
        out[name] = {int(r[0]): str(r[1]) for r in rows if r[1] is not None}
    return out


def record_pages(engine: sa.Engine, mapping: Mapping, page: int = PAGE) -> Iterator[list[TxnRecord]]:
    """Every transaction of the mapping's table, ``page`` at a time by id (bounded memory)."""
    table = schema.metadata.tables[mapping.cmms_table]
    after = 0
    while True:
        with engine.connect() as conn:
            rows = [
                dict(r._mapping)
                for r in conn.execute(
                    sa.select(table).where(table.c.id > after).order_by(table.c.id).limit(page)
                )
            ]
            if not rows:
                return
            ids = [int(r["id"]) for r in rows]
            lines = _lines(conn, mapping, ids)
            states = txn_states(conn, mapping.entity, ids)
        yield [TxnRecord(r, lines.get(int(r["id"]), []), states.get(int(r["id"]))) for r in rows]
        after = ids[-1]


def _lines(conn: sa.Connection, mapping: Mapping, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    spec = mapping.transaction.lines if mapping.transaction else None
    if spec is None:
        return {}
    t = schema.metadata.tables[spec.table]
    parent = t.c[spec.parent]
    out: dict[int, list[dict[str, Any]]] = {}
    stmt = sa.select(t).where(parent.in_(ids)).order_by(parent, t.c[spec.order_by], t.c.id)
    for r in conn.execute(stmt):
        line = dict(r._mapping)
        out.setdefault(int(line[spec.parent]), []).append(line)
    return out


def txn_states(conn: sa.Connection, entity: str, ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    t = schema.sync_txn_state
    stmt = sa.select(t).where(t.c.entity == entity)
    if ids is not None:
        stmt = stmt.where(t.c.cmms_id.in_(ids))
    return {int(r.cmms_id): dict(r._mapping) for r in conn.execute(stmt)}


def pending_states(conn: sa.Connection, entity: str) -> dict[int, dict[str, Any]]:
    """Records whose last write left without a recorded answer (they may exist in QuickBooks)."""
    t = schema.sync_txn_state
    stmt = sa.select(t).where(t.c.entity == entity, t.c.sending_since.is_not(None))
    return {int(r.cmms_id): dict(r._mapping) for r in conn.execute(stmt)}


def save_states(conn: sa.Connection, entity: str, states: list[dict[str, Any]]) -> None:
    """Replace the push state of the given records (each dict a full ``sync_txn_state`` row)."""
    if not states:
        return
    t = schema.sync_txn_state
    ids = [int(s["cmms_id"]) for s in states]
    conn.execute(sa.delete(t).where(t.c.entity == entity, t.c.cmms_id.in_(ids)))
    conn.execute(sa.insert(t), [{**s, "entity": entity} for s in states])
