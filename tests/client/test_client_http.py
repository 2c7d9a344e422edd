"""QBOClient against the sandbox server over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qbo_sync.qbo.client import BatchItem, request_id_for
from qbo_sync.qbo.errors import DuplicateName, FatalError, RecordRejected, StaleObject
from tests.client.client_helpers import Rig


def test_company_info(rig: Rig, sandbox: object) -> None:
    info = rig.client.company_info()
    assert info["CompanyName"] == sandbox.company.company_info()["CompanyName"]
    assert info["DefaultTimeZone"] == "America/Los_Angeles"  # a minorversion 75 field
    assert sandbox.counters()["read"] == 1


def test_paging_through_customers_counts_requests(rig: Rig, sandbox: object) -> None:
    active = rig.client.count("Customer")
    everyone = rig.client.count("Customer", "Active IN (true, false)")
    assert active >= 20 and everyone > active
    sandbox.reset_counters()
    pages = list(rig.client.iter_pages("Customer", page_size=5))
    ids = [row["Id"] for page in pages for row in page]
    assert len(ids) == active == len(set(ids))
    assert all(row["Active"] for page in pages for row in page)
    # active rows only: a reactivated customer could join below the last page while paging, so no
    # COUNT may end this read; it goes on to a short page (+1 empty page when it divides evenly)
    assert (sandbox.counters()["query"], sandbox.counters()["batch"]) == (active // 5 + 1, 0)
    sandbox.reset_counters()
    every = list(rig.client.iter_pages("Customer", page_size=5, include_inactive=True))
    # every row of the list: page 2 comes with the COUNT in one batch request, so the last full
    # page ends the read (no trailing empty page when the rows divide evenly)
    assert len(every) == -(-everyone // 5)
    assert (sandbox.counters()["query"], sandbox.counters()["batch"]) == (len(every) - 1, 1)
    sandbox.reset_counters()
    all_rows = [row for page in rig.client.iter_pages("Customer", include_inactive=True) for row in page]
    assert len(all_rows) == everyone and any(not row["Active"] for row in all_rows)
    assert sandbox.counters()["query"] == 1  # one short page


def test_invalid_query_is_fatal(rig: Rig) -> None:
    with pytest.raises(FatalError) as info:
        rig.client.query("SELECT * FROM Custmoer")
    assert info.value.code == "4001" and info.value.intuit_tid


def test_changed_since_and_cdc(rig: Rig, sandbox: object) -> None:
    since = sandbox.clock.now() - timedelta(seconds=1)
    rid = request_id_for(sandbox.realm_id, "Customer", "cdc-1", 1)
    created = rig.client.create("Customer", {"DisplayName": "CDC Test Customer"}, rid)
    changed = [row for page in rig.client.query_changed_since("Customer", since) for row in page]
    assert [row["Id"] for row in changed] == [created["Id"]]
    result = rig.client.cdc(["Customer", "Invoice"], since)
    assert [row["Id"] for row in result.changes["Customer"]] == [created["Id"]]
    assert result.deleted == {} and result.saturated is False
    assert result.time is not None and result.time.utcoffset() is not None
    assert sandbox.counters()["cdc"] == 1


def test_create_with_requestid_replays_to_one_object(rig: Rig, sandbox: object) -> None:
    rid = request_id_for(sandbox.realm_id, "Customer", "c-77", 1)
    first = rig.client.create("Customer", {"DisplayName": "Replay Customer"}, rid)
    second = rig.client.create("Customer", {"DisplayName": "Replay Customer"}, rid)
    assert first["Id"] == second["Id"] and first["SyncToken"] == "0"
    found = rig.client.query("SELECT * FROM Customer WHERE DisplayName = 'Replay Customer'")
    assert len(found) == 1
    with pytest.raises(DuplicateName) as info:
        rig.client.create("Customer", {"DisplayName": "Replay Customer"}, rid[:-1] + "x")
    assert info.value.code == "6240"
    with pytest.raises(FatalError, match="requestid"):
        rig.client.create("Customer", {"DisplayName": "No Id"}, "")


def test_sparse_update_and_stale_sync_token(rig: Rig) -> None:
    customer = rig.client.query("SELECT * FROM Customer ORDERBY Id MAXRESULTS 1")[0]
    updated = rig.client.update(
        "Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "Notes": "sparse note"}
    )
    assert updated["Notes"] == "sparse note"
    assert int(updated["SyncToken"]) == int(customer["SyncToken"]) + 1
    assert updated["DisplayName"] == customer["DisplayName"]  # sparse: untouched fields stay
    with pytest.raises(StaleObject) as info:
        rig.client.update(
            "Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "Notes": "x"}
        )
    assert info.value.code == "5010"
    with pytest.raises(FatalError, match="SyncToken"):
        rig.client.update("Customer", {"Id": customer["Id"]})


def test_batch_mixed_outcomes_by_bid(rig: Rig, sandbox: object) -> None:
    customer = rig.client.query("SELECT * FROM Customer ORDERBY Id MAXRESULTS 1")[0]
    items = [
        BatchItem("q1", query=f"SELECT * FROM Customer WHERE Id = '{customer['Id']}'"),
        BatchItem("dup", "create", "Customer", {"DisplayName": customer["DisplayName"]}),
        BatchItem("new", "create", "Vendor", {"DisplayName": "Batch Vendor One"}),
        BatchItem(
            "stale",
            "update",
            "Customer",
            {"Id": customer["Id"], "SyncToken": "999", "sparse": True, "Notes": "n"},
        ),
    ]
    rid = request_id_for(sandbox.realm_id, "batch", "b-1", 1)[:32]
    outcomes = rig.client.batch(items, request_id=rid)
    assert set(outcomes) == {"q1", "dup", "new", "stale"}
    assert outcomes["q1"].ok and outcomes["q1"].query_response["Customer"][0]["Id"] == customer["Id"]
    assert outcomes["new"].ok and outcomes["new"].entity == "Vendor"
    assert outcomes["new"].object["DisplayName"] == "Batch Vendor One"
    assert isinstance(outcomes["dup"].error, DuplicateName)
    assert isinstance(outcomes["stale"].error, StaleObject)
    assert isinstance(outcomes["stale"].error, RecordRejected)
    assert sandbox.counters()["batch"] == 1
    # the same requestid and bIds again: answered from the replay cache, nothing created twice
    again = rig.client.batch(items, request_id=rid)
    assert again["new"].object["Id"] == outcomes["new"].object["Id"]
    vendors = rig.client.query("SELECT * FROM Vendor WHERE DisplayName = 'Batch Vendor One'")
    assert len(vendors) == 1


def test_void_and_delete_invoice(rig: Rig, sandbox: object) -> None:
    invoices = rig.client.query("SELECT * FROM Invoice ORDERBY Id MAXRESULTS 1000")
    unpaid = [inv for inv in invoices if inv["Balance"] == inv["TotalAmt"] and inv["TotalAmt"] > 0]
    assert len(unpaid) >= 2
    first, second = unpaid[:2]
    rid = request_id_for(sandbox.realm_id, "Invoice", first["Id"], "void")
    voided = rig.client.void("Invoice", first["Id"], first["SyncToken"], rid)
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"].startswith("Voided")
    rid = request_id_for(sandbox.realm_id, "Invoice", second["Id"], "delete")
    deleted = rig.client.delete("Invoice", second["Id"], second["SyncToken"], rid)
    assert deleted["status"] == "Deleted" and deleted["Id"] == second["Id"]
    with pytest.raises(RecordRejected) as info:
        rig.client.get("Invoice", second["Id"])
    assert info.value.code == "610"
