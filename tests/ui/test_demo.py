# ruff: noqa: F811 - the sync and transaction suites' fixtures are imported by name (they are parameters)
"""The demo of `make run` / `make demo`: CMMS data seeded in the right order (items and transactions
once the chart of accounts and tax codes are pulled), pushed once, a partial payment the bookkeeper
records in the sandbox company once, and the local redirect URL following Airflow's port."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.demo import seed_demo
from qbo_sync.demo.payment import DemoPaymentError, record_demo_payment
from qbo_sync.demo.redirect import follow_port, local_redirect_uris
from qbo_sync.qbo.client import QBOClient
from tests.sync.conftest import client, mappings, run_sync  # noqa: F401
from tests.sync.sync_helpers import rows, scalar
from tests.transactions.conftest import push  # noqa: F401
from tests.transactions.txn_helpers import qbo

pytestmark = pytest.mark.postgres
REFERENCE = ("accounts", "tax_codes", "tax_rates")
NOTHING_NEW = {"customers": 0, "vendors": 0, "work_orders": 0, "items": 0, "invoices": 0, "bills": 0,
               "expenses": 0}  # fmt: skip


def test_items_and_transactions_wait_for_the_chart_of_accounts(engine: sa.Engine) -> None:
    result = seed_demo(engine)
    assert result.inserted == {"customers": 3, "vendors": 2, "work_orders": 4}
    assert result.waiting == ["the chart of accounts", "the tax codes", "the tax rates"]
    assert "items, invoices, bills and expenses wait for the chart of accounts" in result.describe()
    assert scalar(engine, "SELECT count(*) FROM items") == 0
    assert scalar(engine, "SELECT count(*) FROM invoices") == 0
    orders = rows(engine, "SELECT w.number, c.display_name FROM work_orders w JOIN customers c ON c.id = "
                  "w.customer_id ORDER BY w.number")  # fmt: skip
    assert orders[0] == {"number": "WO-2001", "display_name": "Harbor View Apartments"}


def account_names(engine: sa.Engine, sql: str) -> list[tuple[str, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def demo_in_quickbooks(engine: sa.Engine, run_sync: Any, push: Any) -> None:
    """The demo's order: masters, the reference pull, the rest of the data, the full sync."""
    first = seed_demo(engine, existing_qbo_customer="Mission Logistics Center")
    assert first.inserted == {"customers": 4, "vendors": 2, "work_orders": 4}
    run_sync(*REFERENCE)
    second = seed_demo(engine, existing_qbo_customer="Mission Logistics Center")
    assert second.problems == [] and second.waiting == []
    assert second.inserted == {**NOTHING_NEW, "items": 5, "invoices": 3, "bills": 2, "expenses": 3}
    run_sync("customers", "items", "vendors")
    for entity in ("invoices", "bills", "expenses"):
        counts = push(entity)
        assert counts.failed == 0 and counts.waiting == 0, counts


def test_demo_data_names_the_pulled_accounts_and_goes_to_quickbooks_once(
    sb: Any, engine: sa.Engine, run_sync: Any, push: Any
) -> None:
    demo_in_quickbooks(engine, run_sync, push)
    inventory = ("Sales of Product Income", "Cost of Goods Sold", "Inventory Asset")
    assert account_names(
        engine,
        "SELECT i.name, a.name, e.name, s.name FROM items i JOIN accounts a ON a.id = i.income_account_id "
        "JOIN accounts e ON e.id = i.expense_account_id JOIN accounts s ON s.id = i.asset_account_id "
        "WHERE i.name IN ('Pleated Air Filter 20x25x2 MERV 8', 'Programmable Thermostat 7-Day') "
        "ORDER BY i.id",
    ) == [("Pleated Air Filter 20x25x2 MERV 8", *inventory), ("Programmable Thermostat 7-Day", *inventory)]
    assert account_names(
        engine, "SELECT i.item_type, a.name FROM items i JOIN accounts a ON a.id = i.income_account_id "
        "WHERE i.name = 'Preventive Maintenance Visit'",
    ) == [("service", "Services")]  # fmt: skip
    assert account_names(
        engine,
        "SELECT d.name, c.name FROM qb_settings s JOIN accounts d ON d.id = s.expense_debit_account_id "
        "JOIN accounts c ON c.id = s.expense_credit_account_id",
    ) == [("Supplies & Materials", "Visa Business Card")]
    # the CMMS figures (lines, California tax on the taxable lines, the discount) are QuickBooks' own
    invoices = rows(engine, "SELECT invoice_number, total, qb_total_amt, tax_total, qb_total_tax, "
                    "discount_amount, qb_status FROM invoices WHERE invoice_number LIKE 'INV-500%' "
                    "ORDER BY invoice_number")  # fmt: skip
    assert [(i["invoice_number"], i["total"], i["tax_total"], i["discount_amount"]) for i in invoices] == [
        ("INV-5001", Decimal("328.41"), Decimal("13.41"), Decimal("15.00")),
        ("INV-5002", Decimal("487.32"), Decimal("11.82"), None),
        ("INV-5003", Decimal("811.19"), Decimal("32.19"), Decimal("40.00")),
    ]
    assert all(i["qb_total_amt"] == i["total"] and i["qb_total_tax"] == i["tax_total"] for i in invoices)
    assert {i["qb_status"] for i in invoices} == {"synced"}
    assert rows(engine, "SELECT count(*) AS n, sum(CASE WHEN qb_status = 'synced' THEN 1 END) AS synced "
                "FROM purchase_invoices") == [{"n": 2, "synced": 2}]  # fmt: skip
    assert scalar(engine, "SELECT count(*) FROM expenses WHERE qb_status = 'synced'") == 3
    in_qbo = [i["DocNumber"] for i in qbo(sb, "SELECT * FROM Invoice MAXRESULTS 1000")]
    assert sorted(n for n in in_qbo if n.startswith("INV-500")) == ["INV-5001", "INV-5002", "INV-5003"]
    # `make demo` again: nothing new in the CMMS, nothing created in QuickBooks
    assert seed_demo(engine, existing_qbo_customer="Mission Logistics Center").inserted == NOTHING_NEW
    sb.reset_counters()
    for entity in ("invoices", "bills", "expenses"):
        assert push(entity).created == 0
    writes = sb.counters()
    assert writes.get("write", 0) == 0 and writes.get("batch", 0) == 0, writes


def test_the_bookkeepers_partial_payment_is_recorded_once(
    sb: Any, client: QBOClient, engine: sa.Engine, run_sync: Any, push: Any
) -> None:
    with pytest.raises(DemoPaymentError, match="invoice INV-5001 is not in QuickBooks yet"):
        record_demo_payment(client, engine, sb.realm_id)
    demo_in_quickbooks(engine, run_sync, push)
    paid = record_demo_payment(client, engine, sb.realm_id)
    assert paid.recorded_now and paid.amount == Decimal("150.00") and paid.balance_left == Decimal("178.41")
    assert paid.describe() == (
        f"partial payment recorded in QuickBooks: payment {paid.qb_id} of 150.00 (check 4417) from "
        "Harbor View Apartments on invoice INV-5001; 178.41 left to pay"
    )
    customer = scalar(engine, "SELECT qb_id FROM customers WHERE display_name = 'Harbor View Apartments'")
    payments = qbo(sb, f"SELECT * FROM Payment WHERE CustomerRef = '{customer}'")
    assert [
        (p["Id"], p["TotalAmt"], p["PaymentRefNum"], p["PaymentMethodRef"]["name"]) for p in payments
    ] == [(paid.qb_id, 150, "4417", "Check")]
    again = record_demo_payment(client, engine, sb.realm_id)
    assert not again.recorded_now and again.qb_id == paid.qb_id and again.balance_left == Decimal("178.41")
    assert len(qbo(sb, f"SELECT * FROM Payment WHERE CustomerRef = '{customer}'")) == 1


def test_demo_payment_refuses_a_company_that_is_not_the_local_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qbo_sync.cli import main

    conn = {"conn_type": "quickbooks", "login": "id", "password": "secret",
            "extra": {"environment": "production", "realm_id": "123"}}  # fmt: skip
    monkeypatch.setenv("AIRFLOW_CONN_QUICKBOOKS_DEFAULT", json.dumps(conn))
    assert main(["demo-payment"]) == 1
    assert "connection quickbooks_default is a production QuickBooks company, not the local sandbox" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("quickbooks", "cmms", "said"),
    [
        # someone connected a real company in the demo's Airflow, then ran make run again
        ({"environment": "production", "realm_id": "123"}, "DEMO",
         "connection quickbooks_default is a production QuickBooks company, not the local sandbox"),
        # "local" by name, but pointing off this machine
        ({"environment": "local", "realm_id": "123", "host": "https://quickbooks.api.intuit.com"},
         "DEMO", "connection quickbooks_default points at 'quickbooks.api.intuit.com'"),
        ({"environment": "local", "realm_id": "123", "host": "http://127.0.0.1:9999"}, "DEMO",
         "points at port 9999, not at the demo sandbox's 8765"),
        # the CMMS connection re-pointed at the real CMMS
        ({"environment": "local", "realm_id": "123", "host": "http://127.0.0.1:8765"},
         "postgresql://postgres@127.0.0.1:5432/facilities_prod",
         "connection cmms_db points at postgresql://127.0.0.1/facilities_prod, not at the demo's CMMS"),
    ],
)  # fmt: skip
def test_the_demo_writes_only_into_the_local_sandbox_and_the_demo_cmms(
    quickbooks: dict, cmms: str, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from qbo_sync.cli import main

    demo_cmms = "postgresql://postgres@127.0.0.1:5432/cmms_demo"
    extra = {k: v for k, v in quickbooks.items() if k != "host"}
    conn = {"conn_type": "quickbooks", "login": "id", "password": "secret", "extra": extra}
    if "host" in quickbooks:
        conn["host"] = quickbooks["host"]
    monkeypatch.setenv("AIRFLOW_CONN_QUICKBOOKS_DEFAULT", json.dumps(conn))
    monkeypatch.setenv("AIRFLOW_CONN_CMMS_DB", demo_cmms if cmms == "DEMO" else cmms)
    assert main(["demo-guard", "--sandbox-port", "8765", "--cmms-uri", demo_cmms]) == 1
    err = capsys.readouterr().err
    assert said in err and "Nothing was written" in err
    if quickbooks["environment"] != "local" or "intuit" in str(quickbooks.get("host")):
        # seed-demo refuses too, before it opens the CMMS (no database needed for the refusal)
        assert main(["seed-demo"]) == 1
        assert said in capsys.readouterr().err


def test_the_demo_guard_passes_the_demos_own_connections(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qbo_sync.cli import main

    extra = {"environment": "local", "realm_id": "123"}
    conn = {"conn_type": "quickbooks", "login": "id", "password": "secret", "host": "http://127.0.0.1:8765"}
    conn["extra"] = extra
    monkeypatch.setenv("AIRFLOW_CONN_QUICKBOOKS_DEFAULT", json.dumps(conn))
    monkeypatch.setenv("AIRFLOW_CONN_CMMS_DB", "postgresql://postgres@127.0.0.1:5432/cmms_demo")
    args = [
        "demo-guard",
        "--sandbox-port",
        "8765",
        "--cmms-uri",
        "postgresql://postgres@127.0.0.1:5432/cmms_demo",
    ]
    assert main(args) == 0
    assert "the connections are the demo's" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"environment": "local", "redirect_uri": "http://localhost:8080/qbo/oauth/callback"},
         ("redirect_uri", "http://localhost:8091/qbo/oauth/callback")),
        ({"extra__quickbooks__environment": "local",
          "extra__quickbooks__redirect_uri": "http://127.0.0.1:8080/qbo/oauth/callback"},
         ("extra__quickbooks__redirect_uri", "http://127.0.0.1:8091/qbo/oauth/callback")),
        ({"environment": "local", "redirect_uri": "http://localhost:8091/qbo/oauth/callback"}, None),
        ({"environment": "sandbox", "redirect_uri": "http://localhost:8080/qbo/oauth/callback"}, None),
        ({"environment": "local", "redirect_uri": "https://airflow.example.com/qbo/oauth/callback"}, None),
    ],
)  # fmt: skip
def test_the_local_redirect_url_follows_airflows_port(extra: dict, expected: Any) -> None:
    """Only the demo's own loopback callback of a local connection moves with AIRFLOW_PORT."""
    assert follow_port(extra, 8091) == expected
    assert local_redirect_uris(8091) == [
        "http://localhost:8091/qbo/oauth/callback",
        "http://127.0.0.1:8091/qbo/oauth/callback",
    ]
