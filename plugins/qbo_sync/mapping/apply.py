"""Pure application of a mapping: QuickBooks object ⇄ CMMS row, and the comparable form of both.

No database and no HTTP here: references are resolved through a ``RefResolver`` the engine
provides (backed by ``<table>.qb_id`` ⇄ ``<table>.id``). An unresolved reference is never
dropped silently: it raises ``UnresolvedReference`` listing every missing link of the record.

Clearing a field (a CMMS value set to NULL) in a sparse update, per kind of field:

- text (transforms ``str``, ``email``, ``phone``, ``account_name``): sent as ``""``, which
  QuickBooks stores as empty (``Transform.clear_value``).
- numbers (``money``, ``qty``, ``price``, ``percent``), ``bool``, ``date``, ``datetime_utc``,
  ``item_type`` and references: QuickBooks has no value meaning "none" here. A JSON ``null`` or an
  omitted field leaves the old value in place (a sparse update changes only what it names), and 0,
  false or another account would be a different value, not an empty one. So such a clear raises
  :class:`CannotClear` ("QuickBooks cannot clear the sales price of Item 'X'; set a sales price
  instead"): the engine fails that record without calling QuickBooks and keeps the last agreed
  snapshot, so the edit is neither reported as synced nor pulled back over silently.

Only fields named in ``fields`` can raise it; a sibling sent only because it shares a nested object
(``BillAddr``) is omitted when empty. A create (``fields=None``) simply omits empty fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from qbo_sync.mapping.compiled import CompiledMapping, compiled
from qbo_sync.mapping.errors import (
    CannotClear,
    FieldValueError,
    MissingRef,
    SkipRecord,
    Uncleared,
    UnresolvedReference,
)
from qbo_sync.mapping.model import FieldMap, Mapping, Reference, condition_holds
from qbo_sync.mapping.transforms import SKIP, TRANSFORMS, Transform, transform_for

_to_utc = TRANSFORMS["datetime_utc"].to_cmms


class RefResolver(Protocol):
    """Translates ids of referenced records between the CMMS and QuickBooks."""

    def to_qb_id(self, table: str, cmms_id: int) -> str | None: ...

    def to_cmms_id(self, table: str, qb_id: str) -> int | None: ...


def get_path(obj: dict[str, Any], path: str) -> Any:
    """The value at dotted ``path`` of a QuickBooks object, or None when any step is missing."""
    value: Any = obj
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def set_path(body: dict[str, Any], path: str, value: Any) -> None:
    """Set dotted ``path`` in a request body, creating nested objects on the way."""
    *parents, leaf = path.split(".")
    node = body
    for step in parents:
        node = node.setdefault(step, {})
    node[leaf] = value


def _transform(field: FieldMap) -> Transform:
    return transform_for(field.transform, field.validators)


def qbo_to_row(mapping: Mapping, obj: dict[str, Any], refs: RefResolver) -> dict[str, Any]:
    """CMMS column values for one QuickBooks object, incl. ``qb_id``, ``qb_sync_token`` and
    ``qb_last_updated_at`` (UTC). Raises ``SkipRecord`` for objects that are not synced (an Item
    Category), ``FieldValueError`` for a value that cannot be converted and
    ``UnresolvedReference`` when a referenced object is not in the CMMS yet."""
    qb_id, token = obj.get("Id"), obj.get("SyncToken")
    meta = obj.get("MetaData")
    updated = meta.get("LastUpdatedTime") if isinstance(meta, dict) else None
    try:
        last_updated = _to_utc(updated)
    except (ValueError, TypeError) as exc:
        raise FieldValueError(
            _qbo_record(mapping, obj), "MetaData.LastUpdatedTime", updated, str(exc)
        ) from None
    row: dict[str, Any] = {
        "qb_id": None if qb_id is None else str(qb_id),
        "qb_sync_token": None if token is None else str(token),
        "qb_last_updated_at": last_updated,
    }
    skipped: tuple[str, Any] | None = None
    plan = compiled(mapping)
    for field in plan.pulled_fields:
        raw = field.get(obj)
        try:
            value = field.to_cmms(raw)
        except ValueError as exc:
            raise FieldValueError(_qbo_record(mapping, obj), field.qbo, raw, str(exc)) from None
        if value is SKIP:
            skipped = (field.qbo, raw)
            value = None
        row[field.column] = value
    if skipped is not None:
        raise SkipRecord(mapping.describe(row), f"QuickBooks {skipped[0]} '{skipped[1]}' is not synced")
    if plan.pulled_references:
        missing = _pull_references(plan, obj, refs, row)
        if missing:
            raise UnresolvedReference(mapping.describe(row), missing)
    return row


def _qbo_record(mapping: Mapping, obj: dict[str, Any]) -> str:
    """``Customer 'Acme' (QuickBooks Id 7)``: the record's name where the mapping knows its title."""
    title_path = next((f.qbo for f in mapping.fields if f.column == mapping.title_column), None)
    title = obj.get(title_path) if title_path and "." not in title_path else None
    named = f" '{title}'" if isinstance(title, str) and title else ""
    return f"{mapping.label}{named} (QuickBooks Id {obj.get('Id')})"


def _pull_references(
    plan: CompiledMapping, obj: dict[str, Any], refs: RefResolver, row: dict[str, Any]
) -> list[MissingRef]:
    missing = []
    for pulled in plan.pulled_references:
        ref = pulled.ref
        raw = pulled.get(obj)
        qb_id = raw.get("value") if isinstance(raw, dict) else raw
        if qb_id is None or str(qb_id).strip() == "":
            row[ref.column] = None
            continue
        cmms_id = refs.to_cmms_id(ref.table, str(qb_id))
        if cmms_id is None:
            missing.append(MissingRef(ref.column, ref.qbo, ref.table, str(qb_id), "pull"))
        row[ref.column] = cmms_id
    return missing


def row_to_qbo(
    mapping: Mapping,
    row: dict[str, Any],
    refs: RefResolver,
    fields: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The QuickBooks request body for a CMMS row.

    ``fields=None`` builds a full body (create, with ``push_constants``). Given ``fields`` (CMMS
    column names or QBO paths), only those are sent, with ``"sparse": true`` when the row is
    linked; a cleared text field is then sent as ``""`` and a cleared field of another kind raises
    ``CannotClear`` (see the module docstring). A nested object (``BillAddr``) is sent
    whole when any of its fields is selected, since a sparse update may replace a nested object
    entirely (so pass the merged row). ``Id``/``SyncToken`` come from
    ``qb_id``/``qb_sync_token`` when the row is linked. References become ``{"value": qb_id}``.
    """
    sparse = fields is not None
    body: dict[str, Any] = {}
    if row.get("qb_id") is not None:
        body["Id"] = str(row["qb_id"])
        if row.get("qb_sync_token") is not None:
            body["SyncToken"] = str(row["qb_sync_token"])
        if sparse:
            body["sparse"] = True
    missing: list[MissingRef] = []
    named = set(fields or ())
    uncleared: list[Uncleared] = []
    for item in select_fields(mapping, fields):
        if not condition_holds(item.push_when, row):
            continue
        if isinstance(item, Reference):
            _push_reference(item, row, refs, body, missing)
        else:
            _push_field(mapping, item, row, body, sparse)
        if sparse and (item.column in named or item.qbo in named) and _not_cleared(item, body):
            uncleared.append(_uncleared(item))
    if missing:
        raise UnresolvedReference(mapping.describe(row), missing)
    if uncleared:
        raise CannotClear(mapping.describe(row), uncleared)
    if not sparse:
        for constant in mapping.push_constants:
            if condition_holds(constant.when, row):
                set_path(body, constant.qbo, constant.value)
    return body


def _push_field(
    mapping: Mapping, field: FieldMap, row: dict[str, Any], body: dict[str, Any], sparse: bool
) -> None:
    transform = _transform(field)
    try:
        value = transform.to_qbo(row.get(field.column))
    except ValueError as exc:
        raise FieldValueError(mapping.describe(row), field.column, row.get(field.column), str(exc)) from None
    if value is None:
        if not sparse or transform.clear_value is None:
            return
        value = transform.clear_value
    set_path(body, field.qbo, value)


def _not_cleared(item: FieldMap | Reference, body: dict[str, Any]) -> bool:
    """True when ``item`` (selected and pushed) put nothing into the body: it is empty in the row
    and its kind has no value that clears it in QuickBooks."""
    return get_path(body, item.qbo) is None


def _uncleared(item: FieldMap | Reference) -> Uncleared:
    human = item.human
    if isinstance(item, Reference):
        advice = f"choose {_article(human)} {human} instead"
    elif (item.transform or "str") == "bool":
        advice = f"set {human} to yes or no instead"
    else:
        advice = f"set {_article(human)} {human} instead"
    return Uncleared(item.column, human, advice)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _push_reference(
    ref: Reference, row: dict[str, Any], refs: RefResolver, body: dict[str, Any], missing: list[MissingRef]
) -> None:
    cmms_id = row.get(ref.column)
    if cmms_id is None:
        return
    qb_id = refs.to_qb_id(ref.table, int(cmms_id))
    if qb_id is None:
        missing.append(MissingRef(ref.column, ref.qbo, ref.table, str(cmms_id), "push"))
        return
    set_path(body, ref.qbo, {"value": str(qb_id)})


def select_fields(mapping: Mapping, fields: Iterable[str] | None) -> list[FieldMap | Reference]:
    """The pushable fields/references named in ``fields`` (all pushable ones for None)."""
    pushable = [item for item in mapping.mapped if mapping.pushes(item)]
    if fields is None:
        return pushable
    wanted = set(fields)
    known = {name for item in mapping.mapped for name in (item.column, item.qbo)}
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(f"mapping `{mapping.source}`: unknown field(s) {', '.join(unknown)}")
    selected = [item for item in mapping.mapped if item.column in wanted or item.qbo in wanted]
    never = [item.column for item in selected if not mapping.pushes(item)]
    if never:
        raise ValueError(f"mapping `{mapping.source}`: {', '.join(never)} is never sent to QuickBooks")
    groups = {item.qbo.split(".")[0] for item in selected if "." in item.qbo}
    return [
        item
        for item in pushable
        if item in selected or ("." in item.qbo and item.qbo.split(".")[0] in groups)
    ]


def comparable(mapping: Mapping, values: dict[str, Any]) -> dict[str, Any]:
    """Normalized, JSON-serialisable values of the mapped columns present in ``values``.

    Used for snapshots and diffs: Decimals as fixed-point strings ("12.50"), dates and times ISO
    (UTC), emails case-folded, phones as digits, references as CMMS ids.
    """
    out: dict[str, Any] = {}
    for comparer in compiled(mapping).comparers:
        column = comparer.column
        if column not in values:
            continue
        value = values[column]
        try:
            out[column] = comparer.comparable(value)
        except (ValueError, TypeError) as exc:
            raise FieldValueError(mapping.describe(values), column, value, str(exc)) from None
    return out
