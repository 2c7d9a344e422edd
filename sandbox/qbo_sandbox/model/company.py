"""One realm's books in memory: QBO-shaped objects, QBO's write rules, queries and CDC.

Every public method takes the company lock (an RLock) and returns deep copies, so callers can
mutate what they get. Objects are stored per entity by Id (plus an Id-ordered list) in a
:class:`~qbo_sandbox.model.store.Store`; queries page over cached orderings and results
(:mod:`qbo_sandbox.query.views`). The company is composed of parts that share the store: the ledger
(balances, :mod:`.ledger`), the change log (CDC, :mod:`.cdc`), the name index (:mod:`.name_index`)
and the document-number index (:mod:`.doc_numbers`); entity rules live in
:mod:`qbo_sandbox.model.entities` and see the company through the ``Books`` protocol.
"""

from __future__ import annotations

import bisect
import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from qbo_sandbox import faults
from qbo_sandbox import query as qmod
from qbo_sandbox.clock import PACIFIC, Clock, format_meta, parse_datetime
from qbo_sandbox.model.cdc import ChangeLog
from qbo_sandbox.model.doc_numbers import DocNumberIndex
from qbo_sandbox.model.entities import SPECS, EntitySpec, canonical
from qbo_sandbox.model.entities.names import INCOME_RULES
from qbo_sandbox.model.entities.schema import unknown_properties
from qbo_sandbox.model.info import CompanyOptions, build_company_info, build_preferences, preference
from qbo_sandbox.model.ledger import Ledger
from qbo_sandbox.model.name_index import NameIndex
from qbo_sandbox.model.store import Store
from qbo_sandbox.model.voiding import voided
from qbo_sandbox.query import props as query_props
from qbo_sandbox.query.views import dumps

SYSTEM_KEYS = ("Id", "SyncToken", "MetaData", "domain", "sparse", "time", "status")
# Entities sharing one Id sequence (QBO numbers customers/vendors/employees together, and all
# transactions together, so a LinkedTxn TxnId is unique across transaction types).
ID_GROUPS = {
    "Customer": "party",
    "Vendor": "party",
    "Employee": "party",
    **{e: "txn" for e, s in SPECS.items() if s.kind == "txn"},
}
DOC_NUMBERED = ("Invoice", "SalesReceipt", "Estimate")


class Company:
    """A QBO company (realm) held in memory. Methods raise :class:`QBOFault` like QBO would."""

    def __init__(
        self,
        realm_id: str,
        clock: Clock,
        *,
        item_income_rule: str = "strict",
        options: CompanyOptions | None = None,
    ) -> None:
        """``item_income_rule``: when Service/NonInventory items need IncomeAccountRef (see
        :data:`qbo_sandbox.model.entities.names.INCOME_RULES`); ``options``: preferences and
        readings of UNCONFIRMED behaviour (:class:`~qbo_sandbox.model.info.CompanyOptions`)."""
        if item_income_rule not in INCOME_RULES:
            raise ValueError(f"item_income_rule must be one of {INCOME_RULES}, got {item_income_rule!r}")
        self.item_income_rule = item_income_rule
        self.realm_id = realm_id
        self.clock = clock
        self._lock = threading.RLock()
        self._backdate_lock = threading.RLock()  # one ``backdated`` block at a time (nesting allowed)
        self._time_override: datetime | None = None
        store = Store(SPECS)
        self._objs, self._ids, self._views = store.objs, store.ids, store.views
        self._mtime, self._deleted = store.mtime, store.deleted
        self._next_id: dict[str, int] = {}
        self._doc_seq: dict[str, int] = dict.fromkeys(DOC_NUMBERED, 1000)
        self._ledger = Ledger(store)
        self._changes = ChangeLog(store, self._lock, self.now)
        self._names = NameIndex()
        self._docs = DocNumberIndex()
        self.options = options or CompanyOptions()
        self._insert("CompanyInfo", build_company_info(realm_id, clock.now()), clock.now())
        self._insert("Preferences", build_preferences(self.options, clock.now()), clock.now())

    # --- helpers the entity rules call ---------------------------------------------------------

    def now(self) -> datetime:
        """The time writes are stamped with (the clock, or a backdated seed time)."""
        return self._time_override or self.clock.now()

    @contextmanager
    def backdated(self, when: datetime) -> Iterator[None]:
        """Stamp writes inside the block with ``when`` (the seeder's history; tests' past windows).

        Every write while the block is open is stamped, whichever thread makes it: a write over
        HTTP inside the block (a server thread) is backdated too. The company lock is *not* held
        for the block (only to swap the stamp), so such a write does not wait for the block to
        end; a second ``backdated`` block waits for the first (``_backdate_lock``).
        """
        with self._backdate_lock:
            with self._lock:
                previous, self._time_override = self._time_override, when.astimezone(PACIFIC)
            try:
                yield
            finally:
                with self._lock:
                    self._time_override = previous

    def lookup(self, entity: str, obj_id: str) -> dict[str, Any] | None:
        """The stored object (not a copy) or None; for rules inside a locked write."""
        return self._objs[entity].get(str(obj_id))

    def stored(self, entity: str) -> Iterator[dict[str, Any]]:
        """Every stored object of ``entity`` in Id order (not copies)."""
        objs = self._objs[entity]
        return (objs[i] for i in self._ids[entity])

    def next_doc_number(self, entity: str) -> str:
        self._doc_seq[entity] += 1
        return str(self._doc_seq[entity])

    def set_default_account(self, obj: dict[str, Any], field: str, subtype: str) -> None:
        """Fill ``obj[field]`` with the first active account of ``subtype`` when absent."""
        if obj.get(field):
            return
        for acct_id in self._ids["Account"]:
            acct = self._objs["Account"][acct_id]
            if acct.get("AccountSubType") == subtype and acct.get("Active") is not False:
                obj[field] = {"value": acct_id, "name": acct["Name"]}
                return

    def applied_total(self, txn_id: str, exclude_payment: str | None = None) -> Decimal:
        """Sum applied to an invoice (bill) by live payments (optionally ignoring one payment)."""
        return self._ledger.applied_total(txn_id, exclude_payment)

    def cdc(self, entities: list[str], changed_since: datetime) -> list[dict[str, Any]]:
        """``CDCResponse`` content for objects changed at or after ``changed_since``."""
        return self._changes.cdc(entities, changed_since)

    def preference(self, path: str) -> Any:
        """A company preference by dotted path (see :func:`qbo_sandbox.model.info.preference`)."""
        return preference(self._objs["Preferences"]["1"], path)

    # --- public API ----------------------------------------------------------------------------

    def entities(self) -> list[str]:
        """Entity names this sandbox supports (QBO spelling)."""
        return list(SPECS)

    def company_info(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._objs["CompanyInfo"]["1"])

    def read(self, entity: str, obj_id: str) -> dict[str, Any]:
        spec = self._spec(entity)
        with self._lock:
            key = "1" if spec.name == "CompanyInfo" and str(obj_id) == self.realm_id else str(obj_id)
            obj = self._objs[spec.name].get(key)
            if obj is None:
                raise faults.not_found(spec.name, str(obj_id))
            return copy.deepcopy(obj)

    def create(
        self, entity: str, body: dict[str, Any], *, allow_duplicate_doc: bool = False
    ) -> dict[str, Any]:
        """Create; ``allow_duplicate_doc`` is the request's ``include=allowduplicatedocnum``."""
        spec = self._spec(entity)
        if spec.prepare is None:
            raise faults.unsupported_operation(f"Create for {spec.name}")
        self._check_properties(spec, body)
        with self._lock:
            obj = spec.prepare(self, self._clean(body), None)
            self._names.check_unique(spec, obj, None)
            self._check_doc_number(spec, obj, None, allow_duplicate_doc)
            now = self.now()
            obj_id = self._new_id(spec.name)
            stored = self._stamp(obj, obj_id, "0", format_meta(now), now)
            self._insert(spec.name, stored, now)
            self._ledger.effects(spec.name, None, stored, now)
            return copy.deepcopy(self._objs[spec.name][obj_id])

    def update(
        self, entity: str, body: dict[str, Any], *, allow_duplicate_doc: bool = False
    ) -> dict[str, Any]:
        """Full update (omitted writable fields cleared) or ``"sparse": true`` (only sent fields)."""
        spec = self._spec(entity)
        if spec.prepare is None and spec.kind != "info":
            raise faults.unsupported_operation(f"Update for {spec.name}")
        self._check_properties(spec, body)
        with self._lock:
            old = self._current(spec, body)
            clean = self._clean(body)
            if body.get("sparse") is True or spec.kind == "info":
                candidate = {k: copy.deepcopy(v) for k, v in old.items() if k not in SYSTEM_KEYS}
                candidate.update(clean)
            else:
                candidate = clean
            obj = spec.prepare(self, candidate, old) if spec.prepare else candidate
            self._names.check_unique(spec, obj, old)
            self._check_doc_number(spec, obj, old, allow_duplicate_doc)
            return self._replace(spec.name, old, obj)

    def delete(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """Delete a transaction; name lists cannot be deleted (deactivate with Active:false)."""
        spec = self._spec(entity)
        if spec.kind != "txn":
            raise faults.unsupported_operation("Delete")
        with self._lock:
            old = self._current(spec, body)
            obj_id = old["Id"]
            if spec.name in ("Invoice", "Bill") and self.applied_total(obj_id) > 0:
                raise faults.business_validation(
                    f"{spec.name} {obj_id} has payments applied; delete or unlink the payments first", "Id"
                )
            now = self.now()
            self._docs.remove(spec.name, old)
            del self._objs[spec.name][obj_id]
            del self._mtime[spec.name][obj_id]
            ids = self._ids[spec.name]
            ids.pop(bisect.bisect_left(ids, qmod.id_sort_key(obj_id), key=qmod.id_sort_key))
            self._deleted[spec.name][obj_id] = now
            self._views.changed(spec.name)
            self._views.forget(spec.name, obj_id)
            self._ledger.effects(spec.name, old, None, now)
            return {"domain": "QBO", "status": "Deleted", "Id": obj_id}

    def void(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """Void: amounts zeroed, "Voided" prefixed to PrivateNote; the object stays."""
        spec = self._spec(entity)
        if spec.void is None:
            raise faults.unsupported_operation(f"Void for {spec.name}")
        with self._lock:
            old = self._current(spec, body)
            if spec.name == "Invoice" and self.applied_total(old["Id"]) > 0:
                raise faults.business_validation(
                    f"Invoice {old['Id']} has payments applied; delete or void the payments first", "Id"
                )
            obj = voided(spec.name, old, SYSTEM_KEYS, self.options.voided_payment_lines)
            return self._replace(spec.name, old, obj)

    def query(self, statement: str) -> dict[str, Any]:
        """Run a QBO query; returns the ``QueryResponse`` content."""
        with self._lock:
            parsed, page = self._select(statement)
            if parsed.count:
                return {"totalCount": page}
            if not page:
                return {}
            rows = [copy.deepcopy(self._objs[parsed.entity][i]) for i in page]
            if not parsed.star:
                rows = [query_props.project(row, parsed.projection) for row in rows]
            return {parsed.entity: rows, "startPosition": parsed.start_position, "maxResults": len(rows)}

    def query_json(self, statement: str) -> bytes:
        """:meth:`query`'s answer as compact JSON bytes, built from cached per-object JSON."""
        with self._lock:
            parsed, page = self._select(statement)
            if parsed.count:
                return b'{"totalCount":%d}' % page
            if not page:
                return b"{}"
            objs = self._objs[parsed.entity]
            if parsed.star:
                body = b",".join([self._views.json_of(parsed.entity, objs[i]) for i in page])
            else:
                body = b",".join([dumps(query_props.project(objs[i], parsed.projection)) for i in page])
        head = b'{"' + parsed.entity.encode() + b'":['
        return head + body + b'],"startPosition":%d,"maxResults":%d}' % (parsed.start_position, len(page))

    def _select(self, statement: str) -> tuple[qmod.Query, Any]:
        """The parsed query and its total (COUNT) or the Ids of its page; caller holds the lock."""
        parsed = qmod.parse(statement)
        name = canonical(parsed.entity)
        if name is None:
            raise faults.unknown_entity(parsed.entity)
        parsed.entity = name
        query_props.validate(parsed, self._views.known_props(name, self._objs[name]))
        ids = self._views.matching_ids(parsed, self._objs[name], SPECS[name].active_filter, self.now())
        if parsed.count:
            return parsed, len(ids)
        start = parsed.start_position - 1
        return parsed, ids[start : start + parsed.max_results]

    def load_raw(
        self, entity: str, obj: dict[str, Any], *, changed_at: datetime | None = None
    ) -> dict[str, Any]:
        """Insert a recorded object as-is (keeps Id, SyncToken, MetaData); replaces a same-Id one.

        ``changed_at`` files the object in the change log (CDC, ``LastUpdatedTime`` queries) at that
        time instead of its ``LastUpdatedTime``. An object whose ``LastUpdatedTime`` cannot be read
        (tests of a client meeting a bad stamp) is filed at the time it was loaded: CDC serves it,
        stamp as loaded, instead of the load failing.
        """
        spec = self._spec(entity)
        stored = copy.deepcopy(obj)
        if not stored.get("Id"):
            raise faults.required_param("Id", spec.name)
        stored["Id"] = str(stored["Id"])
        stored.setdefault("SyncToken", "0")
        stored.setdefault("domain", "QBO")
        stored.setdefault("sparse", False)
        with self._lock:
            now = self.now()
            meta = stored.setdefault("MetaData", {})
            meta.setdefault("CreateTime", format_meta(now))
            meta.setdefault("LastUpdatedTime", meta["CreateTime"])
            old = self._objs[spec.name].get(stored["Id"])
            if old is not None:
                self._names.remove(spec, old)
                self._docs.remove(spec.name, old)
            if spec.kind == "txn":
                self._ledger.index_txn(spec.name, old, stored)
            self._insert(spec.name, stored, changed_at or _readable_time(meta.get("LastUpdatedTime"), now))
            return copy.deepcopy(stored)

    # --- internals -----------------------------------------------------------------------------

    def _spec(self, entity: str) -> EntitySpec:
        name = canonical(entity)
        if name is None:
            raise faults.unsupported_operation(f"on entity {entity!r}: unknown or unsupported entity")
        return SPECS[name]

    @staticmethod
    def _check_properties(spec: EntitySpec, body: Any) -> None:
        """2010 for every property QBO would not bind (one Error[] entry each), before any rule."""
        if not isinstance(body, dict):
            raise faults.invalid_value("body", "Request body must be a JSON object")
        found = unknown_properties(spec.name, body)
        if found:
            raise faults.QBOFault.several([faults.unknown_property(n, c) for n, c in found])

    def _check_doc_number(
        self, spec: EntitySpec, obj: dict[str, Any], old: dict[str, Any] | None, allowed: bool
    ) -> None:
        """6140 when another transaction of the type (Bill: of the vendor) has this DocNumber."""
        if allowed or not self.preference("SalesFormsPrefs.WarnDuplicateDocNum"):
            return
        other = self._docs.owner(spec.name, obj, old["Id"] if old else None)
        if other is not None:
            raise faults.duplicate_document(str(obj["DocNumber"]), spec.name, other)

    @staticmethod
    def _clean(body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise faults.invalid_value("body", "Request body must be a JSON object")
        return {k: copy.deepcopy(v) for k, v in body.items() if k not in SYSTEM_KEYS}

    def _current(self, spec: EntitySpec, body: dict[str, Any]) -> dict[str, Any]:
        """The stored object a write addresses: 2020 without Id/SyncToken, 610 unknown, 5010 stale."""
        obj_id = body.get("Id")
        if obj_id in (None, ""):
            raise faults.required_param("Id", spec.name)
        if body.get("SyncToken") in (None, ""):
            raise faults.required_param("SyncToken", spec.name)
        old = self._objs[spec.name].get(str(obj_id))
        if old is None:
            raise faults.not_found(spec.name, str(obj_id))
        if str(body["SyncToken"]) != old["SyncToken"]:
            raise faults.stale_object()
        return old

    def _replace(self, entity: str, old: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        token = str(int(old["SyncToken"]) + 1)
        stored = self._stamp(obj, old["Id"], token, old["MetaData"]["CreateTime"], now)
        self._names.remove(SPECS[entity], old)
        self._docs.remove(entity, old)
        self._insert(entity, stored, now)
        self._ledger.effects(entity, old, stored, now)
        return copy.deepcopy(self._objs[entity][old["Id"]])

    @staticmethod
    def _stamp(obj: dict[str, Any], obj_id: str, token: str, created: str, now: datetime) -> dict:
        stamped = {k: v for k, v in obj.items() if k not in SYSTEM_KEYS}
        stamped.update(domain="QBO", sparse=False, Id=obj_id, SyncToken=token)
        stamped["MetaData"] = {"CreateTime": created, "LastUpdatedTime": format_meta(now)}
        return stamped

    def _insert(self, entity: str, stored: dict[str, Any], mtime: datetime) -> None:
        obj_id = stored["Id"]
        if obj_id not in self._objs[entity]:
            ids = self._ids[entity]
            if not ids or qmod.id_sort_key(ids[-1]) < qmod.id_sort_key(obj_id):
                ids.append(obj_id)
            else:
                bisect.insort(ids, obj_id, key=qmod.id_sort_key)
        self._objs[entity][obj_id] = stored
        self._mtime[entity][obj_id] = mtime
        self._views.changed(entity)
        self._deleted[entity].pop(obj_id, None)
        self._names.add(SPECS[entity], stored)
        self._docs.add(entity, stored)
        self._note_id(entity, stored)

    def _note_id(self, entity: str, stored: dict[str, Any]) -> None:
        group = ID_GROUPS.get(entity, entity)
        if stored["Id"].isdigit():
            self._next_id[group] = max(self._next_id.get(group, 1), int(stored["Id"]) + 1)
        doc = str(stored.get("DocNumber") or "")
        if entity in self._doc_seq and doc.isdigit() and len(doc) < 10:
            self._doc_seq[entity] = max(self._doc_seq[entity], int(doc))

    def _new_id(self, entity: str) -> str:
        group = ID_GROUPS.get(entity, entity)
        value = self._next_id.get(group, 1)
        self._next_id[group] = value + 1
        return str(value)


def _readable_time(text: Any, fallback: datetime) -> datetime:
    """``text`` as a QBO date-time, or ``fallback`` when it is not one."""
    try:
        return parse_datetime(str(text))
    except (TypeError, ValueError):
        return fallback
