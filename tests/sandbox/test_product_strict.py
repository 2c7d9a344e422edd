"""The product's client and every mapping against the strict sandbox: no 2010, no 4001 anywhere.

A full pull of every mapped entity into a fresh PostgreSQL CMMS, then one new record of every
pushed entity (customer, vendor, service/non-inventory/inventory items) with every mapped column
set, pushed and then edited and pushed again (sparse update). The sandbox counts each fault code it
answers (``fault:<code>``); none may be a 2010 (unknown property) or a 4001 (bad query).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import load_mappings
from qbo_sync.qbo.budget import RequestBudget
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.transport import Transport
from qbo_sync.sync import EntitySync
from tests.sync.conftest import StaticTokens

ORDER = ("accounts", "tax_codes", "tax_rates", "customers", "items", "vendors")


def _run(sandbox: Any, engine: sa.Engine, key: str) -> dict[str, Any]:
    tokens = StaticTokens(sandbox.issue_tokens()["access_token"])
    transport = Transport(
        sandbox.url, sandbox.realm_id, tokens, budget=RequestBudget(), sleep=lambda _s: None
    )
    client = QBOClient(transport)
    mappings = load_mappings()
    return {
        entity: EntitySync(
            mappings[entity], client, engine, realm_id=sandbox.realm_id, run_key=f"{key}/{entity}"
        ).run()
        for entity in ORDER
    }


def _account(engine: sa.Engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT id FROM accounts WHERE name = :n"), {"n": name}).scalar_one()


def _insert(engine: sa.Engine, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    values = ", ".join(f":{c}" for c in row)
    with engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)


def _add_records(engine: sa.Engine) -> None:
    address = {
        "bill_line1": "12 Dock Rd",
        "bill_line2": "Unit 4",
        "bill_city": "Oakland",
        "bill_region": "CA",
        "bill_postal_code": "94607",
        "bill_country": "US",
    }
    _insert(
        engine,
        "customers",
        {
            "display_name": "Strict Check Customer",
            "company_name": "Strict Check Co",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@strict.example",
            "phone": "(510) 555-0100",
            "taxable": True,
            "active": True,
            "notes": "pushed by the strict-sandbox test",
            **address,
        },
    )
    _insert(
        engine,
        "vendors",
        {
            "display_name": "Strict Check Vendor",
            "company_name": "Strict Vendor LLC",
            "email": "ap@vendor.example",
            "phone": "(510) 555-0101",
            "account_number": "SV-1",
            "active": True,
            **address,
        },
    )
    income, cogs = _account(engine, "Sales of Product Income"), _account(engine, "Cost of Goods Sold")
    common = {
        "description": "strict check",
        "unit_price": 12.5,
        "purchase_cost": 7.25,
        "taxable": True,
        "active": True,
        "income_account_id": income,
    }
    _insert(engine, "items", {"name": "Strict Service", "sku": "SC-1", "item_type": "service", **common})
    _insert(
        engine,
        "items",
        {
            "name": "Strict Part",
            "sku": "SC-2",
            "item_type": "non_inventory",
            "expense_account_id": _account(engine, "Supplies & Materials"),
            **common,
        },
    )
    _insert(
        engine,
        "items",
        {
            "name": "Strict Stock",
            "sku": "SC-3",
            "item_type": "inventory",
            "qty_on_hand": 40,
            "inv_start_date": "2026-01-01",
            "expense_account_id": cogs,
            "asset_account_id": _account(engine, "Inventory Asset"),
            **common,
        },
    )


def _edit_records(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE customers SET notes = 'edited', phone = '(510) 555-0199', bill_city = 'Hayward' "
                "WHERE display_name = 'Strict Check Customer'"
            )
        )
        conn.execute(
            sa.text(
                "UPDATE vendors SET email = 'ap2@vendor.example' WHERE display_name = 'Strict Check Vendor'"
            )
        )
        conn.execute(
            sa.text("UPDATE items SET description = 'edited', purchase_cost = 8 WHERE name LIKE 'Strict %'")
        )


def test_every_mapping_pulls_and_pushes_without_2010_or_4001(sandbox: Any, engine: sa.Engine) -> None:
    sandbox.reset()
    sandbox.reset_counters()
    first = _run(sandbox, engine, "strict/1")
    assert {e: c.failed for e, c in first.items()} == dict.fromkeys(ORDER, 0)
    _add_records(engine)
    second = _run(sandbox, engine, "strict/2")
    assert (second["customers"].created, second["vendors"].created, second["items"].created) == (1, 1, 3)
    _edit_records(engine)
    third = _run(sandbox, engine, "strict/3")
    assert (third["customers"].updated, third["vendors"].updated, third["items"].updated) == (1, 1, 3)
    assert {e: c.failed for e, c in [*second.items(), *third.items()]} == dict.fromkeys(ORDER, 0)
    counters = sandbox.counters()
    assert {k: v for k, v in counters.items() if k.startswith("fault:")} == {}
    stored = sandbox.company.query("select * from Customer where DisplayName = 'Strict Check Customer'")[
        "Customer"
    ][0]
    assert (stored["Notes"], stored["BillAddr"]["City"], stored["SyncToken"]) == ("edited", "Hayward", "1")
    items = sandbox.company.query("select * from Item where Name like 'Strict %'")["Item"]
    assert sorted((i["Name"], i["PurchaseCost"], i["Type"]) for i in items) == [
        ("Strict Part", 8, "NonInventory"),
        ("Strict Service", 8, "Service"),
        ("Strict Stock", 8, "Inventory"),
    ]
