"""Set-based writes to the CMMS database: a page of rows in a few statements, never one per row.

- :func:`bulk_upsert` inserts rows or updates them on a key conflict (``INSERT ... ON CONFLICT
  (...) DO UPDATE``, PostgreSQL and SQLite). Rows go to the database as one executemany that
  SQLAlchemy sends as multi-row statements of up to ``page_size`` rows ("insertmanyvalues"). By
  default a conflicting row is only rewritten when a value really differs, so re-loading what is
  already there touches nothing (no ``updated_at`` bump, nothing that looks like a local edit).
- :func:`bulk_update` updates rows by a key column with executemany (psycopg2 sends it in pages).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

PAGE_SIZE = 1000
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _dedupe(rows: Iterable[Mapping[str, Any]], key_cols: Sequence[str]) -> list[dict[str, Any]]:
    """Drop earlier rows that repeat a key (the last one wins; a statement may touch a row once).

    Plain dicts are passed on as they are (never modified), not copied."""
    by_key: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    try:
        if len(key_cols) == 1:
            (k,) = key_cols
            for row in rows:
                key = (row[k],)
                by_key.pop(key, None)
                by_key[key] = row
        else:
            for row in rows:
                key = tuple(row[k] for k in key_cols)
                by_key.pop(key, None)
                by_key[key] = row
    except KeyError as exc:
        raise ValueError(f"bulk upsert: a row has no value for key column {exc.args[0]!r}") from None
    return [row if type(row) is dict else dict(row) for row in by_key.values()]


def _by_columns(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Group rows by the set of columns they carry (a missing key never means NULL)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return groups


def _check_columns(table: sa.Table, names: Iterable[str]) -> None:
    unknown = sorted(set(names) - set(table.c.keys()))
    if unknown:
        raise ValueError(f"table {table.name} has no column(s) {', '.join(unknown)}")


def _upsert_statement(
    dialect: str,
    table: sa.Table,
    key_cols: Sequence[str],
    update_cols: Sequence[str],
    returning: Sequence[str],
    skip_unchanged: bool,
) -> Any:
    try:
        stmt = _INSERTS[dialect](table)
    except KeyError:
        raise NotImplementedError(f"bulk upsert supports PostgreSQL and SQLite, not {dialect}") from None
    if update_cols:
        excluded = stmt.excluded
        where = None
        if skip_unchanged:
            where = sa.or_(*(table.c[c].is_distinct_from(excluded[c]) for c in update_cols))
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c[k] for k in key_cols],
            set_={c: excluded[c] for c in update_cols},
            where=where,
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=[table.c[k] for k in key_cols])
    return stmt.returning(*(table.c[c] for c in returning))


def bulk_upsert(
    conn: sa.Connection,
    table: sa.Table,
    rows: Iterable[Mapping[str, Any]],
    key_cols: Sequence[str],
    update_cols: Sequence[str] | None = None,
    returning: Sequence[str] | None = None,
    *,
    skip_unchanged: bool = True,
    page_size: int = PAGE_SIZE,
) -> list[dict[str, Any]]:
    """Insert ``rows`` into ``table``, updating the rows whose ``key_cols`` already exist.

    ``key_cols`` must be the primary key or a unique constraint. ``update_cols`` are the columns
    rewritten on conflict (default: every column the rows carry except the keys; empty: never
    update). Returns one dict per row inserted or changed, with the ``returning`` columns (default:
    the key columns); rows left as they were (unchanged, or kept by ``update_cols=[]``) are absent.
    """
    rows = _dedupe(rows, key_cols)
    if not rows:
        return []
    returning = list(returning or key_cols)
    _check_columns(table, [*key_cols, *(update_cols or []), *returning])
    result: list[dict[str, Any]] = []
    for columns, group in _by_columns(rows).items():
        _check_columns(table, columns)
        updates = [c for c in columns if c not in key_cols] if update_cols is None else list(update_cols)
        missing = sorted(set(updates) - set(columns))
        if missing:
            raise ValueError(
                f"bulk upsert into {table.name}: rows lack update column(s) {', '.join(missing)}"
            )
        stmt = _upsert_statement(conn.dialect.name, table, key_cols, updates, returning, skip_unchanged)
        options = {"insertmanyvalues_page_size": page_size}
        cursor = conn.execute(stmt.execution_options(**options), group)
        result.extend(dict(row._mapping) for row in cursor)
    return result


def bulk_update(
    conn: sa.Connection,
    table: sa.Table,
    rows: Iterable[Mapping[str, Any]],
    key_col: str,
    *,
    skip_unchanged: bool = True,
) -> list[Any]:
    """Update existing rows of ``table`` identified by ``key_col`` (executemany, grouped by columns).

    Each row carries ``key_col`` and the columns to set. With ``skip_unchanged`` a row whose values
    are already there is not rewritten. Returns the keys that were submitted (psycopg2's paged
    executemany reports no per-row counts); rows whose key does not exist are silently unmatched.
    """
    rows = _dedupe(rows, [key_col])
    keys: list[Any] = []
    for columns, group in _by_columns(rows).items():
        _check_columns(table, columns)
        targets = [c for c in columns if c != key_col]
        if not targets:
            continue
        key = table.c[key_col]
        stmt = (
            sa.update(table)
            .where(key == sa.bindparam("b__key", type_=key.type))
            .values({c: sa.bindparam(f"b_{c}", type_=table.c[c].type) for c in targets})
        )
        if skip_unchanged:
            changed = (
                table.c[c].is_distinct_from(sa.bindparam(f"b_{c}", type_=table.c[c].type)) for c in targets
            )
            stmt = stmt.where(sa.or_(*changed))
        params = [{"b__key": row[key_col], **{f"b_{c}": row[c] for c in targets}} for row in group]
        conn.execute(stmt, params)
        keys.extend(row[key_col] for row in group)
    return keys
