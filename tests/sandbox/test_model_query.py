"""Query dialect: parsing, execution semantics, paging, COUNT, Active default and errors."""

from __future__ import annotations

from datetime import datetime

import pytest

from qbo_sandbox import query
from qbo_sandbox.clock import PACIFIC
from qbo_sandbox.faults import QBOFault

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=PACIFIC)


def _row(i: int, name: str, *, active: bool = True, updated: str = "2026-05-01T10:00:00-07:00") -> dict:
    return {
        "Id": str(i),
        "DisplayName": name,
        "Active": active,
        "Balance": float(i * 10),
        "CustomerRef": {"value": str(i % 3), "name": "x"},
        "MetaData": {"CreateTime": updated, "LastUpdatedTime": updated},
        "TxnDate": f"2026-05-{i:02d}",
    }


ROWS = [
    _row(1, "Amy's Bird Sanctuary"),
    _row(2, "Bill's Windsurf Shop", updated="2026-05-20T23:30:00-07:00"),
    _row(3, "Cool Cars", active=False),
    _row(10, "diego rodriguez"),
    _row(4, "Dukes Basketball Camp"),
]


def run(statement: str, rows: list[dict] = ROWS, active: bool = True) -> dict:
    return query.execute(query.parse(statement), rows, default_active_filter=active, now=NOW)


def ids(result: dict, entity: str = "Customer") -> list[str]:
    return [r["Id"] for r in result.get(entity, [])]


def fault(statement: str) -> QBOFault:
    with pytest.raises(QBOFault) as info:
        run(statement)
    return info.value


def test_default_page_is_active_rows_in_numeric_id_order() -> None:
    result = run("SELECT * FROM Customer")
    assert ids(result) == ["1", "2", "4", "10"]
    assert result["startPosition"] == 1
    assert result["maxResults"] == 4


def test_mentioning_active_lifts_the_default_filter() -> None:
    assert ids(run("select * from Customer where Active in (true, false)")) == ["1", "2", "3", "4", "10"]
    assert ids(run("select * from Customer where Active = false")) == ["3"]


def test_non_name_list_entities_do_not_filter_active() -> None:
    assert len(run("select * from Customer", active=False)["Customer"]) == 5


def test_escaped_apostrophe_and_case_insensitive_strings_and_keywords() -> None:
    result = run(r"sElEcT * FrOm customer WHERE displayname = 'AMY\'S BIRD SANCTUARY'")
    assert ids(result, "customer") == ["1"]


def test_like_supports_percent_only_and_is_case_insensitive() -> None:
    assert ids(run("select * from Customer where DisplayName like '%s%'")) == ["1", "2", "4"]
    assert ids(run("select * from Customer where DisplayName LIKE 'd%'")) == ["4", "10"]
    assert ids(run("select * from Customer where DisplayName like 'Cool_Cars'", active=False)) == []


def test_comparisons_numbers_quoted_or_not() -> None:
    assert ids(run("select * from Customer where Balance > '20.0'")) == ["4", "10"]
    assert ids(run("select * from Customer where Balance <= 20")) == ["1", "2"]
    assert ids(run("select * from Customer where Balance >= 40 AND Balance < 100")) == ["4"]


def test_ref_compares_its_value_and_in_lists() -> None:
    assert ids(run("select * from Customer where CustomerRef = '1'")) == ["1", "4", "10"]
    assert ids(run("select * from Customer where Id in ('2', '10')")) == ["2", "10"]


def test_datetime_comparison_is_timezone_aware_and_paths_case_insensitive() -> None:
    # 2026-05-20T23:30-07:00 == 2026-05-21T06:30Z
    assert ids(run("select * from Customer where Metadata.LastUpdatedTime >= '2026-05-21T06:30:00Z'")) == [
        "2"
    ]
    assert ids(run("select * from Customer where MetaData.LastUpdatedTime > '2026-05-21T06:30:00Z'")) == []
    assert ids(run("select * from Customer where metadata.lastupdatedtime < '2026-05-20'")) == [
        "1",
        "4",
        "10",
    ]
    assert ids(run("select * from Customer where TxnDate <= '2026-05-02'")) == ["1", "2"]


def test_order_by_both_spellings_and_direction() -> None:
    assert ids(run("select * from Customer orderby DisplayName desc")) == ["4", "10", "2", "1"]
    assert ids(run("select * from Customer ORDER BY Metadata.LastUpdatedTime DESC MAXRESULTS 1")) == ["2"]


def test_paging_in_either_clause_order() -> None:
    a = run("select * from Customer STARTPOSITION 2 MAXRESULTS 2")
    b = run("select * from Customer MAXRESULTS 2 STARTPOSITION 2")
    assert a == b
    assert ids(a) == ["2", "4"]
    assert a["startPosition"] == 2 and a["maxResults"] == 2
    assert run("select * from Customer startposition 5 maxresults 2") == {}


def test_default_max_results_is_100_and_1000_is_allowed() -> None:
    rows = [_row(i, f"Name {i}") for i in range(1, 251)]
    assert len(run("select * from Customer", rows)["Customer"]) == 100
    assert len(run("select * from Customer maxresults 1000", rows)["Customer"]) == 250


def test_count_ignores_paging_and_applies_filters() -> None:
    assert run("SELECT COUNT(*) FROM Customer") == {"totalCount": 4}
    assert run("select count(*) from Customer where Active in (true,false) maxresults 1") == {"totalCount": 5}
    assert run("select count(*) from Customer where DisplayName = 'nobody'") == {"totalCount": 0}


def test_no_match_is_an_empty_object() -> None:
    assert run("select * from Customer where DisplayName = 'nobody'") == {}


def test_maxresults_over_1000_is_a_validation_error() -> None:
    err = fault("select * from Customer maxresults 1500")
    assert err.status == 400
    assert err.code == "4001"
    assert err.detail == "QueryValidationError: value 1500 is too large. Max allowed value is 1000"


def test_or_is_rejected_with_a_parse_error() -> None:
    err = fault("select * from Customer where DisplayName = 'a' OR DisplayName = 'b'")
    assert (err.status, err.code) == (400, "4000")
    assert "OR is not supported" in err.detail


@pytest.mark.parametrize(
    "statement, fragment",
    [
        ("select from Customer", 'Encountered "from"'),
        ("select * Customer", 'Encountered "Customer"'),
        ("select * from Customer where DisplayName ~ 'a'", "Unexpected character"),
        ("select * from Customer where DisplayName = ", "<EOF>"),
        ("select * from Customer maxresults ten", "an integer after MAXRESULTS"),
        ("select * from Customer maxresults 5 maxresults 6", 'Encountered "maxresults"'),
    ],
)
def test_syntax_errors_name_the_offending_token(statement: str, fragment: str) -> None:
    err = fault(statement)
    assert err.code == "4000"
    assert err.message == "Error parsing query"
    assert fragment in err.detail


def test_id_only_supports_equality_and_in() -> None:
    err = fault("select * from Customer where Id > '3'")
    assert err.code == "4001"
    assert "Id" in err.detail


def test_fault_body_shape_matches_recorded_4001() -> None:
    body = fault("select * from Customer maxresults 2000").body()
    assert body == {
        "Fault": {
            "Error": [
                {
                    "Message": "Invalid query",
                    "Detail": "QueryValidationError: value 2000 is too large. Max allowed value is 1000",
                    "code": "4001",
                }
            ],
            "type": "ValidationFault",
        }
    }
