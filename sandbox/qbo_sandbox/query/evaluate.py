"""QBO's query dialect, run: match, order and page entity rows for a parsed :class:`Query`.

The grammar and parser live in :mod:`qbo_sandbox.query.parse`; :func:`parse`, :class:`Query`,
:class:`Condition` and the limits are re-exported here, so callers import the dialect from one place.

Keywords, entity and property names are case-insensitive; so are string comparisons. A Ref property
(``CustomerRef``) compares its ``value``. Dates/date-times compare as instants (offset-aware).
``SELECT *, Sku`` returns full rows; ``SELECT Id, Name`` returns only the listed properties
(:attr:`Query.star` False). Every property named in the SELECT list, WHERE and ORDERBY must exist on
the entity, else 4001 (:mod:`qbo_sandbox.query.props`, checked once the entity is known). No OR, no JOIN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from qbo_sandbox.clock import PACIFIC, parse_datetime
from qbo_sandbox.query.parse import (
    CURRENT_DATE,
    DEFAULT_MAX_RESULTS,
    MAX_MAX_RESULTS,
    Condition,
    Query,
    Token,
    parse,
    tokenize,
)

__all__ = [
    "DEFAULT_MAX_RESULTS",
    "MAX_MAX_RESULTS",
    "Condition",
    "Query",
    "Token",
    "execute",
    "filtered",
    "id_key",
    "is_current_date",
    "matches",
    "order_key",
    "parse",
    "resolve",
    "tokenize",
]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([Tt ][0-9:.]+([Zz]|[+-]\d{2}:?\d{2})?)?$")


def resolve(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    """Value at a dotted path (case-insensitive keys); Ref objects give their ``value``."""
    cur: Any = row
    for part in path:
        if not isinstance(cur, dict):
            return None
        if part in cur:
            cur = cur[part]
            continue
        low = part.lower()
        cur = next((v for k, v in cur.items() if k.lower() == low), None)
        if cur is None:
            return None
    if isinstance(cur, dict) and "value" in cur:
        return cur["value"]
    return cur


def _as_instant(value: Any) -> datetime | None:
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            return parse_datetime(value)
        except ValueError:
            return None
    return None


def _coerce_pair(actual: Any, literal: Any, now: datetime) -> tuple[Any, Any] | None:
    """Bring a row value and a literal to comparable types, or None when they cannot compare."""
    if literal is CURRENT_DATE:
        literal = now.date().isoformat()
    if isinstance(actual, bool):
        if isinstance(literal, str) and literal.lower() in ("true", "false"):
            literal = literal.lower() == "true"
        return (actual, literal) if isinstance(literal, bool) else None
    if isinstance(actual, int | float):
        try:
            return float(actual), float(literal)
        except (TypeError, ValueError):
            return None
    if isinstance(actual, str):
        lit_text = literal if isinstance(literal, str) else str(literal)
        a_dt, l_dt = _as_instant(actual), _as_instant(lit_text)
        if a_dt is not None and l_dt is not None:
            return a_dt, l_dt
        if isinstance(literal, int | float) and not isinstance(literal, bool):
            try:
                return float(actual), float(literal)
            except ValueError:
                return None
        return actual.casefold(), lit_text.casefold()
    return None


def _like(actual: Any, pattern: str) -> bool:
    if not isinstance(actual, str):
        return False
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, actual, re.IGNORECASE | re.DOTALL) is not None


def _compare(actual: Any, op: str, literal: Any, now: datetime) -> bool:
    pair = _coerce_pair(actual, literal, now)
    if pair is None:
        return False
    a, b = pair
    if op == "=":
        return a == b
    try:
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    except TypeError:
        return False


def matches(row: dict[str, Any], cond: Condition, now: datetime) -> bool:
    actual = resolve(row, cond.path)
    if actual is None:
        return False
    if cond.op == "LIKE":
        return _like(actual, cond.values[0])
    if cond.op == "IN":
        return any(_compare(actual, "=", v, now) for v in cond.values)
    return _compare(actual, cond.op, cond.values[0], now)


def id_key(row: dict[str, Any]) -> tuple[int, int, str]:
    """Sort key ordering rows by Id numerically (non-numeric pseudo-ids such as TAX/NON first)."""
    return id_sort_key(str(row.get("Id", "")))


def id_sort_key(ident: str) -> tuple[int, int, str]:
    """Sort key of one Id: numeric Ids in number order, after pseudo-ids such as TAX/NON."""
    return (1, int(ident), "") if ident.isdigit() else (0, 0, ident)


def is_current_date(value: Any) -> bool:
    """True for the parsed ``CURRENT_DATE`` literal."""
    return value is CURRENT_DATE


def order_key(path: tuple[str, ...]) -> Any:
    """Sort key for ``ORDERBY path``: Ids numerically, else nulls last, then by value type."""
    if len(path) == 1 and path[0].lower() == "id":
        return id_key

    def key(row: dict[str, Any]) -> tuple[int, Any]:
        value = resolve(row, path)
        if value is None:
            return (9, "")
        if isinstance(value, bool):
            return (1, int(value))
        if isinstance(value, int | float):
            return (2, float(value))
        instant = _as_instant(value) if isinstance(value, str) else None
        if instant is not None:
            return (3, instant.timestamp())
        return (4, str(value).casefold())

    return key


def filtered(
    query: Query, rows: Iterable[dict[str, Any]], active_default: bool, now: datetime
) -> Iterator[dict]:
    hide_inactive = active_default and not query.mentions("Active")
    for row in rows:
        if hide_inactive and row.get("Active") is False:
            continue
        if all(matches(row, c, now) for c in query.where):
            yield row


def execute(
    query: Query,
    rows: Iterable[dict[str, Any]],
    *,
    default_active_filter: bool = False,
    now: datetime | None = None,
    presorted: bool = False,
) -> dict[str, Any]:
    """Run ``query`` over ``rows``; returns the ``QueryResponse`` content.

    ``rows`` are the entity's objects; with ``presorted`` they are already in Id order, which lets an
    unordered page stop scanning once it is full. ``default_active_filter`` hides ``Active:false``
    rows unless the WHERE mentions ``Active`` (name-list entities).
    """
    current = now or datetime.now(PACIFIC)
    found = filtered(query, rows, default_active_filter, current)
    if query.count:
        return {"totalCount": sum(1 for _ in found)}
    start = query.start_position - 1
    if query.order_by is not None:
        ordered = sorted(found, key=order_key(query.order_by), reverse=query.descending)
        page = ordered[start : start + query.max_results]
    elif presorted:
        page = list(islice(found, start, start + query.max_results))
    else:
        page = sorted(found, key=id_key)[start : start + query.max_results]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start_position, "maxResults": len(page)}
