"""Retries, auth refresh and ambiguous writes against scripted sandbox faults (no real waiting)."""

from __future__ import annotations

import logging

import pytest

from qbo_sync.qbo.client import request_id_for
from qbo_sync.qbo.errors import AmbiguousOutcome, RetriableError
from tests.client.client_helpers import Rig, make_rig

# Only writes give up early (2 s), on the module sandbox's 30 s hold of ``timeout_after_commit``:
# wide margins both ways, and every other request keeps the rig's 10 s read timeout under load.
WRITE_GIVES_UP = {"write": (2.0, 2.0)}


def test_429_json_and_xml_pause_the_budget_then_succeed(rig: Rig, sandbox: object) -> None:
    rig.transport.throttle_wait = 60.0
    sandbox.add_fault("GET", r"/companyinfo/", "429", times=1)
    sandbox.add_fault("GET", r"/companyinfo/", "429", times=1, xml=True)
    start = rig.clock.now
    assert rig.client.company_info()["CompanyName"]
    counts = sandbox.counters()
    assert (counts["read"], counts["throttled"]) == (3, 2)
    assert rig.clock.now - start == 120.0  # two 60 s pauses, on the fake clock of the shared budget
    assert rig.sleeps == []


def test_503_500_and_drop_are_retried_with_backoff(rig: Rig, sandbox: object) -> None:
    sandbox.add_fault("POST", r"/query", "503", times=1)
    sandbox.add_fault("POST", r"/query", "500", times=1, xml=True)
    sandbox.add_fault("POST", r"/query", "drop", times=1)
    rows = rig.client.query("SELECT * FROM Customer MAXRESULTS 3")
    assert len(rows) == 3
    assert sandbox.counters()["query"] == 4
    assert rig.sleeps == [0.5, 1.0, 2.0]  # full jitter with rng=0.5: 0.5 * (1, 2, 4)


def test_retries_are_bounded(sandbox: object, caplog: pytest.LogCaptureFixture) -> None:
    sandbox.reset()
    sandbox.reset_counters()
    rig = make_rig(sandbox, max_attempts=3)
    sandbox.add_fault("GET", r"/companyinfo/", "503", times=5)
    with caplog.at_level(logging.WARNING, logger="qbo_sync"), pytest.raises(RetriableError) as info:
        rig.client.company_info()
    assert info.value.status == 503 and info.value.code == "10000"
    assert sandbox.counters()["read"] == 3 and len(rig.sleeps) == 2
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 3
    assert all("companyinfo" in r.getMessage() and "intuit_tid" in r.getMessage() for r in failures)
    assert rig.tokens.tokens.access_token not in caplog.text
    sandbox.reset()


def test_401_refreshes_once_then_succeeds(
    rig: Rig, sandbox: object, caplog: pytest.LogCaptureFixture
) -> None:
    old = rig.tokens.tokens
    before = sandbox.counters()
    sandbox.advance_clock(3700)  # the access token expires on the sandbox clock
    with caplog.at_level(logging.INFO, logger="qbo_sync"):
        info = rig.client.company_info()
    assert info["CompanyName"]
    assert rig.tokens.refreshes == [old.access_token]
    counts = sandbox.counters()
    assert (counts["read"], counts["token"] - before["token"]) == (2, 1)
    assert old.access_token not in caplog.text and old.refresh_token not in caplog.text
    assert rig.tokens.tokens.access_token not in caplog.text


def test_second_401_is_raised(rig: Rig, sandbox: object) -> None:
    class Stuck:
        refreshes = 0

        def access_token(self) -> str:
            return "not-a-valid-token"

        def refresh(self, rejected_token: str) -> str:
            self.refreshes += 1
            return "still-not-valid"

    stuck = Stuck()
    rig.transport.token_provider = stuck
    from qbo_sync.qbo.errors import AuthError

    with pytest.raises(AuthError) as info:
        rig.client.company_info()
    assert info.value.code == "3200" and stuck.refreshes == 1
    assert sandbox.counters()["read"] == 2
    assert "not-a-valid-token" not in str(info.value)


def test_timeout_after_commit_with_requestid_is_retried_without_duplicate(sandbox: object) -> None:
    sandbox.reset()
    sandbox.reset_counters()
    rig = make_rig(sandbox, kind_timeouts=WRITE_GIVES_UP)
    sandbox.add_fault("POST", r"/customer\?", "timeout_after_commit", times=1)
    rid = request_id_for(sandbox.realm_id, "Customer", "t-1", 1)
    created = rig.client.create("Customer", {"DisplayName": "Timeout Customer"}, rid)
    assert created["DisplayName"] == "Timeout Customer"
    found = rig.client.query("SELECT * FROM Customer WHERE DisplayName = 'Timeout Customer'")
    assert [row["Id"] for row in found] == [created["Id"]]
    counts = sandbox.counters()
    assert counts["write"] == 2 and counts["replayed"] == 1 and counts["write:Customer"] == 1
    assert len(rig.sleeps) == 1


def test_write_without_requestid_is_not_blindly_retried(sandbox: object) -> None:
    sandbox.reset()
    sandbox.reset_counters()
    rig = make_rig(sandbox, kind_timeouts=WRITE_GIVES_UP)
    customer = rig.client.query("SELECT * FROM Customer ORDERBY Id MAXRESULTS 1")[0]
    sandbox.add_fault("POST", r"/customer", "timeout_after_commit", times=1)
    body = {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "Notes": "ambiguous"}
    with pytest.raises(AmbiguousOutcome, match="natural key"):
        rig.client.update("Customer", body)
    assert sandbox.counters()["write"] == 1 and rig.sleeps == []
    # it did commit: the caller's look-up finds the change
    assert rig.client.get("Customer", customer["Id"])["Notes"] == "ambiguous"


def test_the_page_that_carries_the_count_is_retried_like_any_read(rig: Rig, sandbox: object) -> None:
    # page 2 and COUNT(*) travel as one batch: a 503 and a dropped connection are resent (with the
    # same requestid), never reported as an ambiguous write
    sandbox.add_fault("POST", r"/batch", "503", times=1)
    sandbox.add_fault("POST", r"/batch", "drop", times=1)
    everyone = rig.client.count("Customer", "Active IN (true, false)")
    sandbox.reset_counters()
    rows = [r for page in rig.client.iter_pages("Customer", page_size=5, include_inactive=True) for r in page]
    assert len(rows) == len({r["Id"] for r in rows}) == everyone
    assert sandbox.counters()["batch"] == 3 and len(rig.sleeps) == 2


def test_a_refused_count_batch_falls_back_to_the_page_alone(
    rig: Rig, sandbox: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qbo_sync.qbo.errors import FatalError

    def refuse(*_a: object, **_k: object) -> None:
        raise FatalError("Batch operation not supported for query COUNT")

    monkeypatch.setattr(rig.client, "batch", refuse)
    everyone = rig.client.count("Customer", "Active IN (true, false)")
    sandbox.reset_counters()
    pages = list(rig.client.iter_pages("Customer", page_size=5, include_inactive=True))
    assert sum(len(p) for p in pages) == everyone
    # every page by plain query, up to the short (or empty) one that says the end
    assert sandbox.counters()["query"] == everyone // 5 + 1 and sandbox.counters()["batch"] == 0
