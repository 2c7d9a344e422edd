"""Test helper: the CMMS side of the property runs.

- :class:`CmmsInvoices`: a bookkeeper's invoices written in the CMMS as the CMMS application writes
  them (lines, tax code, discount; totals computed by the CMMS from its tax rates), edited and voided.
- :class:`Runs`: the product's own runs against the sandbox (master sync, transaction push, payment
  pipeline), each under an optional scripted transport fault; a run that gives up is run again, as
  Airflow retries a failed task.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import Mapping
from qbo_sync.qbo.errors import RetriableError
from qbo_sync.sync import EntitySync, SyncCounts
from qbo_sync.sync.push.txn import TransactionPush
from tests.reconcile.mirror import client_for
from tests.transactions.txn_helpers import MASTERS

CENT = Decimal("0.01")
FAULT_KINDS = ("429", "500", "503", "drop", "timeout_after_commit", "drop_after_commit")
# which requests a fault hits: the first ones of the run, or the first of one kind
TARGETS = {"any": r"/v3/company/", "batch": r"/batch\?", "query": r"/query\?", "cdc": r"/cdc\?"}
ITEM_TYPES = ("service", "non_inventory")
TAX_CODES = ("2", "3", "4")  # California, Alameda County, Contra Costa County (one or two rates)


@dataclass(frozen=True)
class Fault:
    """A transport fault scripted in the sandbox for the next ``times`` requests the target matches."""

    kind: str
    times: int
    target: str = "any"

    def __str__(self) -> str:
        return f"{self.kind} x{self.times} on {self.target}"


@dataclass(frozen=True)
class InvoiceSpec:
    """A new CMMS invoice: customer, lines (item, quantity, unit price in cents), an optional tax code
    for all its lines (index into :data:`TAX_CODES`), a discount (a percentage of the subtotal, kept
    as an amount), its age in days."""

    customer: int
    lines: tuple[tuple[int, int, int], ...]
    tax: int | None = None
    discount: int = 0
    days_ago: int = 0


class CmmsInvoices:
    """Invoices as the CMMS writes them: it computes subtotal, tax (each rate of the tax code on the
    taxable amount, rounded half up, as QuickBooks does without ``ApplyTaxAfterDiscount``), total and
    balance (total less what the payment pipeline applied)."""

    def __init__(self, engine: sa.Engine, company: Any, today: date) -> None:
        self.engine, self.today = engine, today
        with engine.connect() as conn:
            self.customers = [
                int(i)
                for (i,) in conn.execute(
                    sa.text("SELECT id FROM customers WHERE qb_id IS NOT NULL AND active ORDER BY qb_id::int")
                )
            ][:6]
            self.items = [
                int(i)
                for (i,) in conn.execute(
                    sa.text(
                        "SELECT id FROM items WHERE qb_id IS NOT NULL AND active AND item_type IN :t "
                        "ORDER BY qb_id::int"
                    ).bindparams(sa.bindparam("t", expanding=True)),
                    {"t": list(ITEM_TYPES)},
                )
            ][:4]
            codes = dict(
                conn.execute(sa.text("SELECT qb_id, id FROM tax_codes WHERE qb_id IS NOT NULL")).all()
            )
        self.tax_code_ids = [int(codes[q]) for q in TAX_CODES]
        rates = {
            r["Id"]: Decimal(str(r["RateValue"])) for r in company.query("SELECT * FROM TaxRate")["TaxRate"]
        }
        self.rates: dict[int, list[Decimal]] = {}
        for code in company.query("SELECT * FROM TaxCode")["TaxCode"]:
            if code["Id"] in TAX_CODES:
                details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
                self.rates[int(codes[code["Id"]])] = [rates[d["TaxRateRef"]["value"]] for d in details]
        self.mine: list[int] = []  # CMMS ids of the invoices created here, in order
        self._next = 0

    def create(self, spec: InvoiceSpec, number: str | None = None) -> int:
        self._next += 1
        when = self.today - timedelta(days=spec.days_ago)
        code = self.tax_code_ids[spec.tax] if spec.tax is not None else None
        with self.engine.begin() as conn:
            new_id = conn.execute(
                sa.text(
                    "INSERT INTO invoices (invoice_number, customer_id, invoice_date, due_date, "
                    "discount_amount, total, balance, status) VALUES (:n, :c, :d, :due, :disc, 0, 0, 'open') "
                    "RETURNING id"
                ),
                {
                    "n": number or f"P-{self._next:04d}",
                    "c": self.customers[spec.customer % len(self.customers)],
                    "d": when,
                    "due": when + timedelta(days=30),
                    "disc": self._discount(spec),
                },
            ).scalar_one()
            for item, qty, cents in spec.lines:
                self._add_line(conn, new_id, item, qty, cents, code)
            self._totals(conn, new_id)
        self.mine.append(int(new_id))
        return int(new_id)

    def _discount(self, spec: InvoiceSpec) -> Decimal | None:
        subtotal = sum(
            (
                (qty * Decimal(cents) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
                for _, qty, cents in spec.lines
            ),
            Decimal(0),
        )
        return (subtotal * spec.discount / 100).quantize(CENT) if spec.discount else None

    def edit(self, index: int, kind: str) -> int | None:
        """Edit one of :attr:`mine` (not void): ``add_line``, ``more`` (line 1 one more), ``describe``
        (line 1 text only) or ``tax`` (all lines taxed). Edits never lower the total (a lower total
        could fall below what QuickBooks already has applied to it)."""
        live = self._live()
        if not live:
            return None
        inv = live[index % len(live)]
        with self.engine.begin() as conn:
            first = (
                conn.execute(
                    sa.text("SELECT * FROM invoice_lines WHERE invoice_id = :i ORDER BY line_no LIMIT 1"),
                    {"i": inv},
                )
                .mappings()
                .one()
            )
            if kind == "add_line":
                self._add_line(conn, inv, index + 1, 1 + index % 3, 1000 + 37 * index, first["tax_code_id"])
            elif kind == "more":
                conn.execute(
                    sa.text(
                        "UPDATE invoice_lines SET quantity = quantity + 1, "
                        "amount = round((quantity + 1) * unit_price, 2) WHERE id = :l"
                    ),
                    {"l": first["id"]},
                )
            elif kind == "describe":
                conn.execute(
                    sa.text(
                        "UPDATE invoice_lines SET description = description || ' (revised)' WHERE id = :l"
                    ),
                    {"l": first["id"]},
                )
            elif kind == "tax" and first["tax_code_id"] is None:
                conn.execute(
                    sa.text("UPDATE invoice_lines SET tax_code_id = :t WHERE invoice_id = :i"),
                    {"t": self.tax_code_ids[index % len(self.tax_code_ids)], "i": inv},
                )
            self._totals(conn, inv)
        return inv

    def void(self, index: int, paid_in_qbo: set[str]) -> int | None:
        """Void one CMMS invoice (any, history included) with no payment applied in QuickBooks now
        (``paid_in_qbo``: invoice numbers with payments applied there; QuickBooks refuses to void
        those). One whose payment was deleted in QuickBooks, even before the payment pipeline pulled
        the deletion, is fair game: the pipeline must not stall on it."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, invoice_number FROM invoices i WHERE status <> 'void' ORDER BY id")
            ).all()
        candidates = [int(i) for i, number in rows if number not in paid_in_qbo]
        if not candidates:
            return None
        inv = candidates[index % len(candidates)]
        with self.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE invoices SET status = 'void', updated_at = now() WHERE id = :i"), {"i": inv}
            )
        return inv

    def void_numbers(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(
                conn.execute(sa.text("SELECT invoice_number FROM invoices WHERE status = 'void'")).scalars()
            )

    def _live(self) -> list[int]:
        if not self.mine:
            return []
        with self.engine.connect() as conn:
            voided = set(
                conn.execute(
                    sa.text("SELECT id FROM invoices WHERE status = 'void' AND id = ANY(:i)"),
                    {"i": self.mine},
                ).scalars()
            )
        return [i for i in self.mine if i not in voided]

    def _add_line(
        self, conn: sa.Connection, invoice: int, item: int, qty: int, cents: int, tax_code: int | None
    ) -> None:
        price = Decimal(cents) / 100
        conn.execute(
            sa.text(
                "INSERT INTO invoice_lines (invoice_id, line_no, item_id, description, quantity, unit_price, "
                "amount, tax_code_id) VALUES (:i, (SELECT coalesce(max(line_no), 0) + 1 FROM invoice_lines "
                "WHERE invoice_id = :i), :item, :d, :q, :p, :a, :t)"
            ),
            {
                "i": invoice,
                "item": self.items[item % len(self.items)],
                "d": f"work item {item}",
                "q": qty,
                "p": price,
                "a": (qty * price).quantize(CENT, rounding=ROUND_HALF_UP),
                "t": tax_code,
            },
        )

    def _totals(self, conn: sa.Connection, invoice: int) -> None:
        lines = conn.execute(
            sa.text("SELECT amount, tax_code_id FROM invoice_lines WHERE invoice_id = :i"), {"i": invoice}
        ).all()
        subtotal = sum((Decimal(a) for a, _ in lines), Decimal(0))
        codes = {c for _, c in lines if c is not None}
        taxable = sum((Decimal(a) for a, c in lines if c is not None), Decimal(0))
        tax = sum(
            (
                (taxable * r / 100).quantize(CENT, rounding=ROUND_HALF_UP)
                for c in codes
                for r in self.rates[c]
            ),
            Decimal(0),
        )
        conn.execute(
            sa.text(
                "UPDATE invoices SET subtotal = :s, tax_total = :tax, "
                "total = :s - coalesce(discount_amount, 0) + :tax, "
                "balance = :s - coalesce(discount_amount, 0) + :tax - paid_amount, updated_at = now() "
                "WHERE id = :i"
            ),
            {"s": subtotal, "tax": tax, "i": invoice},
        )


@dataclass
class Runs:
    """The product's runs on one CMMS and the sandbox, each under an optional fault.

    The client gives up after 2 attempts (a read timeout of 1 s, no waiting between retries, a fake
    clock for the pauses after a 429); a run that gives up is run again, up to 3 runs (Airflow's
    retries), unless ``rerun`` is off: then what it left (an open send) is the next run's to resolve."""

    sb: Any
    engine: sa.Engine
    mappings: dict[str, Mapping]
    gave_up: int = 0
    faults_met: int = 0  # scripted fault answers the runs actually received
    pushed: Counter[str] = field(default_factory=Counter)  # push outcomes over all runs
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = client_for(self.sb, timeout=(2, 1), max_attempts=2)
        self._n = 0

    def masters(self, fault: Fault | None = None) -> None:
        for entity in MASTERS:
            self._under(fault, f"sync {entity}", lambda e=entity: self._entity_sync(e))
            fault = None

    def push(self, fault: Fault | None = None, *, rerun: bool = True) -> SyncCounts | None:
        return self._under(fault, "push invoices", self._push, rerun=rerun)

    def pull_payments(self, fault: Fault | None = None) -> dict[str, Any] | None:
        """A manual run of the payment DAG (window since the watermark): stage, audit, publish."""
        return self._under(fault, "pull payments", self._pull)

    def _entity_sync(self, entity: str) -> SyncCounts:
        self._n += 1
        return EntitySync(
            self.mappings[entity], self.client, self.engine, realm_id=self.sb.realm_id, run_key=f"p{self._n}"
        ).run()

    def _push(self) -> SyncCounts:
        self._n += 1
        counts = TransactionPush(
            self.mappings["invoices"],
            self.client,
            self.engine,
            realm_id=self.sb.realm_id,
            run_key=f"p{self._n}",
        ).run()
        self.log.append(f"  push: {counts}")
        self.pushed.update(created=counts.created, updated=counts.updated, linked=counts.linked)
        return counts

    def _pull(self) -> dict[str, Any]:
        from qbo_sync.payments.run import audit_batch, publish_batch, stage_window
        from qbo_sync.payments.store import read_watermark
        from qbo_sync.payments.window import plan_window

        self._n += 1
        window = plan_window(
            run_type="manual",
            choice="since_watermark",
            interval_start=None,
            interval_end=None,
            watermark=read_watermark(self.engine, self.sb.realm_id),
        )
        staged = stage_window(self.engine, self.client, self.sb.realm_id, window, f"p{self._n}")
        audit_batch(self.engine, staged["batch_id"])
        published = publish_batch(self.engine, self.sb.realm_id, staged["batch_id"])
        self.log.append(f"  pull: {window.describe()}: {published}")
        return published

    def _under(self, fault: Fault | None, what: str, run: Any, *, rerun: bool = True) -> Any:
        self.log.append(f"{what} under {fault or 'no fault'}")
        if fault is not None:
            self.sb.add_fault("*", TARGETS[fault.target], fault.kind, times=fault.times)
        try:
            for _ in range(3 if rerun else 1):
                try:
                    return run()
                except RetriableError as exc:
                    self.gave_up += 1
                    self.log.append(f"  gave up: {exc}")
            if rerun:
                raise AssertionError(f"{what}: three runs under {fault} did not get through")
            return None
        finally:
            left = sum(rule["times"] for rule in self.sb.faults.pending())
            self.faults_met += fault.times - left if fault is not None else 0
            self.sb.faults.clear()  # a fault its target never met does not leak into the next step
