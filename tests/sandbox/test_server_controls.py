"""Sandbox test controls over real HTTP: throttling, scripted faults, latency, counters, /_sandbox/."""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests

from qbo_sandbox.http.throttle import Limits, Throttle


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_throttle_sliding_window_and_in_flight() -> None:
    ticks = Ticks()
    throttle = Throttle(enabled=True, limits=Limits(per_minute=5, in_flight=2, batch_per_minute=1), now=ticks)
    assert throttle.admit("r") and throttle.admit("r")
    assert not throttle.admit("r")  # 2 in flight
    throttle.release("r")
    throttle.release("r")
    assert throttle.admit("r", batch=True)
    throttle.release("r")
    assert not throttle.admit("r", batch=True)  # 1 batch/min
    assert throttle.admit("r") and throttle.release("r") is None
    assert throttle.admit("r") and throttle.release("r") is None
    assert not throttle.admit("r")  # 5 in the last 60 s
    assert throttle.admit("other")  # limits are per realm
    throttle.release("other")
    ticks.now = 60.5
    assert throttle.admit("r", batch=True)


def test_throttle_off_admits_everything() -> None:
    throttle = Throttle(enabled=False, limits=Limits(per_minute=1, in_flight=1))
    assert all(throttle.admit("r") for _ in range(10))
    assert throttle.in_flight("r") == 10


def test_throttled_requests_get_429_json(fresh_sandbox, fresh_api) -> None:
    fresh_sandbox.throttle.limits = Limits(per_minute=3, in_flight=10, batch_per_minute=40)
    fresh_sandbox.set_throttle(True, xml=False)
    statuses = [fresh_api.get("query", query="SELECT COUNT(*) FROM Customer").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = fresh_api.get("query", query="SELECT COUNT(*) FROM Customer")
    error = refused.json()["Fault"]["Error"][0]
    assert error["code"] == "3001"
    assert error["Message"] == "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    assert fresh_sandbox.counters()["throttled"] == 3
    fresh_sandbox.advance_clock(61)  # the window slides with sandbox time (token still valid: 1 h)
    assert fresh_api.get("query", query="SELECT COUNT(*) FROM Customer").status_code == 200


def test_batch_rate_limit(fresh_sandbox, fresh_api) -> None:
    fresh_sandbox.set_throttle(True)
    body = {"BatchItemRequest": [{"bId": "q", "Query": "SELECT COUNT(*) FROM Customer"}]}
    statuses = [fresh_api.post("batch", body).status_code for _ in range(41)]
    assert statuses.count(200) == 40 and statuses[-1] == 429


def test_in_flight_limit_of_ten(fresh_sandbox, fresh_api) -> None:
    fresh_sandbox.set_throttle(True)
    fresh_sandbox.add_fault("GET", r"/query", "hold", times=10)  # ten held inside, in flight
    statuses: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        with requests.Session() as session:
            session.headers.update(fresh_api.session.headers)
            url = f"{fresh_api.base}/query"
            code = session.get(url, params={"query": "SELECT COUNT(*) FROM Item"}, timeout=60).status_code
        with lock:
            statuses.append(code)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    realm = fresh_sandbox.realm_id
    for _ in range(3000):  # wait (bounded) until all ten are held inside the server
        if fresh_sandbox.faults.held() == 10:
            break
        threading.Event().wait(0.01)
    try:
        assert fresh_sandbox.faults.held() == 10
        assert fresh_sandbox.throttle.in_flight(realm) == 10
        eleventh = fresh_api.get("query", query="SELECT COUNT(*) FROM Item")
        faults = requests.get(f"{fresh_sandbox.url}/_sandbox/faults", timeout=10).json()
        assert faults["held"] == 10  # still held, nothing answered
    finally:
        released = fresh_sandbox.release_holds()
        for thread in threads:
            thread.join()
    assert released == 10
    assert eleventh.status_code == 429
    assert statuses == [200] * 10
    assert fresh_sandbox.throttle.in_flight(realm) == 0


def test_hold_fault_waits_for_release_over_http(fresh_sandbox, fresh_api) -> None:
    fresh_sandbox.add_fault("GET", r"/query", "hold", times=1)
    answers: list[int] = []
    caller = threading.Thread(
        target=lambda: answers.append(fresh_api.get("query", query="SELECT COUNT(*) FROM Item").status_code)
    )
    caller.start()
    for _ in range(3000):
        if fresh_sandbox.faults.held() == 1:
            break
        threading.Event().wait(0.01)
    controls = f"{fresh_sandbox.url}/_sandbox"
    assert requests.get(f"{controls}/faults", timeout=10).json() == {"faults": [], "held": 1}
    assert answers == []
    released = requests.post(f"{controls}/release-holds", json={}, timeout=10)
    caller.join()
    assert released.json() == {"released": 1}
    assert answers == [200]
    assert fresh_sandbox.faults.held() == 0


@pytest.mark.parametrize("xml", [False, True])
def test_scripted_429_json_or_xml(fresh_sandbox, fresh_api, xml: bool) -> None:
    fresh_sandbox.add_fault("GET", r"/query", "429", times=1, xml=xml)
    refused = fresh_api.get("query", query="SELECT COUNT(*) FROM Customer")
    assert refused.status_code == 429
    if xml:
        assert refused.headers["Content-Type"].startswith("application/xml")
        root = ET.fromstring(refused.content)
        ns = {"i": "http://schema.intuit.com/finance/v3"}
        assert root.find("i:Fault/i:Error", ns).get("code") == "3001"
        assert "ThrottleExceeded" in root.find("i:Fault/i:Error/i:Message", ns).text
    else:
        assert refused.json()["Fault"]["Error"][0]["code"] == "3001"
    assert fresh_api.get("query", query="SELECT COUNT(*) FROM Customer").status_code == 200
    assert fresh_sandbox.counters()["throttled"] == 1


@pytest.mark.parametrize("status", [500, 503])
def test_scripted_5xx(fresh_sandbox, fresh_api, status: int) -> None:
    fresh_sandbox.add_fault("POST", r"/customer\b", status, times=2)
    for _ in range(2):
        failed = fresh_api.post("customer", {"DisplayName": f"Never {uuid.uuid4().hex[:6]}"})
        assert failed.status_code == status
        body = failed.json()
        assert body["Fault"]["Error"][0]["code"] == "10000"
        assert body["Fault"]["type"] == "SystemFault" and "time" in body
    assert fresh_api.post("customer", {"DisplayName": f"Works {uuid.uuid4().hex[:6]}"}).status_code == 200
    assert fresh_sandbox.counters()["write:Customer"] == 1


def test_drop_closes_without_answer_and_writes_nothing(fresh_sandbox, fresh_api) -> None:
    name = f"Dropped {uuid.uuid4().hex[:6]}"
    fresh_sandbox.add_fault("POST", r"/customer", "drop")
    with pytest.raises(requests.ConnectionError):
        fresh_api.post("customer", {"DisplayName": name})
    assert fresh_api.query(f"SELECT COUNT(*) FROM Customer WHERE DisplayName = '{name}'")["totalCount"] == 0


def test_timeout_after_commit_writes_then_hangs(fresh_sandbox, fresh_api) -> None:
    name = f"Committed {uuid.uuid4().hex[:6]}"
    rid = str(uuid.uuid4())
    fresh_sandbox.add_fault("POST", r"/customer", "timeout_after_commit")
    with pytest.raises(requests.ReadTimeout):
        fresh_api.session.post(
            f"{fresh_api.base}/customer",
            params={"requestid": rid},
            json={"DisplayName": name},
            timeout=(5, 0.5),
        )
    assert fresh_api.query(f"SELECT COUNT(*) FROM Customer WHERE DisplayName = '{name}'")["totalCount"] == 1
    retry = fresh_api.post("customer", {"DisplayName": name}, requestid=rid)
    assert retry.status_code == 200 and retry.json()["Customer"]["DisplayName"] == name
    assert fresh_api.query(f"SELECT COUNT(*) FROM Customer WHERE DisplayName = '{name}'")["totalCount"] == 1


def test_latency_is_applied(fresh_sandbox, fresh_api) -> None:
    fresh_sandbox.set_latency(300)
    answer = fresh_api.get("query", query="SELECT COUNT(*) FROM Customer")
    assert answer.status_code == 200
    assert answer.elapsed.total_seconds() >= 0.3


def test_counters_by_kind(fresh_sandbox, fresh_api) -> None:
    fresh_sandbox.reset_counters()
    realm = fresh_sandbox.realm_id
    fresh_api.get(f"companyinfo/{realm}")
    fresh_api.get("query", query="SELECT * FROM Customer MAXRESULTS 1")
    fresh_api.session.post(
        f"{fresh_api.base}/query", data="SELECT * FROM Item", headers={"Content-Type": "application/text"}
    )
    fresh_api.post("customer", {"DisplayName": f"Counted {uuid.uuid4().hex[:6]}"})
    fresh_api.post("batch", {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Item"}]})
    counts = fresh_sandbox.counters()
    expected = {"read": 1, "query": 2, "write": 1, "batch": 1, "total": 5, "write:Customer": 1, "token": 0}
    assert {kind: counts[kind] for kind in expected} == expected


def test_http_controls(fresh_sandbox, fresh_api) -> None:
    base = f"{fresh_sandbox.url}/_sandbox"
    assert requests.post(f"{base}/reset-counters", timeout=5).status_code == 200
    fresh_api.get("query", query="SELECT COUNT(*) FROM Customer")
    counters = requests.get(f"{base}/counters", timeout=5).json()
    assert counters["query"] == 1 and counters["total"] == 1
    rule = {"method": "GET", "path_regex": "/query", "kind": "503", "times": 1}
    assert requests.post(f"{base}/faults", json=rule, timeout=5).status_code == 200
    assert fresh_api.get("query", query="SELECT COUNT(*) FROM Customer").status_code == 503
    assert requests.post(f"{base}/faults", json={**rule, "kind": "teapot"}, timeout=5).status_code == 400
    assert requests.post(f"{base}/latency", json={"ms": 0}, timeout=5).json() == {"latency_ms": 0}
    assert requests.post(f"{base}/throttle", json={"enabled": True}, timeout=5).status_code == 200
    assert fresh_sandbox.throttle.enabled
    assert requests.post(f"{base}/clock/advance", json={"seconds": 3601}, timeout=5).status_code == 200
    assert fresh_api.get("query", query="SELECT COUNT(*) FROM Customer").status_code == 401
    assert requests.get(f"{base}/nope", timeout=5).status_code == 404


def test_reset_reseeds_and_keeps_tokens(fresh_sandbox, fresh_api) -> None:
    name = f"Before reset {uuid.uuid4().hex[:6]}"
    fresh_api.post("customer", {"DisplayName": name})
    assert requests.post(f"{fresh_sandbox.url}/_sandbox/reset", json={}, timeout=5).status_code == 200
    assert fresh_api.query(f"SELECT COUNT(*) FROM Customer WHERE DisplayName = '{name}'")["totalCount"] == 0
    fresh_sandbox.reset(tokens=True)
    assert fresh_api.get("query", query="SELECT COUNT(*) FROM Customer").status_code == 401
