"""Paging loop, statements, request ids and write payloads (pure functions)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from qbo_sync.qbo.client import BatchItem, _check_batch, request_id_for, writable
from qbo_sync.qbo.errors import FatalError
from qbo_sync.qbo.paging import Page, format_datetime, iter_pages, page_statement, query_rows, quote


def _rows(start: int, n: int) -> list[dict]:
    return [{"Id": str(i)} for i in range(start, start + n)]


def test_pages_until_short_page_without_count() -> None:
    calls: list[int] = []

    def fetch(start: int) -> Page:
        calls.append(start)
        return Page(_rows(start, max(0, min(10, 25 - start + 1))))

    pages = list(iter_pages(fetch, 10))
    assert [len(p) for p in pages] == [10, 10, 5]
    assert calls == [1, 11, 21]  # a short page says the end: no COUNT, no further request


def test_exact_multiple_ends_on_one_empty_page_and_empty_first_page_is_yielded() -> None:
    calls: list[int] = []
    now = datetime(2026, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=-7)))

    def fetch(start: int) -> Page:
        calls.append(start)
        return Page(_rows(start, 10) if start <= 20 else [], now)

    assert [len(p) for p in iter_pages(fetch, 10)] == [10, 10]
    assert calls == [1, 11, 21]  # the trailing empty page costs what a COUNT would have
    first = list(iter_pages(lambda s: Page([], now), 10))
    assert first == [[]] and first[0].server_time == now  # the empty answer still tells the time


@pytest.mark.parametrize("ahead", [0, 1])
@pytest.mark.parametrize("total", [20, 25, 7, 10])
def test_the_count_rides_with_page_two_so_a_full_last_page_ends_the_read(ahead: int, total: int) -> None:
    plain: list[int] = []
    counted: list[int] = []

    def rows_at(start: int) -> Page:
        return Page(_rows(start, max(0, min(10, total - start + 1))))

    def fetch(start: int) -> Page:
        plain.append(start)
        return rows_at(start)

    def fetch_counted(start: int) -> tuple[Page, int | None]:
        counted.append(start)
        return rows_at(start), total

    pages = list(iter_pages(fetch, 10, ahead=ahead, fetch_counted=fetch_counted))
    assert sum(len(p) for p in pages) == total
    # a short first page: no count asked; a full one: the count rides with page 2, and no request
    # past the total (one full page alone cannot say the end, so its empty page 2 is still asked)
    assert counted == ([] if total < 10 else [11])
    assert sorted(plain + counted) == list(range(1, total + 1, 10)) + ([11] if total == 10 else [])


def test_a_count_the_rows_outnumber_is_stale_and_the_read_goes_on() -> None:
    # rows created while paging: the count said 15, a page ends at 20, so it cannot be the end
    calls: list[int] = []

    def fetch(start: int) -> Page:
        calls.append(start)
        return Page(_rows(start, max(0, min(10, 25 - start + 1))))

    pages = list(iter_pages(fetch, 10, ahead=1, fetch_counted=lambda start: (fetch(start), 15)))
    assert [len(p) for p in pages] == [10, 10, 5]
    assert calls == [1, 11, 21]


def test_a_missing_count_falls_back_to_the_empty_page() -> None:
    calls: list[int] = []

    def fetch(start: int) -> Page:
        calls.append(start)
        return Page(_rows(start, 10) if start <= 20 else [])

    pages = list(iter_pages(fetch, 10, ahead=1, fetch_counted=lambda start: (fetch(start), None)))
    assert [len(p) for p in pages] == [10, 10]
    assert calls == [1, 11, 21]


@pytest.mark.parametrize("ahead", [1, 2])
def test_pages_fetched_ahead_come_in_order(ahead: int) -> None:
    calls: list[int] = []

    def fetch(start: int) -> Page:
        calls.append(start)
        return Page(_rows(start, max(0, min(10, 95 - start + 1))))

    pages = list(iter_pages(fetch, 10, ahead=ahead))
    assert [p[0]["Id"] for p in pages] == [str(s) for s in range(1, 96, 10)]
    assert sum(len(p) for p in pages) == 95
    # one page ahead is requested only after a full page: never a request past the short page;
    # two ahead may ask for one page past it (unless that request was cancelled before it started)
    expected = list(range(1, 96, 10))
    assert sorted(calls) in ([expected, [*expected, 101]] if ahead == 2 else [expected])


def test_pages_fetched_ahead_stop_on_short_page_and_guard_loops() -> None:
    # rows deleted while paging: page 3 is short; pages fetched ahead past it are never yielded
    pages = list(iter_pages(lambda s: Page(_rows(s, 10 if s < 21 else 4)), 10, ahead=2))
    assert [len(p) for p in pages] == [10, 10, 4]
    with pytest.raises(FatalError, match="paging loop"):
        list(iter_pages(lambda start: Page(_rows(1, 10)), 10, ahead=2))


def test_loop_guard_repeated_page() -> None:
    with pytest.raises(FatalError, match="paging loop"):
        list(iter_pages(lambda start: Page(_rows(1, 10)), 10))


def test_statements() -> None:
    assert page_statement("Customer", None, 1, 1000) == (
        "SELECT * FROM Customer ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000"
    )
    assert page_statement("Customer", "DisplayName = 'x'", 11, 10, include_inactive=True) == (
        "SELECT * FROM Customer WHERE DisplayName = 'x' AND Active IN (true, false) "
        "ORDERBY Id STARTPOSITION 11 MAXRESULTS 10"
    )
    assert "Active" not in page_statement("Invoice", None, 1, 10, include_inactive=True)
    with pytest.raises(FatalError):
        page_statement("Customer", None, 1, 1001)
    assert quote("Amy's Bird") == "'Amy\\'s Bird'"
    tz = timezone(timedelta(hours=-7))
    assert format_datetime(datetime(2026, 6, 1, 9, 0, tzinfo=tz)) == "2026-06-01T09:00:00-07:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_datetime(datetime(2026, 6, 1))


def test_query_rows_of_recorded_pages(fixtures_dir: Path) -> None:
    data = json.loads((fixtures_dir / "all__alt_select.json").read_text())["interactions"]
    sizes = [len(query_rows(i["response"]["json"]["QueryResponse"])) for i in data]
    assert sizes[-1] == 0  # the recorded empty page {"QueryResponse": {}}
    assert all(n >= 0 for n in sizes) and sum(sizes) > 0


def test_request_id_is_deterministic_and_short() -> None:
    a = request_id_for("9341", "Invoice", 42, 3)
    assert a == request_id_for("9341", "Invoice", 42, 3)
    assert len(a) == 36
    assert a != request_id_for("9341", "Invoice", 42, 4) != request_id_for("9342", "Invoice", 42, 3)
    # stable across processes and releases: a fixed namespace, not a random one
    assert a == "13835898-0037-5290-949f-d6363647a7c2"


def test_writable_strips_read_only_blocks(fixtures_dir: Path) -> None:
    inter = json.loads((fixtures_dir / "create__invoice.json").read_text())["interactions"][0]
    invoice = inter["response"]["json"]["Invoice"]
    invoice["Line"][0]["LineEx"] = {"any": []}
    out = writable("Invoice", invoice)
    for key in ("MetaData", "TotalAmt", "Balance"):
        assert key not in out
    assert all(line.get("DetailType") != "SubTotalLineDetail" for line in out["Line"])
    assert all("LineEx" not in line for line in out["Line"])
    assert len(out["Line"]) == len(invoice["Line"]) - 1
    assert out["Id"] == invoice["Id"] and "MetaData" in invoice  # input untouched


def test_a_payment_keeps_its_total_on_update() -> None:
    # TotalAmt is what the payer paid (input on Payment and BillPayment), computed elsewhere
    payment = {"Id": "7", "SyncToken": "1", "TotalAmt": 80.0, "UnappliedAmt": 0, "MetaData": {}}
    assert writable("Payment", payment) == {"Id": "7", "SyncToken": "1", "TotalAmt": 80.0}
    assert "TotalAmt" not in writable("Invoice", {"Id": "1", "TotalAmt": 80.0})


def test_batch_limits() -> None:
    items = [BatchItem(f"b{i}", query="SELECT * FROM Customer") for i in range(31)]
    with pytest.raises(FatalError, match="at most 30"):
        _check_batch(items, None)
    with pytest.raises(FatalError, match="unique"):
        _check_batch([BatchItem("a", query="q"), BatchItem("a", query="q")], None)
    with pytest.raises(FatalError, match="1 to 10"):
        _check_batch([BatchItem("b" * 11, query="q")], None)
    with pytest.raises(FatalError, match="36"):
        _check_batch([BatchItem("b1", query="q")], "x" * 37)
    _check_batch([BatchItem("b" * 10, query="q")], "x" * 36)  # 46 <= 50: accepted
