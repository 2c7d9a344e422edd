"""Pre-send validation: catch what QuickBooks would reject, in words a bookkeeper understands.

Rules come from the mapping file where they are data (``required``, ``required_when``,
``max_length``, ``choices``, ``account_checks`` on account references) and from the named
validators below where they need code (``validators: [qbo_name]``). Every message names the
record and ends with what is wrong, e.g. "Item 'Hex Bolt M8': inventory items need an Inventory
Asset account (Other Current Asset); 'Office Supplies' is an Expense account."

The item account rules in ``items.yaml`` follow what QuickBooks (and the strict sandbox) accept:
every item needs an Income or Other Income account; an inventory item's expense account must be
Cost of Goods Sold (other items: Cost of Goods Sold, Expense or Other Expense); its asset account an
Other Current Asset of subtype Inventory. A wrong one gets this module's message, not QuickBooks'.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from qbo_sync.mapping.model import AccountCheck, Condition, FieldMap, Mapping, Reference, condition_holds
from qbo_sync.mapping.names import lookalike_problem
from qbo_sync.mapping.transforms import TRANSFORMS


class AccountInfo(NamedTuple):
    """What pre-send checks need to know about one CMMS account (from the ``accounts`` table)."""

    account_type: str | None
    account_sub_type: str | None
    active: bool | None
    name: str | None = None


def _qbo_name(field: FieldMap, value: str) -> str | None:
    """QuickBooks names cannot contain a colon (it separates sub-item names), a tab or a line break;
    a name that only looks like another (invisible or full-width characters) is refused too."""
    if any(char in value for char in ":\t\n\r"):
        return f"{field.human} '{value}' cannot contain a colon, tab or line break"
    return lookalike_problem(field.human, value)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(field: FieldMap, value: str) -> str | None:
    if not _EMAIL.match(value.strip()):
        return f"{field.human} '{value}' is not a valid email address"
    return None


# QuickBooks attributes that must not be negative: an inventory item's starting quantity on hand.
NON_NEGATIVE = frozenset({"QtyOnHand"})

NAMED_VALIDATORS: dict[str, Callable[[FieldMap, str], str | None]] = {
    "qbo_name": _qbo_name,
    "email": _email,
}


def validate_for_push(
    mapping: Mapping,
    row: dict[str, Any],
    account_types: dict[int, tuple[Any, ...]],
) -> list[str]:
    """Readable problems that would make QuickBooks reject ``row`` (empty when it can be sent).

    ``account_types`` maps CMMS account ids to ``(account_type, account_sub_type, active)``
    or ``(..., name)``; a plain 3-tuple works, the name only makes messages friendlier.
    """
    who = mapping.describe(row)
    if mapping.direction == "pull":
        return [f"{who}: {mapping.entity.replace('_', ' ')} come from QuickBooks and are never sent to it."]
    accounts = {
        int(k): v if isinstance(v, AccountInfo) else AccountInfo(*v) for k, v in account_types.items()
    }
    problems: list[str] = []
    for field in mapping.fields:
        if mapping.pushes(field):
            problems += _field_problems(field, row)
    for ref in mapping.references:
        if mapping.pushes(ref):
            problems += _reference_problems(ref, row, accounts)
    return [f"{who}: {problem}." for problem in problems]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _condition_text(condition: Condition) -> str:
    parts = [
        f"{col.replace('_', ' ')} is {' or '.join(str(v) for v in vals)}" for col, vals in condition.items()
    ]
    return " and ".join(parts)


def _missing(item: FieldMap | Reference, row: dict[str, Any]) -> str | None:
    if not _is_empty(row.get(item.column)):
        return None
    if item.required:
        return f"{item.human} is required"
    if item.required_when and condition_holds(item.required_when, row):
        return f"{item.human} is required when {_condition_text(item.required_when)}"
    return None


def _field_problems(field: FieldMap, row: dict[str, Any]) -> list[str]:
    missing = _missing(field, row)
    value = row.get(field.column)
    if missing or _is_empty(value) or not condition_holds(field.push_when, row):
        return [missing] if missing else []
    if field.choices is not None and value not in field.choices:
        choices = ", ".join(str(c) for c in field.choices)
        return [f"{field.human} '{value}' is not one of {choices}"]
    problems: list[str] = []
    try:
        sent = TRANSFORMS[field.transform or "str"].to_qbo(value)
    except ValueError as exc:
        problems.append(f"{field.human}: {exc} (got {value!r})")
    else:
        if field.qbo in NON_NEGATIVE and isinstance(sent, int | float) and sent < 0:
            problems.append(
                f"{field.human} is {value}; QuickBooks does not take a negative one (set 0 or more)"
            )
    if isinstance(value, str):
        text = value.strip()
        if field.max_length is not None and len(text) > field.max_length:
            problems.append(
                f"{field.human} is {len(text)} characters long; QuickBooks allows at most {field.max_length}"
            )
        for name in field.validators:
            problem = NAMED_VALIDATORS[name](field, text)
            if problem:
                problems.append(problem)
    return problems


def _reference_problems(ref: Reference, row: dict[str, Any], accounts: dict[int, AccountInfo]) -> list[str]:
    missing = _missing(ref, row)
    if missing:
        return [missing]
    check = next((c for c in ref.account_checks if condition_holds(c.when, row)), None)
    if check is None:
        return []
    value = row.get(ref.column)
    if value is None:
        return [f"{check.need}; none is set"] if check.required else []
    return _account_problems(check, int(value), accounts)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _account_problems(check: AccountCheck, account_id: int, accounts: dict[int, AccountInfo]) -> list[str]:
    info = accounts.get(account_id)
    if info is None:
        return [
            f"{check.need}; account #{account_id} is not in the CMMS accounts list (choose one of the "
            "accounts that came from QuickBooks)"
        ]
    name = f"'{info.name}'" if info.name else f"account #{account_id}"
    kind = info.account_type or "unknown"
    if check.account_types and info.account_type not in check.account_types:
        return [f"{check.need}; {name} is {_article(kind)} {kind} account"]
    if check.account_sub_types and info.account_sub_type not in check.account_sub_types:
        sub = info.account_sub_type or "none"
        return [f"{check.need}; {name} is {_article(kind)} {kind} account of subtype {sub}"]
    if info.active is False:
        return [f"{check.need}; {name} is inactive in QuickBooks"]
    return []
