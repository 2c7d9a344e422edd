"""``POST /batch`` (qbo-api.md §4).

At most 30 items, each ``{"bId", "operation": create|update|delete|void, "<Entity>": {...}}`` or
``{"bId", "Query": "..."}``; bIds must be unique. Items run independently: HTTP 200 with a per-item
``Fault`` for the ones that fail. The answer lists items in a different order from the request
(a deterministic permutation), so clients must correlate by ``bId``, as QBO demands.
With ``requestid`` (≤ 36 chars, each bId then ≤ 10) a retry with the same requestid and the same
bId set gets the original answer; whether its faulted items are replayed or re-executed is
``SandboxConfig.replay_faults`` (see :mod:`qbo_sandbox.http.replay`).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults
from qbo_sandbox.clock import format_time
from qbo_sandbox.faults import QBOFault
from qbo_sandbox.http.common import Request, Response
from qbo_sandbox.http.replay import MAX_BATCH_BID, MAX_BATCH_REQUESTID, MAX_REQUESTID, requestid_too_long

if TYPE_CHECKING:
    from qbo_sandbox.http.context import ServerContext

MAX_ITEMS = 30
OPERATIONS = frozenset({"create", "update", "delete", "void"})
ITEM_META_KEYS = frozenset({"bId", "operation", "optionsData"})


def batch_too_large(count: int) -> QBOFault:
    """1040: more items than a batch may carry."""
    return QBOFault(
        400,
        "1040",
        "Batch size exceeds allowed limit",
        f"Batch size exceeds allowed limit: the request has {count} BatchItemRequest items, "
        f"the maximum is {MAX_ITEMS}",
        "BatchItemRequest",
    )


def _validate(body: dict[str, Any], requestid: str | None) -> list[dict[str, Any]]:
    """The batch items, or the fault QBO answers for the whole request."""
    items = body.get("BatchItemRequest")
    if not isinstance(items, list):
        raise faults.required_param("BatchItemRequest")
    if len(items) > MAX_ITEMS:
        raise batch_too_large(len(items))
    seen: set[str] = set()
    for item in items:
        bid = item.get("bId") if isinstance(item, dict) else None
        if not isinstance(bid, str) or not bid:
            raise faults.required_param("bId", "BatchItemRequest")
        if bid in seen:
            raise faults.business_validation(f"Duplicate bId {bid!r} in BatchItemRequest", "bId")
        seen.add(bid)
    if requestid is not None:
        if len(requestid) > MAX_BATCH_REQUESTID:
            raise requestid_too_long(len(requestid), MAX_BATCH_REQUESTID)
        longest = max((len(bid) for bid in seen), default=0)
        if longest > MAX_BATCH_BID or len(requestid) + longest > MAX_REQUESTID:
            raise requestid_too_long(len(requestid) + longest)
    return items


def answer_order(bids: list[str]) -> list[int]:
    """A deterministic permutation of item positions that differs from the request order (n ≥ 2)."""
    order = sorted(range(len(bids)), key=lambda i: hashlib.sha1(bids[i].encode()).hexdigest())
    if order == list(range(len(bids))):
        order.reverse()
    return order


def run_batch(server: ServerContext, req: Request, realm: str, body: dict[str, Any]) -> Response:
    """Validate, execute (or replay) one batch request."""
    requestid = req.query.get("requestid") or None
    items = _validate(body, requestid)

    def execute() -> Response:
        answers = [execute_item(server, item) for item in items]
        ordered = [answers[i] for i in answer_order([item["bId"] for item in items])]
        payload = {"BatchItemResponse": ordered, "time": format_time(server.clock.now())}
        return Response.json(200, payload)

    if requestid is None:
        return execute()
    key = ("batch", realm, requestid, tuple(sorted(item["bId"] for item in items)))
    refresh = None
    if not server.replay.replay_faults:

        def refresh(cached: Response) -> Response:
            return _rerun_faulted(server, cached, items)

    answer, replayed = server.replay.run(key, execute, refresh)
    if replayed:
        server.count("replayed")
    return answer


def _rerun_faulted(server: ServerContext, cached: Response, items: list[dict[str, Any]]) -> Response:
    """``cached`` with every faulted item executed again (successful items kept as they were)."""
    payload = json.loads(cached.body)
    by_bid = {item["bId"]: item for item in items}
    answers = payload["BatchItemResponse"]
    if not any("Fault" in answer for answer in answers):
        return cached
    payload["BatchItemResponse"] = [
        execute_item(server, by_bid[a["bId"]]) if "Fault" in a and a["bId"] in by_bid else a for a in answers
    ]
    payload["time"] = format_time(server.clock.now())
    return Response.json(200, payload)


def count_fault(server: ServerContext, fault: QBOFault) -> None:
    """Count each ``Error[]`` code of a data-API fault as ``fault:<code>`` (tests assert on them)."""
    for error in fault.errors():
        server.count(f"fault:{error['code']}")


def execute_item(server: ServerContext, item: dict[str, Any]) -> dict[str, Any]:
    """One item's answer: the object, a ``QueryResponse``, or a ``Fault``."""
    bid = item["bId"]
    try:
        if "Query" in item:
            return {"QueryResponse": server.company.query(str(item["Query"])), "bId": bid}
        entity, obj = _write_item(server, item)
        return {entity: obj, "bId": bid}
    except QBOFault as fault:
        count_fault(server, fault)
        return {"Fault": fault.body()["Fault"], "bId": bid}


def _write_item(server: ServerContext, item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    keys = [key for key in item if key not in ITEM_META_KEYS]
    if len(keys) != 1 or not isinstance(item[keys[0]], dict):
        raise faults.invalid_value("BatchItemRequest", "Each batch item needs exactly one entity object")
    entity = server.entity_name(keys[0].lower())
    if entity is None or entity != keys[0]:
        raise faults.invalid_value(keys[0], f"Property Name:{keys[0]} specified is unsupported or invalid")
    operation = item.get("operation")
    if operation not in OPERATIONS:
        raise faults.invalid_enum("operation", operation)
    payload = item[entity]
    company = server.company
    server.count(f"write:{entity}")
    if operation == "create":
        return entity, company.create(entity, payload)
    if operation == "delete":
        return entity, company.delete(entity, payload)
    if operation == "void" or str(item.get("optionsData", "")).lower() == "void":
        return entity, company.void(entity, payload)
    return entity, company.update(entity, payload)
