"""Sandbox data API over real HTTP: auth faults, envelopes, routes, errors, requestid replay."""

from __future__ import annotations

import json
import re
import uuid

import requests

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


def _customer_count(api, display_name: str) -> int:
    escaped = display_name.replace("'", "\\'")
    answer = api.query(f"SELECT COUNT(*) FROM Customer WHERE DisplayName = '{escaped}'")
    return answer["totalCount"]


def test_companyinfo_envelope_and_headers(sandbox, api) -> None:
    answer = api.get(f"companyinfo/{sandbox.realm_id}", minorversion=75)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json;charset=utf-8"
    assert answer.headers["QBO-Version"]
    body = answer.json()
    assert set(body) == {"CompanyInfo", "time"}
    assert TIME_RE.match(body["time"])
    again = api.get(f"companyinfo/{sandbox.realm_id}")
    assert again.headers["intuit_tid"] != answer.headers["intuit_tid"]


def test_missing_and_unknown_token_get_gateway_401(sandbox) -> None:
    url = f"{sandbox.url}/v3/company/{sandbox.realm_id}/companyinfo/{sandbox.realm_id}"
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = requests.get(url, headers={"Accept": "application/json", **headers}, timeout=5)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
        body = answer.json()
        assert body["fault"]["error"][0]["code"] == "3200"
        assert body["fault"]["type"] == "AUTHENTICATION"
        assert isinstance(body["time"], int)
        assert body["batchItemResponse"] == [] and body["cdcresponse"] == []


def test_expired_token_gets_401_3200(fresh_sandbox, fresh_api) -> None:
    assert fresh_api.get(f"companyinfo/{fresh_sandbox.realm_id}").status_code == 200
    fresh_sandbox.advance_clock(3601)
    answer = fresh_api.get(f"companyinfo/{fresh_sandbox.realm_id}")
    assert answer.status_code == 401
    error = answer.json()["fault"]["error"][0]
    assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert error["detail"] == "Token expired"
    assert "eyJ" not in answer.text  # the token is never echoed


def test_wrong_realm_is_403_3100(sandbox, api) -> None:
    answer = api.session.get(f"{sandbox.url}/v3/company/123145678/companyinfo/123145678", timeout=5)
    assert answer.status_code == 403
    assert answer.json()["fault"]["error"][0]["code"] == "3100"


def test_create_read_update_roundtrip(api) -> None:
    name = f"Roundtrip {uuid.uuid4().hex[:8]}"
    created = api.post("customer", {"DisplayName": name}, minorversion=75)
    assert created.status_code == 200, created.text
    customer = created.json()["Customer"]
    assert customer["SyncToken"] == "0"
    read = api.get(f"customer/{customer['Id']}").json()["Customer"]
    assert read["DisplayName"] == name
    update = {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "ACME"}
    updated = api.post("customer", update).json()["Customer"]
    assert (updated["SyncToken"], updated["CompanyName"]) == ("1", "ACME")
    stale = api.post("customer", update)
    assert stale.status_code == 400
    assert stale.json()["Fault"]["Error"][0]["code"] == "5010"


def test_post_query_requires_application_text(api) -> None:
    ok = api.session.post(
        f"{api.base}/query",
        data="SELECT COUNT(*) FROM Customer",
        headers={"Content-Type": "application/text"},
        timeout=5,
    )
    assert ok.status_code == 200 and "totalCount" in ok.json()["QueryResponse"]
    wrong = api.session.post(
        f"{api.base}/query",
        data=json.dumps({"query": "SELECT * FROM Customer"}),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert wrong.status_code == 400
    error = wrong.json()["Fault"]["Error"][0]
    assert (error["code"], error["Message"]) == ("500", "Unsupported Operation")


def test_malformed_json_gets_2010(api) -> None:
    answer = api.session.post(
        f"{api.base}/customer", data="{not json", headers={"Content-Type": "application/json"}, timeout=5
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["Fault"]["Error"][0]["code"] == "2010"
    assert body["Fault"]["type"] == "ValidationFault" and TIME_RE.match(body["time"])


def test_unsupported_entity_path(api) -> None:
    answer = api.get("widget/1")
    assert answer.status_code == 400
    error = answer.json()["Fault"]["Error"][0]
    assert error["code"] == "500" and "/widget/1" in error["Detail"]
    assert api.post("widget", {"Name": "x"}).status_code == 400


def test_invalid_query_gets_4001(api) -> None:
    answer = api.get("query", query="SELECT * FROM Custmoer")
    assert answer.status_code == 400
    assert answer.json()["Fault"]["Error"][0]["code"] == "4001"


def test_cdc_route_and_window(api) -> None:
    name = f"CDC {uuid.uuid4().hex[:8]}"
    created = api.post("customer", {"DisplayName": name}).json()["Customer"]
    since = created["MetaData"]["LastUpdatedTime"]
    answer = api.get("cdc", entities="Customer", changedSince=since)
    assert answer.status_code == 200
    pages = answer.json()["CDCResponse"][0]["QueryResponse"]
    ids = [row["Id"] for page in pages for row in page.get("Customer", [])]
    assert created["Id"] in ids
    bad = api.get("cdc", entities="Customer", changedSince="yesterday")
    assert bad.status_code == 400


def test_requestid_replay_creates_one_object(sandbox, api) -> None:
    name = f"Replay {uuid.uuid4().hex[:8]}"
    rid = str(uuid.uuid4())
    before = sandbox.counters()
    first = api.post("customer", {"DisplayName": name}, requestid=rid)
    second = api.post("customer", {"DisplayName": name}, requestid=rid)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.headers["intuit_tid"] != second.headers["intuit_tid"]
    after = sandbox.counters()
    assert after["write"] - before["write"] == 2
    assert after["write:Customer"] - before["write:Customer"] == 1
    assert after["replayed"] - before["replayed"] == 1
    assert _customer_count(api, name) == 1


def test_requestid_too_long(api) -> None:
    answer = api.post("customer", {"DisplayName": "Too long rid"}, requestid="x" * 51)
    assert answer.status_code == 400
    error = answer.json()["Fault"]["Error"][0]
    assert error["code"] == "6000"
    assert "more than 50 characters" in error["Detail"] and "51 characters" in error["Detail"]


def test_rejected_write_is_not_replayed(api) -> None:
    rid = str(uuid.uuid4())
    assert api.post("customer", {}, requestid=rid).status_code == 400
    name = f"Fixed {uuid.uuid4().hex[:8]}"
    assert api.post("customer", {"DisplayName": name}, requestid=rid).status_code == 200


def test_an_http_write_inside_backdated_is_stamped_and_does_not_wait(sandbox, api) -> None:
    from datetime import timedelta

    from qbo_sandbox.clock import parse_datetime

    when = sandbox.clock.now().replace(microsecond=0) - timedelta(days=3, hours=2)
    name = f"Backdated {uuid.uuid4().hex[:8]}"
    with sandbox.company.backdated(when):  # the company lock is free: the server thread may write
        created = api.post("customer", {"DisplayName": name}, minorversion=75)
    assert created.status_code == 200, created.text
    meta = created.json()["Customer"]["MetaData"]
    assert parse_datetime(meta["CreateTime"]) == when == parse_datetime(meta["LastUpdatedTime"])
    since = (when - timedelta(seconds=1)).isoformat()
    changed = api.get("cdc", entities="Customer", changedSince=since).json()["CDCResponse"][0]
    ids = [row["Id"] for page in changed["QueryResponse"] for row in page.get("Customer", [])]
    assert created.json()["Customer"]["Id"] in ids
    after = api.post("customer", {"DisplayName": name + " now"}).json()["Customer"]["MetaData"]
    assert parse_datetime(after["CreateTime"]) > when + timedelta(days=3)  # the block's stamp is gone


def test_cdc_serves_an_object_whose_stamp_cannot_be_read(sandbox, api) -> None:
    payment = api.query("SELECT * FROM Payment MAXRESULTS 1")["Payment"][0]
    bad = {**payment, "Id": "880001", "MetaData": {"CreateTime": "?", "LastUpdatedTime": "not a time"}}
    before = sandbox.clock.now()
    sandbox.company.load_raw("Payment", bad)  # filed in the change log at the time it was loaded
    answer = api.get("cdc", entities="Payment", changedSince=before.isoformat(timespec="seconds"))
    assert answer.status_code == 200, answer.text
    pages = answer.json()["CDCResponse"][0]["QueryResponse"]
    rows = [row for page in pages for row in page.get("Payment", [])]
    assert [(r["Id"], r["MetaData"]["LastUpdatedTime"]) for r in rows] == [("880001", "not a time")]
