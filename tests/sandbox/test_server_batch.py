"""Sandbox batch endpoint over real HTTP."""

from __future__ import annotations

import uuid

from qbo_sandbox.http.batch import answer_order


def _items(n: int, prefix: str) -> list[dict]:
    return [
        {"bId": f"b{i}", "operation": "create", "Customer": {"DisplayName": f"{prefix} {i}"}}
        for i in range(n)
    ]


def test_answer_order_differs_from_request_order() -> None:
    for n in range(2, 31):
        bids = [f"bid{i}" for i in range(n)]
        order = answer_order(bids)
        assert sorted(order) == list(range(n))
        assert order != list(range(n))


def test_batch_mixed_items_per_item_faults_and_out_of_order(sandbox, api) -> None:
    prefix = f"Batch {uuid.uuid4().hex[:6]}"
    existing = api.post("customer", {"DisplayName": f"{prefix} existing"}).json()["Customer"]
    request = [
        {"bId": "ok1", "operation": "create", "Customer": {"DisplayName": f"{prefix} new"}},
        {"bId": "dup", "operation": "create", "Customer": {"DisplayName": f"{prefix} existing"}},
        {
            "bId": "stale",
            "operation": "update",
            "Customer": {"Id": existing["Id"], "SyncToken": "7", "sparse": True},
        },
        {"bId": "gone", "operation": "delete", "Invoice": {"Id": "987654", "SyncToken": "0"}},
        {"bId": "q1", "Query": f"SELECT * FROM Customer WHERE Id = '{existing['Id']}'"},
    ]
    before = sandbox.counters()
    answer = api.post("batch", {"BatchItemRequest": request}, minorversion=75)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"BatchItemResponse", "time"}
    items = body["BatchItemResponse"]
    assert [item["bId"] for item in items] != [item["bId"] for item in request]
    by_bid = {item["bId"]: item for item in items}
    assert set(by_bid) == {"ok1", "dup", "stale", "gone", "q1"}
    assert by_bid["ok1"]["Customer"]["DisplayName"] == f"{prefix} new"
    assert by_bid["dup"]["Fault"]["Error"][0]["code"] == "6240"
    assert by_bid["stale"]["Fault"]["Error"][0]["code"] == "5010"
    assert by_bid["gone"]["Fault"]["Error"][0]["code"] == "610"
    assert by_bid["q1"]["QueryResponse"]["Customer"][0]["Id"] == existing["Id"]
    after = sandbox.counters()
    assert after["batch"] - before["batch"] == 1
    assert after["write"] == before["write"]


def test_batch_over_30_items_is_rejected(api) -> None:
    answer = api.post("batch", {"BatchItemRequest": _items(31, f"Big {uuid.uuid4().hex[:6]}")})
    assert answer.status_code == 400
    assert answer.json()["Fault"]["Error"][0]["code"] == "1040"


def test_batch_of_30_is_accepted(api) -> None:
    prefix = f"Thirty {uuid.uuid4().hex[:6]}"
    answer = api.post("batch", {"BatchItemRequest": _items(30, prefix)})
    assert answer.status_code == 200
    assert sum("Customer" in item for item in answer.json()["BatchItemResponse"]) == 30


def test_duplicate_bids_are_rejected(api) -> None:
    items = _items(2, f"Dup {uuid.uuid4().hex[:6]}")
    items[1]["bId"] = items[0]["bId"]
    answer = api.post("batch", {"BatchItemRequest": items})
    assert answer.status_code == 400
    assert "Duplicate bId" in answer.json()["Fault"]["Error"][0]["Detail"]


def test_batch_requestid_replay_needs_same_bids(sandbox, api) -> None:
    prefix = f"RB {uuid.uuid4().hex[:6]}"
    rid = uuid.uuid4().hex[:30]
    items = _items(3, prefix)
    first = api.post("batch", {"BatchItemRequest": items}, requestid=rid)
    replay = api.post("batch", {"BatchItemRequest": items}, requestid=rid)
    assert first.status_code == replay.status_code == 200
    assert first.json() == replay.json()
    count = api.query(f"SELECT COUNT(*) FROM Customer WHERE DisplayName LIKE '{prefix}%'")["totalCount"]
    assert count == 3
    other = [{**item, "bId": f"x{i}"} for i, item in enumerate(items)]
    different = api.post("batch", {"BatchItemRequest": other}, requestid=rid).json()["BatchItemResponse"]
    assert all(item["Fault"]["Error"][0]["code"] == "6240" for item in different)


def test_batch_requestid_limits(api) -> None:
    items = _items(1, f"Lim {uuid.uuid4().hex[:6]}")
    too_long = api.post("batch", {"BatchItemRequest": items}, requestid="r" * 37)
    assert too_long.status_code == 400
    assert "36 characters" in too_long.json()["Fault"]["Error"][0]["Detail"]
    items[0]["bId"] = "x" * 36
    combined = api.post("batch", {"BatchItemRequest": items}, requestid="r" * 32)
    assert combined.status_code == 400
    assert "68 characters" in combined.json()["Fault"]["Error"][0]["Detail"]
