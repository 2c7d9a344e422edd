"""Declarative CMMS ⇄ QuickBooks mapping: typed mapping files, transforms, apply, merge, validation.

Pure code: no database, no HTTP. The sync engine loads the mappings once
(``load_mappings()``), then per record calls ``qbo_to_row`` / ``row_to_qbo``, ``comparable`` for
snapshots, ``merge`` for two-way entities and ``validate_for_push`` before sending.
"""

from __future__ import annotations

from qbo_sync.mapping.apply import RefResolver, comparable, get_path, qbo_to_row, row_to_qbo, set_path
from qbo_sync.mapping.errors import (
    CannotClear,
    FieldValueError,
    MappingConfigError,
    MappingError,
    MissingRef,
    RecordError,
    SkipRecord,
    UnresolvedReference,
)
from qbo_sync.mapping.keys import matches_natural_key, natural_key_filter
from qbo_sync.mapping.loader import ENV_VAR, default_mappings_dir, load_mapping, load_mappings
from qbo_sync.mapping.merge import Conflict, MergeResult, merge
from qbo_sync.mapping.model import FieldMap, KeyPart, Mapping, Reference
from qbo_sync.mapping.transforms import TRANSFORMS, Transform, get_transform
from qbo_sync.mapping.validate import AccountInfo, validate_for_push

__all__ = [
    "ENV_VAR",
    "TRANSFORMS",
    "AccountInfo",
    "CannotClear",
    "Conflict",
    "FieldMap",
    "FieldValueError",
    "KeyPart",
    "Mapping",
    "MappingConfigError",
    "MappingError",
    "MergeResult",
    "MissingRef",
    "RecordError",
    "RefResolver",
    "Reference",
    "SkipRecord",
    "Transform",
    "UnresolvedReference",
    "comparable",
    "default_mappings_dir",
    "get_path",
    "get_transform",
    "load_mapping",
    "load_mappings",
    "matches_natural_key",
    "merge",
    "natural_key_filter",
    "qbo_to_row",
    "row_to_qbo",
    "set_path",
    "validate_for_push",
]
