"""Fixtures for the CMMS database layer: the same tests run on PostgreSQL and on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from qbo_sync.db.engine import create_engine
from qbo_sync.db.migrate import upgrade


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file that does not exist yet (its folder neither)."""
    return f"sqlite:///{tmp_path / 'data' / 'cmms.db'}"


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database: once PostgreSQL (``pg_url``), once a SQLite file."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return request.getfixturevalue("sqlite_url")


@pytest.fixture()
def migrated_url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture()
def engine(migrated_url: str) -> Iterator[sa.Engine]:
    """An engine (product settings) on a freshly migrated database."""
    eng = create_engine(migrated_url)
    try:
        yield eng
    finally:
        eng.dispose()


class StatementCounter:
    """Counts the statements a connection sends (each multi-row page counts once)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    def writes(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]


@pytest.fixture()
def counter(engine: sa.Engine) -> Iterator[StatementCounter]:
    listener = StatementCounter()
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield listener
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
