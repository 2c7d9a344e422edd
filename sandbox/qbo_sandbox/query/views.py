"""Cached orderings, query results and serialized objects, so paging a large list stays cheap.

QBO's default order (no ``ORDERBY``), as the recordings show it (``all__customers``,
``all__vendors_by_5``, ``get__inactive_vendors``, ``all__employees_including_active``): name lists
come back sorted by their display name — ``FullyQualifiedName`` for Customer/Item/Account (so a
sub-customer follows its parent), ``DisplayName`` for Vendor/Employee, ``Name`` for the rest —
compared **case-sensitively** (ordinal: ``PG&E`` precedes ``Pam Seitz``), ties by numeric Id.
Transactions keep numeric Id order: the one recording (``all__sales_receipts``) shows neither Id,
TxnDate, DocNumber nor CreateTime order, and four rows cannot establish QBO's rule.

Every cache is keyed by the entity's generation, which :class:`~qbo_sandbox.model.company.Company` bumps
on every change of that entity, so a write makes the next query recompute (once) what it needs.
A query's matching Ids are cached per (statement meaning, generation): ``COUNT(*)`` and every page
of one paging loop share one filtered, ordered Id list, and each page only slices it.
Serialized JSON is cached per stored object (by identity: stored objects are replaced, never
mutated, on every write), so a page costs a join of ready-made bytes.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from qbo_sandbox.query import evaluate as qmod
from qbo_sandbox.query import props as query_props

MAX_CACHED_RESULTS = 32
# The name a name-list entity sorts by when the query has no ORDERBY (first field present wins).
DEFAULT_ORDER_FIELDS: dict[str, tuple[str, ...]] = {
    "Customer": ("FullyQualifiedName", "DisplayName"),
    "Vendor": ("DisplayName",),
    "Employee": ("DisplayName",),
    "Item": ("FullyQualifiedName", "Name"),
    "Account": ("FullyQualifiedName", "Name"),
    "TaxCode": ("Name",),
    "TaxRate": ("Name",),
}

Rows = dict[str, dict[str, Any]]


def default_key(entity: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """Sort key of QBO's default order for ``entity`` (see the module docstring)."""
    fields = DEFAULT_ORDER_FIELDS.get(entity)
    if fields is None:
        return qmod.id_key

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        name = next((row[f] for f in fields if isinstance(row.get(f), str)), "")
        return (name, qmod.id_key(row))

    return key


def dumps(obj: dict[str, Any]) -> bytes:
    """Compact JSON of one object, as the HTTP layer writes it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class QueryViews:
    """Per-company caches for :meth:`Company.query`; callers hold the company lock."""

    def __init__(self) -> None:
        self._gen: dict[str, int] = {}
        self._orders: dict[tuple[Any, ...], tuple[int, list[str]]] = {}
        self._results: OrderedDict[tuple[Any, ...], list[str]] = OrderedDict()
        self._json: dict[tuple[str, str], tuple[dict[str, Any], bytes]] = {}
        self._props: dict[str, tuple[int, frozenset[str]]] = {}

    def changed(self, entity: str) -> None:
        """Note a change to ``entity`` (insert, replace or delete of any of its objects)."""
        self._gen[entity] = self._gen.get(entity, 0) + 1

    def known_props(self, entity: str, rows: Rows) -> frozenset[str]:
        """Lower-cased queryable property names of ``entity`` (cached per generation)."""
        gen = self._gen.get(entity, 0)
        cached = self._props.get(entity)
        if cached is not None and cached[0] == gen:
            return cached[1]
        known = query_props.documented(entity) | query_props.stored_keys(rows.values())
        self._props[entity] = (gen, known)
        return known

    def matching_ids(self, query: qmod.Query, rows: Rows, active_filter: bool, now: datetime) -> list[str]:
        """Ids of the rows ``query`` selects, in its order (cached; do not mutate)."""
        gen = self._gen.get(query.entity, 0)
        key = (query.entity, gen, _signature(query, now), query.order_by, query.descending)
        found = self._results.get(key)
        if found is not None:
            self._results.move_to_end(key)
            return found
        ordered = self._ordered(query, rows, gen)
        wanted = (rows[i] for i in ordered)
        found = [row["Id"] for row in qmod.filtered(query, wanted, active_filter, now)]
        self._results[key] = found
        while len(self._results) > MAX_CACHED_RESULTS:
            self._results.popitem(last=False)
        return found

    def _ordered(self, query: qmod.Query, rows: Rows, gen: int) -> list[str]:
        order = (query.entity, None, False)
        if query.order_by is not None:
            order = (query.entity, tuple(p.lower() for p in query.order_by), query.descending)
        cached = self._orders.get(order)
        if cached is not None and cached[0] == gen:
            return cached[1]
        if query.order_by is None:
            ids = [r["Id"] for r in sorted(rows.values(), key=default_key(query.entity))]
        else:
            base = self._ordered(_unordered(query), rows, gen)
            key = qmod.order_key(query.order_by)
            ids = sorted(base, key=lambda i: key(rows[i]), reverse=query.descending)
        self._orders[order] = (gen, ids)
        return ids

    def json_of(self, entity: str, obj: dict[str, Any]) -> bytes:
        """Serialized ``obj`` (cached while the stored object stays the same)."""
        slot = (entity, obj["Id"])
        cached = self._json.get(slot)
        if cached is not None and cached[0] is obj:
            return cached[1]
        data = dumps(obj)
        self._json[slot] = (obj, data)
        return data

    def forget(self, entity: str, obj_id: str) -> None:
        """Drop the serialized copy of a deleted object."""
        self._json.pop((entity, obj_id), None)


def _unordered(query: qmod.Query) -> qmod.Query:
    return qmod.Query(entity=query.entity)


def _signature(query: qmod.Query, now: datetime) -> tuple[Any, ...]:
    """What the WHERE means (CURRENT_DATE resolved to today's date)."""
    terms = []
    for cond in query.where:
        values = tuple(now.date().isoformat() if qmod.is_current_date(v) else v for v in cond.values)
        terms.append((tuple(p.lower() for p in cond.path), cond.op, tuple(map(repr, values))))
    return tuple(terms)
