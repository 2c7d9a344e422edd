"""QBOClient: the QuickBooks Online operations the product uses, over one :class:`Transport`.

Reads page with ``STARTPOSITION``/``MAXRESULTS`` (see :mod:`qbo_sync.qbo.paging`), CDC reports when
it is saturated, writes carry a ``requestid`` and batch answers are correlated by ``bId``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from qbo_sync.qbo.errors import (
    AmbiguousOutcome,
    AuthError,
    FatalError,
    QBOError,
    ReconnectNeeded,
    RetriableError,
    fault_from_item,
)
from qbo_sync.qbo.paging import (
    CDC_MAX_OBJECTS,
    NAME_LISTS,
    Page,
    format_datetime,
    page_statement,
    parse_qbo_time,
    query_rows,
    where_clause,
    with_active,
)
from qbo_sync.qbo.paging import iter_pages as paged
from qbo_sync.qbo.transport import ParsedResponse, Transport

log = logging.getLogger(__name__)

MAX_BATCH_ITEMS = 30
# Pages requested ahead of the one being handled, once it came back full (see qbo.paging: one
# page ahead never costs a request a one-at-a-time reader would not make).
PAGES_AHEAD = 1
MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
MAX_BID = 10
# Fixed namespace so the same (realm, entity, cmms id, revision) gives the same requestid everywhere.
REQUEST_ID_NAMESPACE = uuid.UUID("6f1d3b52-93c4-5b8e-9a43-2f0c4c7d8e11")
VOID_BY_UPDATE = frozenset({"Payment", "SalesReceipt", "BillPayment"})
READ_ONLY_FIELDS = ("MetaData", "TotalAmt", "Balance", "HomeBalance", "BalanceWithJobs", "PurchaseEx")
# Where the sender states the amount (Intuit's Payment and BillPayment references: TotalAmt is
# required input), TotalAmt is not computed and goes back on update; UnappliedAmt stays read-only.
TOTAL_IS_INPUT = frozenset({"Payment", "BillPayment"})


def request_id_for(realm: str, entity: str, cmms_id: object, revision: object) -> str:
    """Deterministic requestid (a UUID5, 36 chars) for one version of one CMMS record."""
    return str(uuid.uuid5(REQUEST_ID_NAMESPACE, f"{realm}|{entity}|{cmms_id}|{revision}"))


def writable(entity: str, obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of a read payload fit to send back: read-only and extension blocks removed."""
    read_only = {*READ_ONLY_FIELDS, "UnappliedAmt"} - ({"TotalAmt"} if entity in TOTAL_IS_INPUT else set())
    out = {k: v for k, v in obj.items() if k not in read_only}
    if isinstance(out.get("Line"), list):
        out["Line"] = [
            {k: v for k, v in line.items() if k != "LineEx"}
            for line in out["Line"]
            if not (isinstance(line, dict) and line.get("DetailType") == "SubTotalLineDetail")
        ]
    return out


@dataclass(frozen=True)
class BatchItem:
    """One ``BatchItemRequest``: an entity operation, or a ``Query`` (then ``operation`` is None)."""

    bid: str
    operation: str | None = None
    entity: str | None = None
    body: dict[str, Any] | None = None
    query: str | None = None
    options: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.query is not None:
            return {"bId": self.bid, "Query": self.query}
        if not (self.operation and self.entity and self.body is not None):
            raise FatalError(f"batch item {self.bid!r} needs operation, entity and body (or a query)")
        item: dict[str, Any] = {"bId": self.bid, "operation": self.operation, self.entity: self.body}
        if self.options:
            item["optionsData"] = self.options
        return item


@dataclass
class BatchOutcome:
    """What QBO answered for one bId: an object, a QueryResponse, or an error."""

    bid: str
    entity: str | None = None
    object: dict[str, Any] | None = None
    query_response: dict[str, Any] | None = None
    error: QBOError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class BatchOutcomes(dict):  # dict[str, BatchOutcome]: the outcomes by bId
    """The outcomes of one ``/batch`` call by bId, and the server time QuickBooks answered at."""

    def __init__(self, outcomes: dict[str, BatchOutcome], server_time: datetime | None = None) -> None:
        super().__init__(outcomes)
        self.server_time = server_time


@dataclass
class CDCResult:
    """Changed objects and deleted Ids per entity; ``saturated`` means shorten the window."""

    changes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    time: datetime | None = None
    saturated: bool = False


class QBOClient:
    """The QBO operations the product uses."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def __repr__(self) -> str:
        return f"QBOClient({self.transport!r})"

    # --- reads -----------------------------------------------------------------------------------

    def company_info(self) -> dict[str, Any]:
        resp = self.transport.request("GET", f"companyinfo/{self.transport.realm_id}")
        return _entity_of(resp, "CompanyInfo")

    def get(self, entity: str, obj_id: str) -> dict[str, Any]:
        resp = self.transport.request("GET", f"{entity.lower()}/{obj_id}")
        return _entity_of(resp, entity)

    def query_response(self, statement: str) -> dict[str, Any]:
        """The raw ``QueryResponse`` of one statement (POST, ``application/text``)."""
        return self._query(statement)[0]

    def query_page(self, statement: str) -> Page:
        """The rows of one page (a missing entity key is an empty page) and its server time."""
        qr, server_time = self._query(statement)
        return Page(query_rows(qr), server_time)

    def query(self, statement: str) -> list[dict[str, Any]]:
        """The rows of one page (a missing entity key is an empty page)."""
        return self.query_page(statement)

    def _query(self, statement: str) -> tuple[dict[str, Any], datetime | None]:
        resp = self.transport.request(
            "POST", "query", data=statement, content_type="application/text", kind="query"
        )
        qr = resp.body.get("QueryResponse")
        return (qr if isinstance(qr, dict) else {}), parse_qbo_time(resp.body.get("time"))

    def count(self, entity: str, where: str | None = None) -> int:
        qr = self.query_response(f"SELECT COUNT(*) FROM {entity}{where_clause(where)}")
        return int(qr.get("totalCount", 0))

    def iter_pages(
        self,
        entity: str,
        where: str | None = None,
        *,
        page_size: int = 1000,
        order_by: str = "Id",
        include_inactive: bool = False,
        ahead: int = PAGES_AHEAD,
    ) -> Iterator[Page]:
        """Every page of ``SELECT * FROM entity`` (see :func:`qbo_sync.qbo.paging.iter_pages`): the
        first one even when empty, each with its server time. No ``COUNT(*)``: a short page ends
        the read. ``ahead`` pages are requested while the caller handles a full one (within the
        realm's budget); ``ahead=0`` reads one at a time."""

        def fetch(start: int) -> Page:
            stmt = page_statement(entity, where, start, page_size, order_by, include_inactive)
            return self.query_page(stmt)

        def fetch_counted(start: int) -> tuple[Page, int | None]:
            stmt = page_statement(entity, where, start, page_size, order_by, include_inactive)
            clause = where_clause(with_active(entity, where, include_inactive))
            return self.page_and_count(stmt, f"SELECT COUNT(*) FROM {entity}{clause}")

        # The count may end the read only where rows cannot join the result below the last page
        # read while paging (a WHERE on a change time gains edited rows, an active-only list gains
        # reactivated ones, each shifting the rest one place): a full read, every row of the list.
        whole = where is None and (include_inactive or entity not in NAME_LISTS)
        return paged(fetch, page_size, ahead, fetch_counted if whole else None)

    def page_and_count(self, page_statement: str, count_statement: str) -> tuple[Page, int | None]:
        """One page and a ``COUNT(*)`` as two ``Query`` items of one ``/batch`` request.

        The batch carries a requestid, so the transport resends it after a timeout, a 5xx or a
        dropped connection like any read. Where QuickBooks refuses the batch itself or answers
        without the page item (COUNT inside a batch is UNCONFIRMED), the page is read alone; a fault
        on the count item, or an answer without ``totalCount``, gives ``None`` (the caller reads on
        to a short page)."""
        items = [BatchItem("page", query=page_statement), BatchItem("count", query=count_statement)]
        try:
            outcomes = self.batch(items, request_id=str(uuid.uuid4()))
        except (RetriableError, AuthError, ReconnectNeeded):
            raise  # a plain query would meet the same
        except QBOError as exc:
            log.warning("page with COUNT refused as a batch (%s); reading the page alone", exc)
            return self.query_page(page_statement), None
        page, count = outcomes["page"], outcomes["count"]
        if isinstance(page.error, AmbiguousOutcome):  # no answer for the page item
            return self.query_page(page_statement), None
        if page.error is not None:
            raise page.error
        total = (count.query_response or {}).get("totalCount") if count.ok else None
        rows = query_rows(page.query_response or {})
        return Page(rows, outcomes.server_time), _as_count(total)

    def report(self, name: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One Report Service answer (``GET reports/{name}``): the report object itself, no envelope."""
        resp = self.transport.request("GET", f"reports/{name}", params=dict(params or {}), kind="read")
        return resp.body

    def query_changed_since(
        self,
        entity: str,
        since: datetime,
        until: datetime | None = None,
        include_inactive: bool = True,
        *,
        page_size: int = 1000,
    ) -> Iterator[Page]:
        """Pages of objects whose ``LastUpdatedTime`` is in ``[since, until]``."""
        where = f"Metadata.LastUpdatedTime >= '{format_datetime(since)}'"
        if until is not None:
            where += f" AND Metadata.LastUpdatedTime <= '{format_datetime(until)}'"
        return self.iter_pages(entity, where, page_size=page_size, include_inactive=include_inactive)

    def cdc(self, entities: Iterable[str], changed_since: datetime) -> CDCResult:
        """One CDC call; deleted objects are split out; ``saturated`` per qbo-api.md §3."""
        names = list(entities)
        params = {"entities": ",".join(names), "changedSince": format_datetime(changed_since)}
        resp = self.transport.request("GET", "cdc", params=params, kind="cdc")
        return _cdc_result(resp.body)

    # --- writes ----------------------------------------------------------------------------------

    def create(self, entity: str, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        params = {"requestid": _check_request_id(request_id, MAX_REQUEST_ID)}
        resp = self.transport.request("POST", entity.lower(), params=params, json=body, kind="write")
        return _entity_of(resp, entity)

    def update(
        self, entity: str, body: dict[str, Any], *, sparse: bool = True, request_id: str | None = None
    ) -> dict[str, Any]:
        """Update with the current ``SyncToken`` (sparse by default); 5010 raises StaleObject."""
        if not body.get("Id") or body.get("SyncToken") in (None, ""):
            raise FatalError(f"update of {entity} needs Id and SyncToken")
        payload = writable(entity, body)
        payload["sparse"] = sparse
        params = {"requestid": _check_request_id(request_id, MAX_REQUEST_ID)} if request_id else None
        resp = self.transport.request("POST", entity.lower(), params=params, json=payload, kind="write")
        return _entity_of(resp, entity)

    def delete(self, entity: str, obj_id: str, sync_token: str, request_id: str) -> dict[str, Any]:
        params = {"operation": "delete", "requestid": _check_request_id(request_id, MAX_REQUEST_ID)}
        body = {"Id": obj_id, "SyncToken": sync_token}
        resp = self.transport.request("POST", entity.lower(), params=params, json=body, kind="write")
        return _entity_of(resp, entity)

    def void(self, entity: str, obj_id: str, sync_token: str, request_id: str) -> dict[str, Any]:
        """Invoice-style ``operation=void``; Payment/SalesReceipt/BillPayment use update+include=void."""
        params: dict[str, str] = {"requestid": _check_request_id(request_id, MAX_REQUEST_ID)}
        body: dict[str, Any] = {"Id": obj_id, "SyncToken": sync_token}
        if entity in VOID_BY_UPDATE:
            params.update(operation="update", include="void")
            body["sparse"] = True
        else:
            params["operation"] = "void"
        resp = self.transport.request("POST", entity.lower(), params=params, json=body, kind="write")
        return _entity_of(resp, entity)

    def batch(self, items: list[BatchItem], request_id: str | None = None) -> BatchOutcomes:
        """One ``/batch`` call of ≤ 30 items; outcomes keyed by bId (never by position)."""
        _check_batch(items, request_id)
        params = {"requestid": request_id} if request_id else None
        body = {"BatchItemRequest": [item.to_json() for item in items]}
        resp = self.transport.request("POST", "batch", params=params, json=body, kind="batch")
        return _batch_outcomes(items, resp)


def _entity_of(resp: ParsedResponse, entity: str) -> dict[str, Any]:
    obj = resp.body.get(entity)
    if not isinstance(obj, dict):
        for key, value in resp.body.items():
            if key.lower() == entity.lower() and isinstance(value, dict):
                return value
        raise FatalError(f"response has no {entity} object", intuit_tid=resp.intuit_tid)
    return obj


def _check_request_id(request_id: str | None, limit: int) -> str:
    if not request_id or len(request_id) > limit:
        raise FatalError(f"requestid is required and must be at most {limit} characters")
    return request_id


def _check_batch(items: list[BatchItem], request_id: str | None) -> None:
    if not items:
        raise FatalError("a batch needs at least one item")
    if len(items) > MAX_BATCH_ITEMS:
        raise FatalError(f"a batch holds at most {MAX_BATCH_ITEMS} items, got {len(items)}", code="1040")
    bids = [item.bid for item in items]
    if len(set(bids)) != len(bids):
        raise FatalError("batch bIds must be unique")
    longest = max(len(b) for b in bids)
    if min(len(b) for b in bids) == 0 or longest > MAX_BID:
        raise FatalError(f"every bId needs 1 to {MAX_BID} characters")
    if request_id is not None:
        _check_request_id(request_id, MAX_BATCH_REQUEST_ID)
        if len(request_id) + longest > MAX_REQUEST_ID:
            raise FatalError(f"requestid + bId must be at most {MAX_REQUEST_ID} characters")


def _as_count(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _batch_outcomes(items: list[BatchItem], resp: ParsedResponse) -> BatchOutcomes:
    answers: dict[str, dict[str, Any]] = {}
    for answer in resp.body.get("BatchItemResponse") or []:
        if isinstance(answer, dict) and answer.get("bId") is not None:
            answers[str(answer["bId"])] = answer
    outcomes: dict[str, BatchOutcome] = {}
    for item in items:
        answer = answers.get(item.bid)
        if answer is None:
            error = AmbiguousOutcome(
                f"batch answer has no item for bId {item.bid}", intuit_tid=resp.intuit_tid
            )
            outcomes[item.bid] = BatchOutcome(item.bid, item.entity, error=error)
            continue
        outcomes[item.bid] = _batch_outcome(item, answer, resp.intuit_tid)
    return BatchOutcomes(outcomes, parse_qbo_time(resp.body.get("time")))


def _batch_outcome(item: BatchItem, answer: dict[str, Any], tid: str | None) -> BatchOutcome:
    error = fault_from_item(answer, tid)
    if error is not None:
        return BatchOutcome(item.bid, item.entity, error=error)
    if isinstance(answer.get("QueryResponse"), dict):
        return BatchOutcome(item.bid, None, query_response=answer["QueryResponse"])
    for key, value in answer.items():
        if key != "bId" and isinstance(value, dict):
            return BatchOutcome(item.bid, key, object=value)
    return BatchOutcome(item.bid, item.entity, error=FatalError(f"empty batch answer for {item.bid}"))


def _cdc_result(body: dict[str, Any]) -> CDCResult:
    result = CDCResult()
    result.time = parse_qbo_time(body.get("time"))
    for block in body.get("CDCResponse") or []:
        for qr in (block or {}).get("QueryResponse") or []:
            for entity, rows in (qr or {}).items():
                if not isinstance(rows, list):
                    continue
                for row in rows:
                    if row.get("status") == "Deleted":
                        result.deleted.setdefault(entity, []).append(str(row.get("Id")))
                    else:
                        result.changes.setdefault(entity, []).append(row)
    per_entity = [len(result.changes.get(e, [])) + len(result.deleted.get(e, [])) for e in _names(result)]
    result.saturated = any(n >= CDC_MAX_OBJECTS for n in per_entity) or sum(per_entity) >= CDC_MAX_OBJECTS
    return result


def _names(result: CDCResult) -> set[str]:
    return set(result.changes) | set(result.deleted)
