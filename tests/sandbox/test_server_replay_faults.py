"""``replay_faults``: a repeated batch requestid replays (default) or re-runs its faulted items."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from qbo_sandbox import SandboxConfig, SandboxServer


def _setup(api: Any, prefix: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A customer holding name ``<prefix> Dup`` and a batch whose second item clashes with it."""
    holder = api.post("customer", {"DisplayName": f"{prefix} Dup"}).json()["Customer"]
    items = [
        {"bId": "ok", "operation": "create", "Customer": {"DisplayName": f"{prefix} Fine"}},
        {"bId": "dup", "operation": "create", "Customer": {"DisplayName": f"{prefix} Dup"}},
    ]
    return holder, items


def _by_bid(answer: requests.Response) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {item["bId"]: item for item in answer.json()["BatchItemResponse"]}


def _free_name(api: Any, holder: dict[str, Any]) -> None:
    body = {
        "Id": holder["Id"],
        "SyncToken": holder["SyncToken"],
        "sparse": True,
        "DisplayName": f"{holder['DisplayName']} old",
    }
    assert api.post("customer", body).status_code == 200


def _count(api: Any, prefix: str) -> int:
    return api.query(f"SELECT COUNT(*) FROM Customer WHERE DisplayName LIKE '{prefix}%'")["totalCount"]


def test_default_replays_faulted_items(sandbox, api) -> None:
    assert sandbox.config.replay_faults is True
    prefix = f"RF {uuid.uuid4().hex[:6]}"
    holder, items = _setup(api, prefix)
    rid = uuid.uuid4().hex[:20]
    first = api.post("batch", {"BatchItemRequest": items}, requestid=rid)
    assert _by_bid(first)["dup"]["Fault"]["Error"][0]["code"] == "6240"
    _free_name(api, holder)
    writes = sandbox.counters()["write:Customer"]
    again = api.post("batch", {"BatchItemRequest": items}, requestid=rid)
    assert again.json() == first.json()
    assert _by_bid(again)["dup"]["Fault"]["Error"][0]["code"] == "6240"
    assert sandbox.counters()["write:Customer"] == writes
    assert _count(api, prefix) == 2  # the renamed holder + "Fine"


def test_switch_off_reruns_only_faulted_items(fresh_sandbox, fresh_api) -> None:
    control = f"{fresh_sandbox.url}/_sandbox/replay-faults"
    assert requests.get(control, timeout=5).json() == {"replay_faults": True}
    assert requests.post(control, json={"enabled": False}, timeout=5).json() == {"replay_faults": False}
    assert requests.post(control, json={"enabled": "no"}, timeout=5).status_code == 400
    prefix = f"RX {uuid.uuid4().hex[:6]}"
    holder, items = _setup(fresh_api, prefix)
    rid = uuid.uuid4().hex[:20]
    first = _by_bid(fresh_api.post("batch", {"BatchItemRequest": items}, requestid=rid))
    assert first["dup"]["Fault"]["Error"][0]["code"] == "6240"
    still = _by_bid(fresh_api.post("batch", {"BatchItemRequest": items}, requestid=rid))
    assert still["dup"]["Fault"]["Error"][0]["code"] == "6240"  # re-run, still clashing
    _free_name(fresh_api, holder)
    writes = fresh_sandbox.counters()["write:Customer"]
    second = _by_bid(fresh_api.post("batch", {"BatchItemRequest": items}, requestid=rid))
    assert second["ok"] == first["ok"]  # the successful item is replayed, not re-created
    assert second["dup"]["Customer"]["DisplayName"] == f"{prefix} Dup"
    assert fresh_sandbox.counters()["write:Customer"] == writes + 1
    third = _by_bid(fresh_api.post("batch", {"BatchItemRequest": items}, requestid=rid))
    assert third == second
    assert fresh_sandbox.counters()["write:Customer"] == writes + 1
    assert _count(fresh_api, prefix) == 3
    requests.post(f"{fresh_sandbox.url}/_sandbox/reset", json={}, timeout=5)
    assert requests.get(control, timeout=5).json() == {"replay_faults": True}


def test_config_switch_applies_at_start() -> None:
    server = SandboxServer(SandboxConfig(port=0, replay_faults=False))
    assert server.replay.replay_faults is False
    server.set_replay_faults(True)
    assert server.replay.replay_faults is True
    server.reset()
    assert server.replay.replay_faults is False
