"""The classifier over every recorded QBO response, plus the bodies the recordings lack."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal
from pathlib import Path

import pytest

from qbo_sync.qbo.errors import (
    AuthError,
    DuplicateName,
    FatalError,
    QBOError,
    RecordRejected,
    RetriableError,
    StaleObject,
    ThrottledError,
    classify,
    fault_from_item,
    intuit_tid_of,
    parse_body,
    redact,
)

REAL_401 = (
    '{"warnings":null,"intuitObject":null,"fault":{"error":[{"message":"message=AuthenticationFailed; '
    'errorCode=003200; statusCode=401","detail":"Token expired: AB0161234567890abcdefghijklmnopqrstuvwxyz",'
    '"code":"3200","element":null}],"type":"AUTHENTICATION"},"report":null,"queryResponse":null,'
    '"batchItemResponse":[],"attachableResponse":[],"syncErrorResponse":null,"requestId":null,'
    '"time":1601391072830,"status":null,"cdcresponse":[]}'
)
THROTTLE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2020-09-29T08:02:53.512-07:00">'
    '<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; '
    "statusCode=429</Message><Detail>The request limit was reached. Try again later</Detail></Error>"
    "</Fault></IntuitResponse>"
)
AUTH_XML = (
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="AuthenticationFault">'
    '<Error code="100"><Message>General Authentication Error</Message><Detail>AuthenticationErrorGeneral: '
    "SRV-110-Authentication Failure , statusCode: 401</Detail></Error></Fault></IntuitResponse>"
)


def _interactions(fixtures_dir: Path) -> list[tuple[str, dict]]:
    out = []
    for path in sorted(fixtures_dir.glob("*.json")):
        for i, inter in enumerate(json.loads(path.read_text())["interactions"]):
            out.append((f"{path.stem}#{i}", inter["response"]))
    return out


def _raw(response: dict) -> bytes:
    if response.get("json") is not None:
        return json.dumps(response["json"]).encode()
    return (response.get("text") or "").encode()


def test_every_recorded_response_parses_and_classifies(fixtures_dir: Path) -> None:
    responses = _interactions(fixtures_dir)
    assert len(responses) == 38
    errors = {}
    for name, resp in responses:
        body = parse_body(_raw(resp))
        assert isinstance(body, dict), name
        assert "time" in body, name
        err = classify(resp["status"], resp["headers"], _raw(resp))
        if resp["status"] == 200:
            assert err is None, name
        else:
            errors[name] = err
    assert set(errors) == {"error__400#1", "error__validation#0"}
    query_err = errors["error__400#1"]
    assert type(query_err) is FatalError
    assert (query_err.status, query_err.code) == (400, "4001")
    assert "invalid context declaration: Custmoer" in query_err.detail
    assert query_err.intuit_tid == "1-5f733c38-6312b3f50596e47933ee0781"
    dup = errors["error__validation#0"]
    assert isinstance(dup, DuplicateName) and isinstance(dup, RecordRejected)
    assert dup.code == "6240" and dup.message == "Duplicate Name Exists Error"
    assert dup.intuit_tid == "1-5f733d9a-1d4e21aa217ba43177113df4"
    assert "intuit_tid 1-5f733d9a-1d4e21aa217ba43177113df4" in str(dup)


def test_amounts_parse_as_decimal(fixtures_dir: Path) -> None:
    resp = json.loads((fixtures_dir / "create__invoice.json").read_text())["interactions"][0]["response"]
    body = parse_body(json.dumps(resp["json"]).encode())
    assert isinstance(body["Invoice"]["TotalAmt"], Decimal)


def test_batch_items_classified_by_bid(fixtures_dir: Path) -> None:
    resp = json.loads((fixtures_dir / "batch__basic.json").read_text())["interactions"][0]["response"]
    assert classify(200, resp["headers"], resp["json"]) is None
    by_bid = {item["bId"]: fault_from_item(item, "tid-1") for item in resp["json"]["BatchItemResponse"]}
    assert by_bid["bid1"] is None and by_bid["bid4"] is None
    assert type(by_bid["bid2"]) is RecordRejected and by_bid["bid2"].code == "610"
    assert isinstance(by_bid["bid3"], StaleObject) and by_bid["bid3"].code == "5010"
    assert by_bid["bid3"].intuit_tid == "tid-1" and by_bid["bid3"].status is None


def test_real_401_lower_case_fault_is_auth_and_hides_the_token() -> None:
    headers = {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"', "intuit_tid": "tid-401"}
    err = classify(401, headers, REAL_401.encode())
    assert isinstance(err, AuthError)
    assert (err.code, err.fault_type, err.intuit_tid) == ("3200", "AUTHENTICATION", "tid-401")
    assert "AuthenticationFailed" in err.message
    assert "AB0161234567890" not in str(err) and "AB0161234567890" not in err.detail
    assert "Token expired" in str(err)


def test_429_xml_is_throttled_with_retry_after() -> None:
    err = classify(429, {"Retry-After": "7", "Intuit-Tid": "tid-429"}, THROTTLE_XML.encode())
    assert isinstance(err, ThrottledError) and isinstance(err, RetriableError)
    assert (err.code, err.fault_type, err.retry_after, err.intuit_tid) == ("3001", "SERVICE", 7.0, "tid-429")
    assert "ThrottleExceeded" in err.message
    no_header = classify(429, {}, b"")
    assert isinstance(no_header, ThrottledError) and no_header.retry_after is None


def test_xml_auth_fault_and_odd_bodies() -> None:
    err = classify(401, {}, AUTH_XML)
    assert isinstance(err, AuthError) and err.code == "100" and err.fault_type == "AuthenticationFault"
    html = classify(502, {"Content-Type": "text/html"}, b"<html><body>Bad Gateway</body></html>")
    assert isinstance(html, RetriableError) and html.status == 502
    text = classify(503, {}, b"Service Unavailable")
    assert isinstance(text, RetriableError) and "Service Unavailable" in text.message
    assert classify(200, {}, b"") is None
    assert isinstance(classify(404, {}, b"not found"), FatalError)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, "3100", FatalError),
        (400, "4000", FatalError),
        (400, "1040", FatalError),
        (400, "2020", RecordRejected),
        (400, "6000", RecordRejected),
        (400, "6140", RecordRejected),
        (400, "610", RecordRejected),
        (500, "10000", RetriableError),
        (503, "10000", RetriableError),
        (401, "120", AuthError),
        (200, "5010", StaleObject),
    ],
)
def test_fault_codes_map_to_categories(status: int, code: str, expected: type[QBOError]) -> None:
    body = {"Fault": {"Error": [{"Message": "m", "Detail": "d", "code": code}], "type": "ValidationFault"}}
    err = classify(status, {}, body)
    assert type(err) is expected or (expected is RecordRejected and isinstance(err, RecordRejected))
    assert err.code == code


def test_wrong_environment_hint_and_pickling() -> None:
    body = {"fault": {"error": [{"message": "ApplicationAuthorizationFailed", "code": "3100"}]}}
    err = classify(403, {"intuit-tid": "t"}, body)
    assert isinstance(err, FatalError)
    assert "environment" in str(err) and "realm" in str(err)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is FatalError and str(clone) == str(err)


def test_intuit_tid_header_spellings() -> None:
    assert intuit_tid_of({"intuit_tid": "a"}) == "a"
    assert intuit_tid_of({"Intuit-Tid": ["b"]}) == "b"
    assert intuit_tid_of({"INTUIT_TID": "c"}) == "c"
    assert intuit_tid_of({}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "OAuth token refresh: network error (ConnectionError)",
            "OAuth token refresh: network error (ConnectionError)",
        ),
        ("refresh_token=RT1-abcdefgh", "refresh_token=***"),
        ('{"access_token": "eyJabc"}', '{"access_token": "***"}'),
        ("Authorization: Bearer abc.def", "Authorization: Bearer ***"),
        ("client_secret=s3cr3t&x=1", "client_secret=***&x=1"),
        ("Token has been expired or revoked", "Token has been expired or revoked"),
        ("error code: 6240 in the network", "error code: 6240 in the network"),
    ],
)
def test_redaction_masks_secrets_only(text: str, expected: str) -> None:
    assert redact(text) == expected
