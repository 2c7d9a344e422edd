"""Push fixes: faults are not replayed across runs, clears never become empty writes, a create whose
answer was lost is linked (not duplicated), odd names do not stop the lookup, item account rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.mapping import Mapping
from qbo_sync.qbo.budget import RequestBudget
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.errors import FatalError, RetriableError
from qbo_sync.qbo.paging import quote
from qbo_sync.qbo.transport import Transport
from qbo_sync.sync import EntitySync, SyncCounts
from tests.sync.conftest import StaticTokens
from tests.sync.sync_helpers import execute, qbo_all, rows, scalar


def _named(sb: Any, entity: str, name: str) -> list[dict[str, Any]]:
    key = "Name" if entity == "Item" else "DisplayName"
    return [o for o in qbo_all(sb, entity) if o[key] == name]


def _sync(mapping: Mapping, client: QBOClient, engine: sa.Engine, sb: Any, key: str) -> SyncCounts:
    return EntitySync(mapping, client, engine, realm_id=sb.realm_id, run_key=key).run()


# --- 1. a fault QuickBooks returned is not replayed on the next run ------------------------------


def test_name_clash_fixed_in_quickbooks_syncs_on_the_next_run(sb: Any, engine: sa.Engine, run_sync) -> None:
    execute(engine, "INSERT INTO customers (display_name) VALUES ('Delta Safety Products')")
    assert run_sync("customers")["customers"].failed == 1
    vendor = _named(sb, "Vendor", "Delta Safety Products")[0]
    sb.company.update(
        "Vendor",
        {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"], "sparse": True, "DisplayName": "Delta Safety"},
    )
    sb.reset_counters()

    counts = run_sync("customers")

    assert (counts["customers"].created, counts["customers"].failed) == (1, 0)
    assert sb.counters().get("replayed", 0) == 0
    row = rows(engine, "SELECT qb_id, qb_status, qb_error FROM customers WHERE display_name = :n",
               n="Delta Safety Products")[0]  # fmt: skip
    assert row["qb_status"] == "synced" and row["qb_error"] is None
    assert [c["Id"] for c in _named(sb, "Customer", "Delta Safety Products")] == [row["qb_id"]]


# --- 2. clearing a field --------------------------------------------------------------------------


def test_cleared_price_fails_readably_and_keeps_the_agreed_value(
    sb: Any, engine: sa.Engine, run_sync
) -> None:
    run_sync("accounts", "items")
    item_id = scalar(engine, "SELECT id FROM items WHERE qb_id = '7'")
    snap_before = _snapshot(engine, item_id)
    token = sb.company.read("Item", "7")["SyncToken"]
    execute(engine, "UPDATE items SET unit_price = NULL WHERE id = :i", i=item_id)
    sb.reset_counters()

    counts = run_sync("items")

    assert (counts["items"].updated, counts["items"].failed) == (0, 1)
    assert sb.counters().get("batch", 0) == 0 and sb.counters().get("write", 0) == 0
    remote = sb.company.read("Item", "7")
    assert remote["SyncToken"] == token and float(remote["UnitPrice"]) == 135.0
    row = rows(engine, "SELECT unit_price, qb_status, qb_error FROM items WHERE id = :i", i=item_id)[0]
    assert row["unit_price"] is None and row["qb_status"] == "error"
    assert row["qb_error"].startswith(
        "QuickBooks cannot clear the sales price of Item 'Electrical Troubleshooting'; set a sales price "
        "instead"
    )
    assert _snapshot(engine, item_id)["unit_price"] == snap_before["unit_price"] == "135.0000"

    execute(engine, "UPDATE items SET unit_price = 99 WHERE id = :i", i=item_id)
    counts = run_sync("items")
    assert (counts["items"].updated, counts["items"].failed) == (1, 0)
    assert float(sb.company.read("Item", "7")["UnitPrice"]) == 99.0
    assert scalar(engine, "SELECT qb_status FROM items WHERE id = :i", i=item_id) == "synced"


def test_cleared_text_and_reference(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync("accounts", "items")
    execute(engine, "UPDATE items SET description = NULL, sku = NULL WHERE qb_id = '13'")
    execute(engine, "UPDATE items SET expense_account_id = NULL WHERE qb_id = '2'")

    counts = run_sync("items")

    assert (counts["items"].updated, counts["items"].failed) == (1, 1)
    cleared = sb.company.read("Item", "13")
    assert cleared.get("Sku") in (None, "") and cleared.get("Description") in (None, "")
    assert sb.company.read("Item", "2")["ExpenseAccountRef"]["value"] == "18"
    error = scalar(engine, "SELECT qb_error FROM items WHERE qb_id = '2'")
    assert error.startswith(
        "QuickBooks cannot clear the expense account of Item 'Disposal Fee'; choose an expense account"
    )


def _snapshot(engine: sa.Engine, cmms_id: int) -> dict[str, Any]:
    return scalar(
        engine, "SELECT snapshot FROM sync_snapshots WHERE entity = 'items' AND cmms_id = :i", i=cmms_id
    )


# --- 3. a batch create whose answer was lost after commit ----------------------------------------


@pytest.fixture()
def short_timeouts(sb: Any) -> Iterator[QBOClient]:
    """A client whose batch requests give up after a 2 s read (3 attempts; every other request
    keeps 10 s), and a sandbox that holds a ``timeout_after_commit`` answer 10 s: wide margins both
    ways, so the exact request counts hold on a loaded machine."""
    before = sb.config.timeout_sleep_s
    sb.config.timeout_sleep_s = 10.0
    tokens = StaticTokens(sb.issue_tokens()["access_token"])
    transport = Transport(
        sb.url, sb.realm_id, tokens, budget=RequestBudget(), sleep=lambda _s: None, timeout=(2, 10),
        max_attempts=3, kind_timeouts={"batch": (2, 2)},
    )  # fmt: skip
    try:
        yield QBOClient(transport)
    finally:
        sb.config.timeout_sleep_s = before


def test_transport_retry_inside_a_run_reuses_the_requestid(
    sb: Any, engine: sa.Engine, mappings: dict[str, Mapping], short_timeouts: QBOClient
) -> None:
    execute(engine, "INSERT INTO customers (display_name) VALUES ('Zephyr Facilities')")
    sb.add_fault("POST", r".*/batch", "timeout_after_commit", times=1)  # executed, answer lost

    counts = _sync(mappings["customers"], short_timeouts, engine, sb, "test/retry")

    assert counts.failed == 0
    assert sb.counters()["replayed"] == 1  # the retry got the original answer, nothing ran twice
    made = _named(sb, "Customer", "Zephyr Facilities")
    assert len(made) == 1
    assert (
        scalar(engine, "SELECT qb_id FROM customers WHERE display_name = 'Zephyr Facilities'")
        == made[0]["Id"]
    )


@pytest.mark.parametrize("lookup_only", [False, True], ids=["pull-or-lookup", "lookup-only"])
def test_create_lost_after_commit_is_linked_not_duplicated(
    sb: Any, engine: sa.Engine, mappings: dict[str, Mapping], short_timeouts: QBOClient, lookup_only: bool
) -> None:
    execute(engine, "INSERT INTO customers (display_name) VALUES ('Zephyr Facilities')")
    sb.add_fault("POST", r".*/batch", "timeout_after_commit", times=3)

    with pytest.raises(RetriableError):
        _sync(mappings["customers"], short_timeouts, engine, sb, "test/lost/1")

    assert len(_named(sb, "Customer", "Zephyr Facilities")) == 1  # committed, answer lost
    assert scalar(engine, "SELECT qb_id FROM customers WHERE display_name = 'Zephyr Facilities'") is None
    sb.faults.clear()
    if lookup_only:  # the incremental pull no longer covers it: only the lookup can find it
        execute(engine, "UPDATE sync_watermarks SET watermark = now() + interval '1 minute'")

    counts = _sync(mappings["customers"], short_timeouts, engine, sb, "test/lost/2")

    assert counts.failed == 0
    made = _named(sb, "Customer", "Zephyr Facilities")
    assert len(made) == 1
    row = rows(engine, "SELECT qb_id, qb_status FROM customers WHERE display_name = 'Zephyr Facilities'")[0]
    assert row == {"qb_id": made[0]["Id"], "qb_status": "synced"}


# --- 4. names with a backslash, and a lookup QuickBooks refuses -----------------------------------


def test_quote_escapes_backslashes_as_the_sandbox_parses_them(sb: Any) -> None:
    names = ["Acme Tools\\", "Amy's \\'Shop"]
    assert quote(names[0]) == "'Acme Tools\\\\'" and quote(names[1]) == "'Amy\\'s \\\\\\'Shop'"
    for name in names:
        sb.company.create("Customer", {"DisplayName": name})
    where = f"DisplayName IN ({', '.join(quote(n) for n in names)})"
    answer = sb.company.query(f"SELECT * FROM Customer WHERE {where}")
    assert sorted(c["DisplayName"] for c in answer["Customer"]) == names


def test_name_with_backslash_is_looked_up_and_created(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync("customers")
    execute(
        engine, "INSERT INTO customers (display_name) VALUES (:a), ('Zephyr Facilities')", a="Acme Tools\\"
    )

    counts = run_sync("customers")

    assert (counts["customers"].created, counts["customers"].failed) == (2, 0)
    assert len(_named(sb, "Customer", "Acme Tools\\")) == 1
    assert (
        scalar(engine, "SELECT qb_status FROM customers WHERE display_name = :a", a="Acme Tools\\")
        == "synced"
    )


class _RefusesName(QBOClient):
    """Our client, facing a QuickBooks that cannot parse a lookup naming ``bad``."""

    def __init__(self, client: QBOClient, bad: str) -> None:
        super().__init__(client.transport)
        self.bad = bad

    def iter_pages(self, entity, where=None, **kwargs):  # type: ignore[no-untyped-def]
        if where and self.bad in where:
            raise FatalError("Error parsing query", status=400, code="4000", detail="QueryParserError")
        return super().iter_pages(entity, where, **kwargs)


def test_a_refused_lookup_fails_only_its_record(
    sb: Any, engine: sa.Engine, client: QBOClient, mappings: dict[str, Mapping], run_sync
) -> None:
    run_sync("customers")
    execute(engine, "INSERT INTO customers (display_name) VALUES ('Odd Name'), ('Zephyr Facilities')")

    counts = _sync(mappings["customers"], _RefusesName(client, "Odd Name"), engine, sb, "test/refused")

    assert (counts.created, counts.failed) == (1, 1)
    assert (
        scalar(engine, "SELECT qb_status FROM customers WHERE display_name = 'Zephyr Facilities'") == "synced"
    )
    odd = rows(engine, "SELECT qb_id, qb_status, qb_error FROM customers WHERE display_name = 'Odd Name'")[0]
    assert odd["qb_id"] is None and odd["qb_status"] == "error"
    assert odd["qb_error"].startswith(
        "Customer 'Odd Name': QuickBooks could not search for this name (Error parsing query), so it was "
        "not created"
    )
    assert rows(engine, "SELECT code FROM sync_record_errors") == [{"code": "qbo_4000"}]
    assert not _named(sb, "Customer", "Odd Name")


def test_a_lookup_refused_for_every_name_stops_the_run(
    sb: Any, engine: sa.Engine, client: QBOClient, mappings: dict[str, Mapping], run_sync
) -> None:
    run_sync("customers")
    execute(engine, "INSERT INTO customers (display_name) VALUES ('One Co'), ('Two Co')")

    with pytest.raises(FatalError):
        _sync(mappings["customers"], _RefusesName(client, "DisplayName IN"), engine, sb, "test/all")

    assert not _named(sb, "Customer", "One Co") and not _named(sb, "Customer", "Two Co")


# --- 5. item account rules are checked before QuickBooks is called --------------------------------


def test_item_account_rules_match_quickbooks(sb: Any, engine: sa.Engine, run_sync) -> None:
    run_sync("accounts")
    expense = scalar(engine, "SELECT id FROM accounts WHERE qb_id = '18'")  # Supplies & Materials
    income = scalar(engine, "SELECT id FROM accounts WHERE qb_id = '14'")
    asset = scalar(engine, "SELECT id FROM accounts WHERE account_type = 'Other Current Asset' "
                   "AND account_sub_type = 'Inventory' LIMIT 1")  # fmt: skip
    execute(
        engine,
        "INSERT INTO items (name, item_type, qty_on_hand, inv_start_date, income_account_id, "
        "expense_account_id, asset_account_id) VALUES ('Hex Bolt M8', 'inventory', 10, '2026-01-01', "
        ":inc, :exp, :asset), ('Callout Fee', 'non_inventory', NULL, NULL, NULL, :exp, NULL)",
        inc=income,
        exp=expense,
        asset=asset,
    )
    sb.reset_counters()

    counts = run_sync("items")

    assert counts["items"].failed == 2 and sb.counters().get("batch", 0) == 0
    errors = dict(rows_pairs(engine))
    assert errors["Hex Bolt M8"].startswith(
        "Item 'Hex Bolt M8': inventory items need a Cost of Goods Sold expense account; "
        "'Supplies & Materials' is an Expense account."
    )
    assert errors["Callout Fee"].startswith(
        "Item 'Callout Fee': every item needs an income account (Income or Other Income); none is set."
    )


def rows_pairs(engine: sa.Engine) -> list[tuple[str, str]]:
    found = rows(engine, "SELECT name, qb_error FROM items WHERE qb_status = 'error'")
    return [(r["name"], r["qb_error"]) for r in found]
