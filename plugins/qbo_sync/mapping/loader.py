"""Load and validate mapping files.

``load_mapping(path)`` reads one YAML file; ``load_mappings(folder)`` reads every ``*.yaml`` in a
folder (default: ``include/mappings`` of the repository, or ``$QBO_MAPPINGS_DIR``) and also
checks references across files. Every problem is reported as ``MappingConfigError`` naming the
file and the field, e.g. "mapping `items.yaml`: field `IncomeAccountRef` refers to unknown
column `income_acct`".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from qbo_sync.mapping.checks import check_mapping
from qbo_sync.mapping.contract import column_kind
from qbo_sync.mapping.errors import MappingConfigError
from qbo_sync.mapping.lines import check_transaction, complete_transaction
from qbo_sync.mapping.model import Mapping
from qbo_sync.mapping.transforms import DEFAULT_FOR_KIND

ENV_VAR = "QBO_MAPPINGS_DIR"
_REPO = Path(__file__).resolve().parents[3]


def default_mappings_dir() -> Path:
    """``$QBO_MAPPINGS_DIR`` when set, else ``include/mappings`` next to ``plugins/``."""
    override = os.environ.get(ENV_VAR)
    return Path(override) if override else _REPO / "include" / "mappings"


def load_mapping(path: str | os.PathLike[str]) -> Mapping:
    """Read, validate and complete one mapping file."""
    file = Path(path)
    raw = _read_yaml(file)
    try:
        mapping = Mapping.model_validate({**raw, "source": file.name})
    except ValidationError as exc:
        raise MappingConfigError(file.name, _describe_validation(exc, raw)) from None
    problems = check_mapping(mapping, expected_entity=file.stem)
    problems += check_transaction(mapping)
    if problems:
        raise MappingConfigError(file.name, "; ".join(problems))
    return complete_transaction(_complete(mapping))


def load_mappings(folder: str | os.PathLike[str] | None = None) -> dict[str, Mapping]:
    """Every mapping in ``folder`` keyed by entity name, with references checked across files."""
    directory = Path(folder) if folder is not None else default_mappings_dir()
    if not directory.is_dir():
        raise MappingConfigError(
            str(directory), f"folder not found (set {ENV_VAR} to the folder holding the mapping files)"
        )
    mappings = {m.entity: m for m in (load_mapping(p) for p in sorted(directory.glob("*.yaml")))}
    if not mappings:
        raise MappingConfigError(str(directory), "no *.yaml mapping files in this folder")
    _check_across(mappings)
    return mappings


def _read_yaml(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingConfigError(file.name, f"cannot be read ({exc.strerror})") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: safe
    except _DuplicateKey as exc:
        raise MappingConfigError(file.name, str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise MappingConfigError(file.name, f"is not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise MappingConfigError(file.name, "must be a YAML mapping of keys (entity, cmms_table, ...)")
    return raw


class _DuplicateKey(Exception):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key written twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _DuplicateKey(f"key `{key}` appears twice (line {key_node.start_mark.line + 1})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _describe_validation(exc: ValidationError, raw: dict[str, Any]) -> str:
    return "; ".join(_describe_error(err, raw) for err in exc.errors())


def _describe_error(err: Any, raw: dict[str, Any]) -> str:
    loc = [part for part in err["loc"] if part not in {"function-after", "function-before"}]
    where, rest = _where(loc, raw)
    attr = ".".join(str(p) for p in rest)
    kind = err["type"]
    message = f"{err['msg'][:1].lower()}{err['msg'][1:]}"
    if not attr:
        return f"{where}{message}"
    if kind == "missing":
        return f"{where}`{attr}` is required"
    if kind == "extra_forbidden":
        return f"{where}unknown key `{attr}`"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{where}`{attr}` must be one of {expected} (got `{err['input']}`)"
    return f"{where}`{attr}`: {message}"


def _where(loc: list[Any], raw: dict[str, Any]) -> tuple[str, list[Any]]:
    """Split a pydantic location into "field `X`: " and the attribute path inside it."""
    if len(loc) >= 2 and loc[0] in {"fields", "references"} and isinstance(loc[1], int):
        entries = raw.get(loc[0])
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else {}
        name = (entry.get("qbo") or entry.get("column")) if isinstance(entry, dict) else None
        label = f"field `{name}`" if name else f"{loc[0]}[{loc[1]}]"
        return f"{label}: ", loc[2:]
    return "", loc


def _complete(mapping: Mapping) -> Mapping:
    """Fill default transforms and mark ``readonly_qbo`` columns pull-only."""
    readonly = set(mapping.readonly_qbo)
    fields = []
    for field in mapping.fields:
        update: dict[str, Any] = {}
        if field.transform is None:
            update["transform"] = DEFAULT_FOR_KIND[column_kind(mapping.cmms_table, field.column) or "text"]
        if field.column in readonly:
            update["pull_only"] = True
        fields.append(field.model_copy(update=update) if update else field)
    refs = [
        r.model_copy(update={"pull_only": True}) if r.column in readonly else r for r in mapping.references
    ]
    return mapping.model_copy(update={"fields": fields, "references": refs})


def _check_across(mappings: dict[str, Mapping]) -> None:
    by_table: dict[str, Mapping] = {}
    for mapping in mappings.values():
        other = by_table.setdefault(mapping.cmms_table, mapping)
        if other is not mapping:
            raise MappingConfigError(
                mapping.source, f"table `{mapping.cmms_table}` is already mapped by `{other.source}`"
            )
    for mapping in mappings.values():
        for ref in mapping.references:
            if ref.table not in by_table:
                raise MappingConfigError(
                    mapping.source,
                    f"field `{ref.qbo}` refers to table `{ref.table}`, but no mapping in the folder syncs it",
                )
