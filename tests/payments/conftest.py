"""Payment tests: invoices created in the sandbox and mirrored in the CMMS, payments recorded in
the sandbox over HTTP through the product's client, the ``qbo_payments`` DAG run with ``dag.test()``."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.dags.conftest import airflow_db  # noqa: F401 - Airflow metadata DB for dag.test()

DAGS = Path(__file__).resolve().parents[2] / "dags"
TASKS = ["preflight", "stage", "audit", "publish"]
# a run that went through: every step succeeded, the switched-off box was skipped
OK = {**dict.fromkeys(TASKS, "success"), "switched_off": "skipped"}
# a switched-off run: every step skipped, its one green box says why
SWITCHED_OFF = {**dict.fromkeys(TASKS, "skipped"), "switched_off": "success"}
_seq = itertools.count(1)


def payments_run(
    logical_date: datetime | None = None,
    window: str = "since_watermark",
    *,
    retry_delay: timedelta | None = None,
    run_type: str | None = None,
) -> Any:
    """One run of qbo_payments through ``dag.test()``; returns the finished DagRun.

    ``retry_delay``: the DAG's own retries (2), a shorter pause between them (an outage that
    outlasts them without a test waiting minutes). ``run_type`` (``scheduled``): the run Airflow's
    scheduler would create for this logical date; ``dag.test()`` itself only makes manual runs,
    so its hard-coded run type is swapped, nothing else.
    """
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.definitions.dag import SerializedDAG

    dag = DagBag(dag_folder=str(DAGS)).get_dag("qbo_payments")
    if retry_delay is not None:
        for task in dag.tasks:
            task.retry_delay = retry_delay
    if run_type is None:
        return dag.test(logical_date=logical_date, run_conf={"window": window})
    create = SerializedDAG.create_dagrun

    def as_run_type(self: Any, **kwargs: Any) -> Any:
        return create(self, **{**kwargs, "run_type": run_type})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SerializedDAG, "create_dagrun", as_run_type)
        return dag.test(logical_date=logical_date, run_conf={"window": window})


def run_payments(
    logical_date: datetime | None = None, window: str = "since_watermark", **kwargs: Any
) -> dict[str, str]:
    """One run of qbo_payments; returns {task_id: final state} (``kwargs``: see :func:`payments_run`)."""
    dr = payments_run(logical_date, window, **kwargs)
    return {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}


def q(engine: sa.Engine, sql: str, **params: Any) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


@dataclass
class World:
    """One CMMS customer linked to a sandbox customer, and helpers to make invoices and payments."""

    sandbox: Any
    engine: sa.Engine
    client: Any
    customer_qb: str
    customer_id: int
    item_qb: str

    def invoice(self, amount: str, *, known: bool = True) -> tuple[int | None, str]:
        """An invoice in QuickBooks (and, when ``known``, in the CMMS with its qb_id)."""
        n = next(_seq)
        number = f"WO-{n:04d}"
        obj = self.sandbox.company.create(
            "Invoice",
            {
                "CustomerRef": {"value": self.customer_qb},
                "DocNumber": number,
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": float(amount),
                        "SalesItemLineDetail": {
                            "ItemRef": {"value": self.item_qb},
                            "Qty": 1,
                            "UnitPrice": float(amount),
                            "TaxCodeRef": {"value": "NON"},
                        },
                    }
                ],
            },
        )
        if not known:
            return None, obj["Id"]
        with self.engine.begin() as conn:
            cmms_id = conn.execute(
                sa.text(
                    "INSERT INTO invoices (invoice_number, customer_id, subtotal, total, paid_amount, "
                    "balance, status, qb_id, qb_sync_token, qb_status) "
                    "VALUES (:n, :c, :t, :t, 0, :t, 'open', :q, :s, 'synced') RETURNING id"
                ),
                {
                    "n": number,
                    "c": self.customer_id,
                    "t": Decimal(amount),
                    "q": obj["Id"],
                    "s": obj["SyncToken"],
                },
            ).scalar_one()
        return cmms_id, obj["Id"]

    def pay(
        self, total: str, applied: dict[str, str], ref: str, direct: bool = False, **extra: Any
    ) -> dict[str, Any]:
        """Record a payment in QuickBooks over HTTP (``applied``: invoice qb id -> amount).

        ``direct``: through the sandbox's model instead (no HTTP request: the sandbox's counters do
        not move, and it works while the server is stopped). Over HTTP or not, a payment made inside
        ``company.backdated()`` is stamped with the block's time.
        """
        body = {
            "CustomerRef": {"value": self.customer_qb},
            "TotalAmt": float(total),
            "TxnDate": "2026-11-30",
            "PaymentRefNum": ref,
            "PaymentMethodRef": {"value": "2", "name": "Check"},
            "Line": [
                {"Amount": float(a), "LinkedTxn": [{"TxnId": inv, "TxnType": "Invoice"}]}
                for inv, a in applied.items()
            ],
            **extra,
        }
        if direct:
            return self.sandbox.company.create("Payment", body)
        return self.client.create("Payment", body, request_id=f"test-pay-{ref}-{next(_seq)}")

    def load_corrupt(self, like: dict[str, Any], invoice_qb: str, qb_id: str = "990001") -> dict[str, Any]:
        """A payment QuickBooks never sends (negative amount, 130.00 applied to ``invoice_qb``), a copy
        of ``like`` loaded raw into the sandbox: the batch holding it must be quarantined."""
        bad = dict(self.current(like["Id"]))
        line = {"Amount": 130.0, "LinkedTxn": [{"TxnId": invoice_qb, "TxnType": "Invoice"}]}
        bad.update(
            {"Id": qb_id, "TotalAmt": -25.0, "PaymentRefNum": "BAD-1", "SyncToken": "0", "Line": [line]}
        )
        bad.pop("MetaData")
        return self.sandbox.company.load_raw("Payment", bad)

    def current(self, qb_id: str) -> dict[str, Any]:
        return self.sandbox.company.read("Payment", qb_id)

    def qbo_balance(self, invoice_qb: str) -> Decimal:
        return Decimal(str(self.sandbox.company.read("Invoice", invoice_qb)["Balance"])).quantize(
            Decimal("0.01")
        )

    def number(self, cmms_id: int) -> str:
        return q(self.engine, "SELECT invoice_number FROM invoices WHERE id = :i", i=cmms_id)[0][0]

    def invoice_row(self, cmms_id: int) -> tuple[Decimal, Decimal, str]:
        r = q(self.engine, "SELECT paid_amount, balance, status FROM invoices WHERE id = :i", i=cmms_id)[0]
        return (r.paid_amount, r.balance, r.status)

    def log(self, qb_id: str) -> dict[str, Any]:
        """The payment log entry of one payment, with the invoices it paid."""
        rows = q(
            self.engine,
            "SELECT p.id, p.payment_date, p.total_amount, p.unapplied_amount, p.payment_method, "
            "p.reference_number, p.status, p.customer_id FROM payments p WHERE p.qb_id = :q",
            q=qb_id,
        )
        if not rows:
            return {}
        p = rows[0]
        apps = q(
            self.engine,
            "SELECT i.invoice_number, a.amount FROM payment_applications a "
            "JOIN invoices i ON i.id = a.invoice_id WHERE a.payment_id = :p ORDER BY i.invoice_number",
            p=p.id,
        )
        return {
            "date": str(p.payment_date),
            "amount": p.total_amount,
            "unapplied": p.unapplied_amount,
            "method": p.payment_method,
            "reference": p.reference_number,
            "status": p.status,
            "customer_id": p.customer_id,
            "paid": {a.invoice_number: a.amount for a in apps},
        }


@pytest.fixture(autouse=True)
def _gx_docs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Great Expectations Data Docs of the test's batches in its own folder (not AIRFLOW_HOME)."""
    folder = tmp_path / "gx_docs"
    monkeypatch.setenv("QBO_GX_DOCS_DIR", str(folder))
    return folder


@pytest.fixture()
def world(sandbox: Any, cmms: sa.Engine) -> World:
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    return make_world(sandbox, cmms, QuickBooksHook().get_conn())


def make_world(sandbox: Any, cmms: sa.Engine, client: Any) -> World:
    """A :class:`World` on ``cmms``: the sandbox's first active customer linked to a new CMMS one."""
    customer = sandbox.company.query("SELECT * FROM Customer WHERE Active = true MAXRESULTS 1")["Customer"][0]
    items = sandbox.company.query("SELECT * FROM Item WHERE Type = 'Service' MAXRESULTS 5")["Item"]
    with cmms.begin() as conn:
        cust_id = conn.execute(
            sa.text(
                "INSERT INTO customers (display_name, qb_id, qb_status) "
                "VALUES (:n, :q, 'synced') RETURNING id"
            ),
            {"n": customer["DisplayName"], "q": customer["Id"]},
        ).scalar_one()
    return World(sandbox, cmms, client, customer["Id"], cust_id, items[0]["Id"])


def as_json(obj: Any) -> str:
    return json.dumps(obj, default=str, sort_keys=True)
