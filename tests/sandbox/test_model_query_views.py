"""Cached orderings/results/JSON of the query path: QBO's default name order, fresh after writes."""

from __future__ import annotations

import json

from qbo_sandbox.model.seed import SeedSpec
from tests.sandbox.test_model_cdc_seed import seeded


def _names(co, statement: str) -> list[str]:
    page = json.loads(co.query_json(statement))
    return [c["DisplayName"] for c in page.get("Vendor", [])]


def test_default_order_is_by_name_case_sensitive_and_follows_writes() -> None:
    co = seeded(SeedSpec(customers=5, items=2, vendors=3))
    a = co.create("Vendor", {"DisplayName": "Pam Seitz"})
    co.create("Vendor", {"DisplayName": "PG&E"})
    names = _names(co, "select * from Vendor maxresults 1000")
    assert names == sorted(names) and names.index("PG&E") < names.index("Pam Seitz")
    assert json.loads(co.query_json("select count(*) from Vendor")) == {"totalCount": len(names)}
    co.update("Vendor", {"Id": a["Id"], "SyncToken": a["SyncToken"], "sparse": True, "DisplayName": "AAA"})
    after = _names(co, "select * from Vendor maxresults 1000")
    assert after[0] == "AAA" and "Pam Seitz" not in after
    assert (
        json.loads(co.query_json("select * from Vendor where DisplayName = 'AAA'"))["Vendor"][0]["SyncToken"]
        == "1"
    )
    assert co.query_json("select * from Vendor startposition 999") == b"{}"
