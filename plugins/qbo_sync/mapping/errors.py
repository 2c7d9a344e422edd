"""Errors raised by the mapping layer.

::

    MappingError                      base class; never raised itself
    ├── MappingConfigError            a mapping file is invalid (raised at load time)
    └── RecordError                   one record cannot be mapped; the engine marks that record
        ├── FieldValueError           a value cannot be converted (bad date, unknown item type)
        ├── UnresolvedReference       a reference points at an object that is not linked yet
        ├── CannotClear               a field emptied in the CMMS that QuickBooks cannot clear
        └── SkipRecord                the object is deliberately not synced (e.g. an Item Category)

``RecordError`` messages are written for a bookkeeper: they say which record, which field and
what to do. They never carry secrets (the mapping layer never sees any).
"""

from __future__ import annotations

from dataclasses import dataclass


class MappingError(Exception):
    """Base class of every mapping-layer error."""


class MappingConfigError(MappingError):
    """A mapping file is invalid. ``str(err)`` names the file and the field."""

    def __init__(self, file: str, message: str) -> None:
        self.file = file
        self.detail = message
        super().__init__(f"mapping `{file}`: {message}")


class RecordError(MappingError):
    """One record cannot be mapped; the engine turns this into a per-record error status."""


class FieldValueError(RecordError):
    """A single value cannot be converted between CMMS and QuickBooks."""

    def __init__(self, record: str, field: str, value: object, reason: str) -> None:
        self.record = record
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{record}: {field}: {reason} (got {value!r})")


@dataclass(frozen=True)
class MissingRef:
    """One reference that could not be resolved."""

    column: str  # CMMS column, e.g. ``income_account_id``
    qbo: str  # QBO attribute, e.g. ``IncomeAccountRef``
    table: str  # referenced CMMS table, e.g. ``accounts``
    key: str  # the id that was looked up (CMMS id when pushing, QBO Id when pulling)
    direction: str  # ``pull`` (QBO Id -> CMMS id) or ``push`` (CMMS id -> QBO Id)

    def describe(self) -> str:
        if self.direction == "push":
            return (
                f"{self.column} points to {self.table} #{self.key}, which is not linked to "
                f"QuickBooks yet (sync {self.table} first)"
            )
        return (
            f"{self.qbo} points to QuickBooks {self.table} Id {self.key}, which is not in the CMMS "
            f"yet (sync {self.table} first)"
        )


class UnresolvedReference(RecordError):
    """A record references objects that are not linked on the other side yet."""

    def __init__(self, record: str, missing: list[MissingRef]) -> None:
        self.record = record
        self.missing = list(missing)
        details = "; ".join(m.describe() for m in self.missing)
        super().__init__(f"{record}: {details}")


class SkipRecord(RecordError):
    """The QuickBooks object is intentionally not synced (not an error for the bookkeeper)."""

    def __init__(self, record: str, reason: str) -> None:
        self.record = record
        self.reason = reason
        super().__init__(f"{record}: skipped, {reason}")


@dataclass(frozen=True)
class Uncleared:
    """One field emptied in the CMMS that a sparse update cannot clear in QuickBooks."""

    column: str
    human: str  # e.g. "sales price"
    advice: str  # e.g. "set a sales price instead"


class CannotClear(RecordError):
    """A sparse update would have to clear fields QuickBooks cannot clear (see ``apply.py``)."""

    def __init__(self, record: str, fields: list[Uncleared]) -> None:
        self.record = record
        self.fields = list(fields)
        what = " and ".join(f.human for f in self.fields)
        advice = "; ".join(dict.fromkeys(f.advice for f in self.fields))
        super().__init__(
            f"QuickBooks cannot clear the {what} of {record}; {advice} "
            "(QuickBooks keeps its current value until then)."
        )
