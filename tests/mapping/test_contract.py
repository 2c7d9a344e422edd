"""The contract copy in ``qbo_sync.mapping.contract`` matches ``shared/cmms-contract.md``."""

from __future__ import annotations

import re
from pathlib import Path

from qbo_sync.mapping.contract import CONTRACT_COLUMNS, FOREIGN_KEYS, SYNC_COLUMNS, column_kind

_TABLE = re.compile(r"^- `(\w+)` \(\*synced\*[^)]*\): (.*)$")


def _contract_tables(text: str) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        match = _TABLE.match(line)
        if match:
            current = match.group(1)
            tables[current] = []
            line = match.group(2)
        elif not line.startswith("  ") or current is None:
            current = None
            continue
        body = line.split("Invariant:")[0]
        tables[current] += re.findall(r"`(\w+)`(?: \(|,|\.|$| [(])", body)
    return tables


def _clean(columns: list[str]) -> set[str]:
    values = {"inventory", "non_inventory", "service", "draft", "open", "partial", "paid", "void"}
    return {c for c in columns if c not in values}


def test_every_synced_table_of_the_contract_is_copied_exactly(fixtures_dir: Path) -> None:
    text = (fixtures_dir.parent / "cmms-contract.md").read_text(encoding="utf-8")
    tables = _contract_tables(text)
    assert set(tables) == set(CONTRACT_COLUMNS)
    for table, columns in tables.items():
        assert _clean(columns) == set(CONTRACT_COLUMNS[table]), table


def test_sync_columns_match_the_contract(fixtures_dir: Path) -> None:
    text = (fixtures_dir.parent / "cmms-contract.md").read_text(encoding="utf-8")
    section = text.split("## Sync columns")[1].split("##")[0]
    assert set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M)) == set(SYNC_COLUMNS)


def test_foreign_keys_name_real_columns() -> None:
    for (table, column), target in FOREIGN_KEYS.items():
        assert column_kind(table, column) == "int", (table, column)
        assert target.endswith("s")
    assert column_kind("items", "qb_id") == "text"
    assert column_kind("items", "nope") is None
    assert column_kind("nope", "id") is None
