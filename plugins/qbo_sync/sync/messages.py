"""Per-record messages for a bookkeeper: which record, what QuickBooks said, what to do."""

from __future__ import annotations

from typing import Any

from qbo_sync.mapping import Mapping, RecordError, UnresolvedReference
from qbo_sync.qbo.errors import AmbiguousOutcome, DuplicateName, QBOError, StaleObject
from qbo_sync.sync.record import RecordFailure

FIX_AND_RERUN = "Correct the record in the CMMS and run the sync again."


def _name(mapping: Mapping, row: dict[str, Any]) -> str:
    value = row.get(mapping.title_column)
    return str(value).strip() if value is not None else ""


def _said(error: QBOError) -> str:
    text = error.message or ""
    if error.detail and error.detail != error.message:
        text = f"{text}: {error.detail}" if text else error.detail
    return (text or error.__class__.__name__).rstrip(". ")


def rejected(mapping: Mapping, row: dict[str, Any], error: QBOError, action: str) -> RecordFailure:
    """A QuickBooks rejection of one record (``action``: "create" or "update")."""
    who = mapping.describe(row)
    if isinstance(error, DuplicateName):
        name = _name(mapping, row)
        message = (
            f"{who}: QuickBooks already has a customer, vendor or employee named '{name}'. "
            "QuickBooks needs a name that no other customer, vendor or employee uses (inactive ones "
            f"included). Rename this {mapping.label.lower()} in the CMMS (for example "
            f"'{name} ({mapping.label})') or rename the other record in QuickBooks, then run the sync again."
        )
    elif isinstance(error, StaleObject):
        message = (
            f"{who}: someone changed it in QuickBooks while it was being saved, twice in a row. "
            "Nothing was lost; it will be merged and sent again by the next sync."
        )
    elif isinstance(error, AmbiguousOutcome):
        message = (
            f"{who}: QuickBooks did not confirm the {action}. The next sync looks it up by name before "
            "sending it again, so no duplicate is created. Nothing to do unless this repeats."
        )
    else:
        message = f"{who}: QuickBooks refused the {action}: {_said(error)}. {FIX_AND_RERUN}"
    return RecordFailure(
        message=message,
        code=f"qbo_{error.code}" if error.code else error.__class__.__name__,
        cmms_id=row.get("id"),
        qb_id=row.get("qb_id"),
        detail=str(error),
        intuit_tid=error.intuit_tid,
    )


def invalid(mapping: Mapping, row: dict[str, Any], problems: list[str]) -> RecordFailure:
    """Pre-send validation failed: nothing was sent to QuickBooks."""
    text = " ".join(problems)
    return RecordFailure(
        message=f"{text} Nothing was sent to QuickBooks. {FIX_AND_RERUN}",
        code="invalid",
        cmms_id=row.get("id"),
        qb_id=row.get("qb_id"),
    )


def unmappable(
    mapping: Mapping, error: RecordError, cmms_id: int | None, qb_id: str | None, push: bool
) -> RecordFailure:
    """A record that cannot be mapped (bad value, reference not linked yet)."""
    where = "sent to QuickBooks" if push else "loaded into the CMMS"
    advice = FIX_AND_RERUN if push else "Correct the record in QuickBooks and run the sync again."
    if isinstance(error, UnresolvedReference):
        advice = "It is retried automatically once the referenced records are synced."
    return RecordFailure(
        message=f"{error} It was not {where}. {advice}",
        code="unresolved_reference" if isinstance(error, UnresolvedReference) else "invalid_value",
        cmms_id=cmms_id,
        qb_id=qb_id,
    )
