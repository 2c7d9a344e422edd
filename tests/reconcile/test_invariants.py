"""Property tests of the books' invariants over random sequences of QuickBooks activity.

Hypothesis draws a sequence of invoices, partial, full and split payments, unapplied payments,
voided and deleted payments and voided invoices, applied to the sandbox company; a CMMS holding
the invoices as the pushes left them, once the payment pipeline (stage, Great Expectations audit,
publish) has pulled every payment, must reconcile with no drift at all,
which proves the invariants: every invoice's paid + balance = total and equals QuickBooks'
``Balance``, each customer's balance equals the CustomerBalance report, the aging equals the
AgedReceivables report and QuickBooks' trial balance balances. Then one fault is injected on one
side, and the drift must be found, with the right check and cause.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbo_sync.reconcile.run import reconcile
from tests.reconcile.mirror import client_for, mirror_books

pytestmark = pytest.mark.postgres

CENTS = st.integers(min_value=100, max_value=50_000)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), st.integers(0, 5), CENTS),
        st.tuples(
            st.just("pay"), st.integers(0, 30), st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal(1)])
        ),
        st.tuples(st.just("split"), st.integers(0, 30), st.integers(0, 30)),
        st.tuples(st.just("unapplied"), st.integers(0, 5), CENTS),
        st.tuples(st.just("void_payment"), st.integers(0, 30), st.just(0)),
        st.tuples(st.just("delete_payment"), st.integers(0, 30), st.just(0)),
        st.tuples(st.just("void_invoice"), st.integers(0, 30), st.just(0)),
    ),
    min_size=1,
    max_size=15,
)
FAULTS = st.sampled_from(["hand_edit_total", "payment_not_pulled", "invoice_voided_in_qbo", "none"])
CMMS_TABLES = (
    "payment_applications",
    "payments",
    "expenses",
    "purchase_invoices",
    "invoices",
    "customers",
    "vendors",
    "sync_drift",
    "sync_watermarks",
    "sync_staging",
    "payment_batches",
    "payment_links_not_applied",
)


class Books:
    """The sandbox company, driven like a bookkeeper would."""

    def __init__(self, sb: Any) -> None:
        self.co = sb.company
        self.customers = [c["Id"] for c in self.co.query("SELECT * FROM Customer MAXRESULTS 6")["Customer"]]
        items = self.co.query("SELECT * FROM Item MAXRESULTS 1000")["Item"]
        self.item = next(i["Id"] for i in items if i["Type"] == "Service")
        # the demo company's own invoices and payments are fair game too
        self.invoices: list[str] = [
            i["Id"] for i in self.co.query("SELECT * FROM Invoice MAXRESULTS 1000")["Invoice"]
        ]
        self.payments: list[str] = [
            p["Id"] for p in self.co.query("SELECT * FROM Payment MAXRESULTS 1000")["Payment"]
        ]

    def _read(self, entity: str, obj_id: str) -> dict[str, Any]:
        return self.co.read(entity, obj_id)

    def invoice(self, customer: int, cents: int) -> None:
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": cents / 100,
            "SalesItemLineDetail": {"ItemRef": {"value": self.item}},
        }
        obj = self.co.create("Invoice", {"CustomerRef": {"value": self.customers[customer]}, "Line": [line]})
        self.invoices.append(obj["Id"])

    def pay(self, index: int, share: Decimal) -> None:
        inv = self._pick_open(index)
        if inv is not None:
            amount = (Decimal(str(inv["Balance"])) * share).quantize(Decimal("0.01"))
            self._payment(inv["CustomerRef"], [(inv["Id"], amount)], amount)

    def split(self, a: int, b: int) -> None:
        first, second = self._pick_open(a), self._pick_open(b + 1)
        if first and second and first["Id"] != second["Id"] and first["CustomerRef"] == second["CustomerRef"]:
            parts = [(first["Id"], Decimal(str(first["Balance"]))), (second["Id"], Decimal("1.00"))]
            self._payment(first["CustomerRef"], parts, sum((p[1] for p in parts), Decimal(0)))

    def unapplied(self, customer: int, cents: int) -> None:
        self._payment({"value": self.customers[customer]}, [], Decimal(cents) / 100)

    def void_payment(self, index: int, _: int = 0) -> None:
        if self.payments:
            pay = self._read("Payment", self.payments[index % len(self.payments)])
            if pay.get("TotalAmt"):
                self.co.void("Payment", {"Id": pay["Id"], "SyncToken": pay["SyncToken"]})

    def delete_payment(self, index: int, _: int = 0) -> None:
        if self.payments:
            pay_id = self.payments.pop(index % len(self.payments))
            pay = self._read("Payment", pay_id)
            self.co.delete("Payment", {"Id": pay_id, "SyncToken": pay["SyncToken"]})

    def void_invoice(self, index: int, _: int = 0) -> None:
        inv = self._pick_open(index)
        if inv is not None and Decimal(str(inv["Balance"])) == Decimal(str(inv["TotalAmt"])):
            self.co.void("Invoice", {"Id": inv["Id"], "SyncToken": inv["SyncToken"]})

    def _pick_open(self, index: int) -> dict[str, Any] | None:
        open_ = [
            i for i in (self._read("Invoice", x) for x in self.invoices) if Decimal(str(i["Balance"])) > 0
        ]
        return open_[index % len(open_)] if open_ else None

    def _payment(self, customer: dict[str, Any], parts: list[tuple[str, Decimal]], total: Decimal) -> None:
        lines = [
            {"Amount": float(a), "LinkedTxn": [{"TxnId": i, "TxnType": "Invoice"}]} for i, a in parts if a > 0
        ]
        obj = self.co.create("Payment", {"CustomerRef": customer, "TotalAmt": float(total), "Line": lines})
        self.payments.append(obj["Id"])


def pull_payments(engine: sa.Engine, client: Any, realm_id: str) -> None:
    """What ``qbo_payments`` does, over all time: stage, audit with Great Expectations, publish."""
    from qbo_sync.payments.run import audit_batch, publish_batch, stage_window
    from qbo_sync.payments.window import PaymentWindow

    staged = stage_window(engine, client, realm_id, PaymentWindow(None, None, "since_watermark"), "prop")
    audit_batch(engine, staged["batch_id"])
    publish_batch(engine, realm_id, staged["batch_id"])


@pytest.fixture(scope="module")
def cmms_engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from qbo_sync.db.engine import create_engine
    from qbo_sync.db.migrate import upgrade
    from tests.conftest import create_database, drop_database

    url = create_database()
    upgrade(url)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    drop_database(url)


def _fresh(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(CMMS_TABLES)} RESTART IDENTITY CASCADE"))


def _inject(fault: str, engine: sa.Engine, books: Books) -> tuple[str, str] | None:
    """Make one side differ; returns the (check prefix, cause start) the run must report."""
    live = [books._read("Invoice", i) for i in books.invoices]
    target = next((i for i in live if Decimal(str(i["Balance"])) > 1), None)
    if fault == "none" or target is None:
        return None
    if fault == "hand_edit_total":
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE invoices SET total = total + 1, balance = balance + 1 WHERE qb_id = :q"),
                {"q": target["Id"]},
            )
        return "invoice.total", "QuickBooks computed a different total"
    if fault == "payment_not_pulled":
        books._payment(target["CustomerRef"], [(target["Id"], Decimal("1.00"))], Decimal("1.00"))
        return "invoice.balance", "payment recorded in QuickBooks not yet pulled"
    unpaid = next(
        (i for i in live if i["Balance"] == i["TotalAmt"] and Decimal(str(i["TotalAmt"])) > 0), None
    )
    if unpaid is None:
        return None
    books.co.void("Invoice", {"Id": unpaid["Id"], "SyncToken": unpaid["SyncToken"]})
    return "invoice.voided", "invoice voided in QuickBooks"


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS, fault=FAULTS)
def test_mirrored_books_reconcile_exactly_and_injected_drift_is_found(
    sandbox, cmms_engine, ops, fault
) -> None:
    sandbox.reset()
    _fresh(cmms_engine)
    books = Books(sandbox)
    for name, a, b in ops:
        getattr(books, name)(a, b)
    # the invoices as the pushes left them; the payments come in through the payment pipeline
    mirror_books(cmms_engine, sandbox.company, payments=False)
    client = client_for(sandbox)
    pull_payments(cmms_engine, client, sandbox.realm_id)
    in_qbo = sandbox.company.query("SELECT COUNT(*) FROM Payment")["totalCount"]
    with cmms_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM payments")).scalar() == in_qbo > 0
    as_of = sandbox.clock.now().date()
    clean = reconcile(cmms_engine, client, sandbox.realm_id, as_of=as_of, run_id="prop", heal=False)
    assert clean["differences"] == 0, clean["validation"]["worst"]
    with cmms_engine.connect() as conn:
        broken = conn.execute(
            sa.text("SELECT count(*) FROM invoices WHERE paid_amount + balance <> total")
        ).scalar()
    assert broken == 0

    expected = _inject(fault, cmms_engine, books)
    after = reconcile(cmms_engine, client, sandbox.realm_id, as_of=as_of, run_id="prop", heal=False)
    if expected is None:
        assert after["differences"] == 0
        return
    with cmms_engine.connect() as conn:
        found = conn.execute(sa.text("SELECT check_name, cause FROM sync_drift WHERE status = 'open'")).all()
    assert any(c == expected[0] and cause.startswith(expected[1]) for c, cause in found), found
