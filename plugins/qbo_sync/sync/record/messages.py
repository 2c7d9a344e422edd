"""Per-record messages for a bookkeeper: which record, what QuickBooks said, what to do."""

from __future__ import annotations

from typing import Any

from qbo_sync.mapping import Mapping, RecordError, UnresolvedReference
from qbo_sync.mapping.errors import MissingRef
from qbo_sync.qbo.errors import AmbiguousOutcome, DuplicateName, QBOError, StaleObject
from qbo_sync.sync.record.recorder import RecordFailure

FIX_AND_RERUN = "Correct the record in the CMMS and run the sync again."
# Tables that only come from QuickBooks (their mappings have ``direction: pull``): a CMMS row of
# theirs without a QuickBooks Id was made in the CMMS and never reaches QuickBooks by itself.
QBO_ONLY_TABLES = frozenset({"accounts", "tax_codes", "tax_rates"})


def _name(mapping: Mapping, row: dict[str, Any]) -> str:
    value = row.get(mapping.title_column)
    return str(value).strip() if value is not None else ""


def _said(error: QBOError) -> str:
    text = error.message or ""
    if error.detail and error.detail != error.message:
        text = f"{text}: {error.detail}" if text else error.detail
    return (text or error.__class__.__name__).rstrip(". ")


def _lists(mapping: Mapping) -> str:
    """The QuickBooks lists a name must be unique across, in words."""
    if mapping.qbo_entity in ("Customer", "Vendor", "Employee"):
        return "customer, vendor or employee"
    return mapping.label.lower()


def _duplicate(mapping: Mapping, row: dict[str, Any], clash: str | None) -> str:
    who, name, lists = mapping.describe(row), _name(mapping, row), _lists(mapping)
    owner = clash or f"another {lists} named '{name}'"
    return (
        f"{who}: the name is already used in QuickBooks by {owner}. QuickBooks needs a name that no "
        f"other {lists} uses (inactive ones included). Rename this {mapping.label.lower()} in the "
        f"CMMS (for example '{name} ({mapping.label})') or rename the other record in QuickBooks, "
        "then run the sync again."
    )


def _inactive(mapping: Mapping, row: dict[str, Any], error: QBOError, inactive: list[str]) -> str:
    who = mapping.describe(row)
    if not inactive:
        where = f" (QuickBooks names the field {error.element})" if error.element else ""
        return (
            f"{who}: QuickBooks refused it because something it refers to is inactive or was deleted "
            f"in QuickBooks{where}: {_said(error)}. Make that account or item active in QuickBooks, or "
            "choose another one in the CMMS, then run the sync again."
        )
    return (
        f"{who}: QuickBooks refused it because {'; '.join(inactive)}. Make it active again in "
        "QuickBooks, or choose another one in the CMMS, then run the sync again."
    )


def rejected(
    mapping: Mapping,
    row: dict[str, Any],
    error: QBOError,
    action: str,
    *,
    clash: str | None = None,
    inactive: list[str] | None = None,
) -> RecordFailure:
    """A QuickBooks rejection of one record (``action``: "create" or "update"); ``clash`` names the
    record that already has the name (6240), ``inactive`` the references QuickBooks refused (610)."""
    who = mapping.describe(row)
    if isinstance(error, DuplicateName):
        message = _duplicate(mapping, row, clash)
    elif error.code == "610":
        message = _inactive(mapping, row, error, inactive or [])
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
    text = str(error)
    if isinstance(error, UnresolvedReference):
        local_only = [m for m in error.missing if m.direction == "push" and m.table in QBO_ONLY_TABLES]
        if local_only:
            text, advice = _local_only(mapping, error, local_only)
        else:
            advice = "It is retried automatically once the referenced records are synced."
    return RecordFailure(
        message=f"{text} It was not {where}. {advice}",
        code="unresolved_reference" if isinstance(error, UnresolvedReference) else "invalid_value",
        cmms_id=cmms_id,
        qb_id=qb_id,
    )


def _local_only(mapping: Mapping, error: UnresolvedReference, missing: list[MissingRef]) -> tuple[str, str]:
    """References to accounts (tax codes) that exist only in the CMMS: no sync will resolve them."""
    by_col = mapping.by_column()
    parts = []
    for m in missing:
        human = by_col[m.column].human if m.column in by_col else m.column.replace("_", " ")
        what = m.table.rstrip("s").replace("_", " ")
        parts.append(f"its {human} ({m.column}) is {what} #{m.key}, which exists only in the CMMS")
    kinds = " / ".join(sorted({m.table.replace("_", " ") for m in missing}))
    text = f"{error.record}: {'; '.join(parts)}."
    advice = (
        f"{kinds.capitalize()} come from QuickBooks and are never sent to it, so this does not resolve "
        f"by itself: create it in QuickBooks (the next sync brings it into the CMMS and links it) or "
        f"choose one that came from QuickBooks, then run the sync again."
    )
    return text, advice


def same_name(mapping: Mapping, row: dict[str, Any], first: dict[str, Any]) -> RecordFailure:
    """Two new CMMS records whose names QuickBooks (or a person) would see as the same name."""
    who, other = mapping.describe(row), mapping.describe(first)
    return RecordFailure(
        message=(
            f"{who}: has the same name as {other} (CMMS #{first.get('id')}) once case, spacing and "
            "look-alike characters are set aside, so QuickBooks would see one name twice. Only the "
            f"first is synced. Rename one of them or remove the duplicate in the CMMS, then run the "
            "sync again."
        ),
        code="same_name",
        cmms_id=row.get("id"),
    )
