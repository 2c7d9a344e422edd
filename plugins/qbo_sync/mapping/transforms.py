"""Named two-way value transforms between QuickBooks JSON values and CMMS column values.

A mapping field names one of these (``transform: money``); when it names none, the default for
the column's contract kind is used (see ``DEFAULT_FOR_KIND``). Each transform has three sides:

- ``to_cmms(qbo_value)``: what the CMMS column stores (``Decimal`` for amounts, never float);
- ``to_qbo(cmms_value)``: a JSON-native value for the request body. Amounts become JSON numbers
  only when their JSON text is exactly the ``Decimal`` (else ``ValueError``), so nothing is
  rounded on the wire;
- ``comparable(cmms_value)``: a normalized, JSON-serialisable value used for snapshots and
  diffs (Decimals as fixed-point strings, dates ISO, emails case-folded, phones as digits).

Transforms raise ``ValueError`` with a short reason; ``apply`` adds the field name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from qbo_sync.mapping.names import normalize_name


class _Skip:
    """Sentinel returned by ``to_cmms`` when the whole QuickBooks object must be skipped."""

    def __repr__(self) -> str:
        return "SKIP"


SKIP = _Skip()


@dataclass(frozen=True)
class Transform:
    """One named two-way conversion."""

    name: str
    kinds: frozenset[str]  # contract column kinds this transform can fill
    to_cmms: Callable[[Any], Any]
    to_qbo: Callable[[Any], Any]
    comparable: Callable[[Any], Any]
    clear_value: Any = None  # what a sparse update sends to clear the field (None: omit it)


# --- text -------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if type(value) is str:  # the common case first (same answer as below)
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, dict | list | bool):
        raise ValueError("expected text")
    text = str(value).strip()
    return text or None


def _email_comparable(value: Any) -> str | None:
    text = _text(value)
    return text.casefold() if text else None


def _phone(value: Any) -> str | None:
    text = _text(value)
    return " ".join(text.split()) if text else None


def _phone_comparable(value: Any) -> str | None:
    text = _phone(value)
    if text is None:
        return None
    digits = re.sub(r"[^0-9]", "", text)
    if not digits:
        return text.casefold()
    return ("+" if text.startswith("+") else "") + digits


_DELETED_SUFFIX = " (deleted)"


def _account_name(value: Any) -> str | None:
    """QBO may show an inactive account as "Fees Billed (deleted)"; keep the real name."""
    text = _text(value)
    if text and text.endswith(_DELETED_SUFFIX):
        text = text[: -len(_DELETED_SUFFIX)].strip() or None
    return text


# --- booleans ---------------------------------------------------------------------------------


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ValueError("expected true or false")


# --- numbers ----------------------------------------------------------------------------------


_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(0, 9)}


def _decimal(value: Any, places: int) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("expected a number")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError("expected a number") from exc
    if not number.is_finite():
        raise ValueError("expected a finite number")
    quantum = _QUANTUM.get(places) or Decimal(1).scaleb(-places)
    try:
        return number.quantize(quantum, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # too many digits for the decimal context
        raise ValueError(f"number too large ({number})") from exc


def json_number(number: Decimal) -> int | float:
    """A JSON number whose text is exactly ``number`` (raises ``ValueError`` if none exists)."""
    if number == number.to_integral_value():
        return int(number)
    as_float = float(number)
    if Decimal(repr(as_float)) != number:
        raise ValueError("has too many digits to send exactly")
    return as_float


def _decimal_transform(name: str, kind: str, places: int) -> Transform:
    def to_cmms(value: Any) -> Decimal | None:
        return _decimal(value, places)

    def to_qbo(value: Any) -> int | float | None:
        number = _decimal(value, places)
        return None if number is None else json_number(number)

    def comparable(value: Any) -> str | None:
        number = _decimal(value, places)
        return None if number is None else str(number)

    return Transform(name, frozenset({kind}), to_cmms, to_qbo, comparable)


# --- dates and times --------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[+-]\d{2}:\d{2}|Z)?$")


def _date(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(str(value).strip())
    if not match:
        raise ValueError("expected a date as yyyy-MM-dd")
    try:
        return date.fromisoformat(match.group(1))
    except ValueError as exc:
        raise ValueError("expected a real calendar date") from exc


def _date_iso(value: Any) -> str | None:
    day = _date(value)
    return None if day is None else day.isoformat()


def _datetime_utc(value: Any) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise ValueError("expected a date-time with an offset") from exc
    if moment.tzinfo is None:
        raise ValueError("expected a date-time with an offset")
    return moment.astimezone(UTC)


def _datetime_iso(value: Any) -> str | None:
    moment = _datetime_utc(value)
    return None if moment is None else moment.isoformat()


# --- item types -------------------------------------------------------------------------------

ITEM_TYPES_TO_CMMS: dict[str, str] = {
    "Inventory": "inventory",
    "NonInventory": "non_inventory",
    "Service": "service",
}
ITEM_TYPES_SKIPPED: frozenset[str] = frozenset({"Category", "Group"})  # grouping only, not sold
_ITEM_TYPES_TO_QBO = {cmms: qbo for qbo, cmms in ITEM_TYPES_TO_CMMS.items()}


def _item_type_to_cmms(value: Any) -> str | _Skip | None:
    if value is None:
        return None
    if value in ITEM_TYPES_SKIPPED:
        return SKIP
    if value not in ITEM_TYPES_TO_CMMS:
        raise ValueError(f"unknown QuickBooks item type (expected one of {', '.join(ITEM_TYPES_TO_CMMS)})")
    return ITEM_TYPES_TO_CMMS[value]


def _item_type_to_qbo(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text not in _ITEM_TYPES_TO_QBO:
        raise ValueError(f"unknown item type (expected one of {', '.join(_ITEM_TYPES_TO_QBO)})")
    return _ITEM_TYPES_TO_QBO[text]


def _name(value: Any) -> str | None:
    """A QuickBooks name: text, NFC, whitespace collapsed (see :mod:`qbo_sync.mapping.names`)."""
    return normalize_name(_text(value))


# --- registry ---------------------------------------------------------------------------------

_TEXT = frozenset({"text"})

TRANSFORMS: dict[str, Transform] = {
    t.name: t
    for t in (
        Transform("str", _TEXT, _text, _text, _text, clear_value=""),
        Transform("name", _TEXT, _name, _name, _name, clear_value=""),
        Transform("email", _TEXT, _text, _text, _email_comparable, clear_value=""),
        Transform("phone", _TEXT, _phone, _phone, _phone_comparable, clear_value=""),
        Transform("account_name", _TEXT, _account_name, _text, _account_name, clear_value=""),
        Transform("bool", frozenset({"bool"}), _bool, _bool, _bool),
        _decimal_transform("money", "money", 2),
        _decimal_transform("qty", "decimal4", 4),
        _decimal_transform("price", "decimal4", 4),
        _decimal_transform("percent", "rate", 4),
        Transform("date", frozenset({"date"}), _date, _date_iso, _date_iso),
        Transform("datetime_utc", frozenset({"timestamp"}), _datetime_utc, _datetime_iso, _datetime_iso),
        Transform("item_type", _TEXT, _item_type_to_cmms, _item_type_to_qbo, _text),
    )
}

DEFAULT_FOR_KIND: dict[str, str] = {
    "text": "str",
    "bool": "bool",
    "money": "money",
    "decimal4": "qty",
    "rate": "percent",
    "date": "date",
    "timestamp": "datetime_utc",
}


def transform_for(transform: str | None, validators: list[str]) -> Transform:
    """A field's transform: a plain text field checked as a QuickBooks name (``qbo_name``) is
    sent and compared as a name (NFC, whitespace collapsed)."""
    if transform in (None, "str") and "qbo_name" in validators:
        return TRANSFORMS["name"]
    return TRANSFORMS[transform or "str"]


def get_transform(name: str) -> Transform:
    """The transform registered under ``name`` (``KeyError`` when unknown)."""
    return TRANSFORMS[name]


def reference_comparable(value: Any) -> int | None:
    """Comparable form of a reference column (a CMMS id)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("expected an id")
    return int(value)
