"""A mapping prepared for per-record work: paths split, transforms looked up, once per mapping.

``qbo_to_row`` and ``comparable`` run for every record of every page (tens of thousands per initial
sync), so what only depends on the mapping (which fields are pulled, the split QBO paths, the
transform functions) is worked out once here instead of per record. The result is cached per
``Mapping`` object (mappings are frozen; a ``model_copy`` is a new object with its own plan).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qbo_sync.mapping.model import FieldMap, Mapping, Reference
from qbo_sync.mapping.transforms import reference_comparable, transform_for

Getter = Callable[[dict[str, Any]], Any]


def path_getter(path: str) -> Getter:
    """A function returning the value at dotted ``path`` of an object (None when a step is missing).

    Same answers as ``apply.get_path``; one- and two-step paths (all of QBO's) avoid the split.
    """
    steps = tuple(path.split("."))
    if len(steps) == 1:
        (first,) = steps

        def get_one(obj: dict[str, Any]) -> Any:
            return obj.get(first) if isinstance(obj, dict) else None

        return get_one
    if len(steps) == 2:
        first, second = steps

        def get_two(obj: dict[str, Any]) -> Any:
            value = obj.get(first) if isinstance(obj, dict) else None
            return value.get(second) if isinstance(value, dict) else None

        return get_two

    def get_many(obj: dict[str, Any]) -> Any:
        value: Any = obj
        for step in steps:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
        return value

    return get_many


@dataclass(frozen=True)
class PulledField:
    """A field whose QuickBooks value is written into the CMMS."""

    column: str
    qbo: str
    get: Getter
    to_cmms: Callable[[Any], Any]


@dataclass(frozen=True)
class PulledReference:
    """A reference whose QuickBooks id is resolved to a CMMS id."""

    ref: Reference
    get: Getter


@dataclass(frozen=True)
class Comparer:
    """How one mapped column is put in comparable form."""

    column: str
    comparable: Callable[[Any], Any]


class CompiledMapping:
    """The per-record view of one mapping (see the module docstring)."""

    def __init__(self, mapping: Mapping) -> None:
        self.pulled_fields = tuple(
            PulledField(f.column, f.qbo, path_getter(f.qbo), _transform(f).to_cmms)
            for f in mapping.fields
            if mapping.pulls(f)
        )
        self.pulled_references = tuple(
            PulledReference(r, path_getter(r.qbo)) for r in mapping.references if mapping.pulls(r)
        )
        self.comparers = tuple(
            Comparer(
                item.column,
                reference_comparable if isinstance(item, Reference) else _transform(item).comparable,
            )
            for item in mapping.mapped
        )


def _transform(field: FieldMap) -> Any:
    return transform_for(field.transform, field.validators)


_CACHE: dict[int, tuple[weakref.ref[Mapping], CompiledMapping]] = {}
_LOCK = threading.Lock()


def compiled(mapping: Mapping) -> CompiledMapping:
    """The compiled form of ``mapping``, built on first use and kept while the mapping lives."""
    key = id(mapping)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is mapping:
        return hit[1]
    plan = CompiledMapping(mapping)
    with _LOCK:
        _CACHE[key] = (weakref.ref(mapping, lambda _gone, key=key: _CACHE.pop(key, None)), plan)
    return plan
