"""The query dialect: ``parse`` (grammar, :mod:`.parse`), ``execute`` (match, order, page:
:mod:`.evaluate`), which properties may be named (:mod:`.props`) and cached result views
(:mod:`.views`). Imports only :mod:`qbo_sandbox.clock` and :mod:`qbo_sandbox.faults`.
"""

from __future__ import annotations

from qbo_sandbox.query.evaluate import (
    CURRENT_DATE,
    DEFAULT_MAX_RESULTS,
    MAX_MAX_RESULTS,
    Condition,
    Query,
    Token,
    execute,
    filtered,
    id_key,
    id_sort_key,
    is_current_date,
    matches,
    order_key,
    parse,
    resolve,
    tokenize,
)

__all__ = [
    "CURRENT_DATE",
    "DEFAULT_MAX_RESULTS",
    "MAX_MAX_RESULTS",
    "Condition",
    "Query",
    "Token",
    "execute",
    "filtered",
    "id_key",
    "id_sort_key",
    "is_current_date",
    "matches",
    "order_key",
    "parse",
    "resolve",
    "tokenize",
]
