"""Static checks of one mapping against the CMMS contract and the transform registry.

Each check returns readable problems ("field `IncomeAccountRef` refers to unknown column
`income_acct`"); the loader prefixes the file name and raises ``MappingConfigError``.
"""

from __future__ import annotations

import re

from qbo_sync.mapping.contract import (
    CONTRACT_COLUMNS,
    FOREIGN_KEYS,
    MANAGED_COLUMNS,
    SYNCED_TABLES,
    column_kind,
)
from qbo_sync.mapping.model import Condition, FieldMap, Mapping, Reference
from qbo_sync.mapping.transforms import DEFAULT_FOR_KIND, TRANSFORMS
from qbo_sync.mapping.validate import NAMED_VALIDATORS

QBO_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$")
_ENTITY = re.compile(r"^[A-Z][A-Za-z]*$")


def check_mapping(mapping: Mapping, expected_entity: str) -> list[str]:
    """All static problems of ``mapping`` (empty when it is valid)."""
    problems = _check_header(mapping, expected_entity)
    if mapping.cmms_table not in SYNCED_TABLES:
        return problems  # column checks would only repeat the same mistake
    for field in mapping.fields:
        problems += _check_field(mapping, field)
    for ref in mapping.references:
        problems += _check_reference(mapping, ref)
    problems += _check_unique(mapping)
    problems += _check_extras(mapping)
    problems += _check_groups(mapping)
    return problems


def _check_groups(mapping: Mapping) -> list[str]:
    """A nested QuickBooks object (``BillAddr``) is sent whole when any part changed, so all of its
    fields must follow one owner and none may be `conflict`: otherwise sending one part would
    silently overwrite a sibling that QuickBooks owns or that waits in the conflict queue."""
    owners: dict[str, set[str]] = {}
    for item in mapping.mapped:
        if "." in item.qbo and mapping.pushes(item):
            owners.setdefault(item.qbo.split(".")[0], set()).add(mapping.owner_of(item))
    return [
        f"fields under `{group}` must share one owner other than `conflict` "
        f"(found {', '.join(sorted(found))}); QuickBooks receives `{group}` whole"
        for group, found in sorted(owners.items())
        if len(found) > 1 or "conflict" in found
    ]


def _check_header(mapping: Mapping, expected_entity: str) -> list[str]:
    problems = []
    if mapping.entity != expected_entity:
        problems.append(
            f"entity `{mapping.entity}` does not match the file name (expected `{expected_entity}`)"
        )
    if mapping.cmms_table not in SYNCED_TABLES:
        known = ", ".join(sorted(SYNCED_TABLES))
        problems.append(f"unknown CMMS table `{mapping.cmms_table}` (synced tables: {known})")
    elif mapping.title_column not in CONTRACT_COLUMNS[mapping.cmms_table]:
        problems.append(f"`title_column` refers to unknown column `{mapping.title_column}`")
    if not _ENTITY.match(mapping.qbo_entity):
        problems.append(
            f"`qbo_entity` `{mapping.qbo_entity}` is not a QuickBooks entity name (like `Customer`)"
        )
    return problems


def _check_common(mapping: Mapping, item: FieldMap | Reference) -> list[str]:
    name = f"field `{item.qbo}`"
    if not QBO_PATH.match(item.qbo):
        return [f"{name} is not a dotted QuickBooks path (like `BillAddr.Line1`)"]
    if column_kind(mapping.cmms_table, item.column) is None:
        return [f"{name} refers to unknown column `{item.column}`"]
    if item.column in MANAGED_COLUMNS:
        return [f"{name} maps `{item.column}`, which the sync engine manages itself"]
    problems = []
    if item.pull_only and item.push_only:
        problems.append(f"{name} cannot be both pull_only and push_only")
    if mapping.direction == "pull" and item.push_only:
        problems.append(f"{name} is push_only, but the mapping only pulls")
    if mapping.direction == "push" and item.pull_only:
        problems.append(f"{name} is pull_only, but the mapping only pushes")
    for key in ("push_when", "required_when"):
        problems += _check_condition(mapping, f"{name}: `{key}`", getattr(item, key))
    return problems


def _check_condition(mapping: Mapping, where: str, condition: Condition | None) -> list[str]:
    columns = CONTRACT_COLUMNS[mapping.cmms_table]
    return [f"{where} refers to unknown column `{c}`" for c in (condition or {}) if c not in columns]


def _check_field(mapping: Mapping, field: FieldMap) -> list[str]:
    problems = _check_common(mapping, field)
    if problems:
        return problems
    name = f"field `{field.qbo}`"
    kind = column_kind(mapping.cmms_table, field.column) or "text"
    if (mapping.cmms_table, field.column) in FOREIGN_KEYS:
        return [f"{name} maps reference column `{field.column}`; list it under `references`"]
    transform = field.transform or DEFAULT_FOR_KIND.get(kind, "str")
    if transform not in TRANSFORMS:
        known = ", ".join(sorted(TRANSFORMS))
        return [f"{name} uses unknown transform `{transform}` (known: {known})"]
    if kind not in TRANSFORMS[transform].kinds:
        problems.append(
            f"{name} uses transform `{transform}` for column `{field.column}`, which holds {kind} values"
        )
    if field.max_length is not None and kind != "text":
        problems.append(f"{name} has `max_length`, but column `{field.column}` is not text")
    for validator in field.validators:
        if validator not in NAMED_VALIDATORS:
            known = ", ".join(sorted(NAMED_VALIDATORS))
            problems.append(f"{name} uses unknown validator `{validator}` (known: {known})")
    return problems


def _check_reference(mapping: Mapping, ref: Reference) -> list[str]:
    problems = _check_common(mapping, ref)
    if problems:
        return problems
    name = f"field `{ref.qbo}`"
    if ref.table not in SYNCED_TABLES:
        return [f"{name} refers to table `{ref.table}`, which is not synced with QuickBooks"]
    target = FOREIGN_KEYS.get((mapping.cmms_table, ref.column))
    if target != ref.table:
        return [f"{name}: column `{ref.column}` is not a reference to `{ref.table}`"]
    if ref.account_checks and ref.table != "accounts":
        problems.append(f"{name} has `account_checks`, but it does not refer to `accounts`")
    for check in ref.account_checks:
        problems += _check_condition(mapping, f"{name}: `account_checks.when`", check.when)
    return problems


def _check_unique(mapping: Mapping) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for item in mapping.mapped:
        if item.column in seen:
            problems.append(f"column `{item.column}` is mapped twice")
        seen.add(item.column)
    paths = [item.qbo for item in mapping.mapped] + [c.qbo for c in mapping.push_constants]
    for i, first in enumerate(paths):
        for second in paths[i + 1 :]:
            if first == second or second.startswith(first + ".") or first.startswith(second + "."):
                problems.append(f"QuickBooks path `{first}` clashes with `{second}`")
    return problems


def _check_extras(mapping: Mapping) -> list[str]:
    problems: list[str] = []
    columns = {item.column for item in mapping.mapped}
    for column in mapping.readonly_qbo:
        if column not in columns:
            problems.append(f"`readonly_qbo` names `{column}`, which is not a mapped column")
    for part in mapping.natural_key:
        if part.cmms not in CONTRACT_COLUMNS[mapping.cmms_table]:
            problems.append(f"`natural_key` refers to unknown column `{part.cmms}`")
        if not QBO_PATH.match(part.qbo):
            problems.append(f"`natural_key` path `{part.qbo}` is not a dotted QuickBooks path")
    for constant in mapping.push_constants:
        if not QBO_PATH.match(constant.qbo):
            problems.append(f"`push_constants` path `{constant.qbo}` is not a dotted QuickBooks path")
        problems += _check_condition(mapping, f"`push_constants` `{constant.qbo}`: `when`", constant.when)
    return problems
