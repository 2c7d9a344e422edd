"""Fixtures for the mapping tests: the shipped mappings, an in-memory reference resolver and
QuickBooks objects taken from the recorded traffic in ``shared/qbo-fixtures``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qbo_sync.mapping import Mapping, load_mappings


class DictResolver:
    """A ``RefResolver`` over fixed ``{table: {cmms_id: qb_id}}`` links."""

    def __init__(self, links: dict[str, dict[int, str]] | None = None) -> None:
        self.links = links or {}

    def to_qb_id(self, table: str, cmms_id: int) -> str | None:
        return self.links.get(table, {}).get(cmms_id)

    def to_cmms_id(self, table: str, qb_id: str) -> int | None:
        for cmms_id, linked in self.links.get(table, {}).items():
            if linked == qb_id:
                return cmms_id
        return None


@pytest.fixture(scope="session")
def mappings() -> dict[str, Mapping]:
    return load_mappings(Path(__file__).resolve().parents[2] / "include" / "mappings")


@pytest.fixture()
def make_resolver() -> type[DictResolver]:
    """The ``DictResolver`` class, for tests that need links of their own."""
    return DictResolver


@pytest.fixture()
def resolver() -> DictResolver:
    return DictResolver({"accounts": {10: "79", 11: "80", 12: "81", 13: "7"}})


def _objects(data: Any, entity: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == entity:
                found += value if isinstance(value, list) else [value]
            else:
                found += _objects(value, entity)
    elif isinstance(data, list):
        for value in data:
            found += _objects(value, entity)
    return found


@pytest.fixture()
def recorded(fixtures_dir: Path) -> Callable[[str, str], list[dict[str, Any]]]:
    """``recorded(file, entity)``: every ``entity`` object in the responses of one fixture file."""

    def load(file: str, entity: str) -> list[dict[str, Any]]:
        data = json.loads((fixtures_dir / file).read_text(encoding="utf-8"))
        responses = [i["response"]["json"] for i in data["interactions"] if i["response"].get("json")]
        objects = _objects(responses, entity)
        assert objects, f"no {entity} in {file}"
        return objects

    return load
