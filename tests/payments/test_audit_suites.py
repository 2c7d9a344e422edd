"""The Great Expectations suites on hand-made frames: each expectation fails when it must."""

from __future__ import annotations

import math
from decimal import Decimal as D

import pandas as pd

from qbo_sync.payments.audit import validate
from qbo_sync.payments.frames import PAYMENT_COLUMNS, batch_frames
from qbo_sync.payments.parse import parse_invoice, parse_payment
from qbo_sync.payments.prepare import CmmsInvoice, PreparedBatch
from qbo_sync.payments.report import quarantine_report
from qbo_sync.payments.suites import BATCH_CHECKS, PUBLISHED_CHECKS
from qbo_sync.payments.versions import Version

NAN = math.nan


def _frames(payments: list[dict], applications: list[dict], invoices: list[dict]) -> dict[str, pd.DataFrame]:
    return {
        "payments": pd.DataFrame(
            payments,
            columns=PAYMENT_COLUMNS,
        ),
        "applications": pd.DataFrame(applications, columns=["payment", "invoice", "invoice_id", "amount"]),
        "invoices": pd.DataFrame(
            [{"total_allowed": i["total"], **i} for i in invoices],
            columns=["invoice", "invoice_number", "total", "total_allowed", "paid_amount"],
        ),
    }


def _pay(
    pid: str, total: float, unapplied: float = 0.0, applied: float | None = None, problem: str | None = None
):
    applied = total - unapplied if applied is None else applied
    return {"payment": pid, "status": "active", "problem": problem, "total_amount": total,
            "unapplied_amount": unapplied, "applied_amount": applied, "credit_amount": 0.0,
            "amount_with_credits": total}  # fmt: skip


def test_a_clean_batch_passes() -> None:
    frames = _frames(
        [_pay("1", 10000), _pay("2", 5000, 5000)],
        [{"payment": "1", "invoice": "130", "invoice_id": 7, "amount": 10000}],
        [{"invoice": "130", "invoice_number": "WO-1", "total": 30000, "paid_amount": 10000}],
    )
    result = validate(frames, BATCH_CHECKS, "t")
    assert (
        result.success
        and result.findings == []
        and set(result.results) == {"payments", "applications", "invoices"}
    )


def test_each_batch_expectation_names_the_rows_and_values() -> None:
    frames = _frames(
        [
            _pay("1", -2500),
            _pay("1", 100),
            _pay("3", NAN, 0, 0, "TotalAmt 'x' is not a number"),
            _pay("4", 100, 0, 300),
        ],
        [
            {"payment": "4", "invoice": "130", "invoice_id": None, "amount": 300},
            {"payment": "4", "invoice": "131", "invoice_id": 8, "amount": -100},
            {"payment": "4", "invoice": "131", "invoice_id": 8, "amount": 100},
        ],
        [{"invoice": "131", "invoice_number": "WO-2", "total": 5000, "paid_amount": 7000}],
    )
    result = validate(frames, BATCH_CHECKS, "t")
    failed = {f.check: f.rows for f in result.findings}
    assert not result.success
    assert failed["QuickBooks payment ids are unique in the batch"] == [{"payment": "1"}, {"payment": "1"}]
    assert failed["total_amount is not negative"] == [{"payment": "1", "total_amount": "-25.00"}]
    assert failed["the payment could be read"] == [
        {"payment": "3", "problem": "TotalAmt 'x' is not a number"}
    ]
    assert failed["the payment amount is a number"] == [{"payment": "3", "total_amount": "(missing)"}]
    assert failed["a payment applies no more than its amount"] == [
        {"payment": "4", "amount_with_credits": "1.00", "applied_amount": "3.00"}
    ]
    assert failed["amount is not negative"] == [{"payment": "4", "invoice": "131", "amount": "-1.00"}]
    assert failed["every applied invoice is known to the CMMS"] == [
        {"payment": "4", "invoice": "130", "invoice_id": "(missing)"}
    ]
    assert len(failed["one application per payment and invoice"]) == 2
    assert failed["applications never exceed the invoice's total"] == [
        {"invoice": "131", "invoice_number": "WO-2", "total_allowed": "50.00", "paid_amount": "70.00"}
    ]
    report = quarantine_report(12, "data_interval window", "before publishing", result)
    assert report.startswith("Payment batch 12 (data_interval window) was quarantined before publishing")
    assert "- total_amount is not negative [ExpectColumnValuesToBeBetween on payments]: 1 row(s)" in report
    assert "    payment = 1, total_amount = -25.00" in report


def test_published_expectations() -> None:
    cols = [
        "invoice",
        "invoice_number",
        "total",
        "total_allowed",
        "paid_amount",
        "balance",
        "paid_plus_balance",
        "qbo_balance",
        "qbo_paid",
    ]
    frame = pd.DataFrame(
        [
            ["1", "WO-1", 1000, 1000, 400, 600, 1000, 600, 400],  # right
            ["2", "WO-2", 1000, 1000, 400, 600, 1000, NAN, NAN],  # QuickBooks changed it later
            ["3", "WO-3", 1000, 1000, 400, 500, 900, 500, 400],  # paid + balance != total
            ["4", "WO-4", 1000, 1000, 400, 600, 1000, 700, 300],  # CMMS balance and paid != QuickBooks'
            ["5", "WO-5", 1000, 1000, 0, 1000, 1000, NAN, 0],  # voided in QuickBooks: only paid compared
            ["6", "WO-6", 1000, 1000, 400, 600, 1000, NAN, 500],  # total edited there, a payment missing
            ["7", "WO-7", 1000, 1200, 1200, -200, 1000, NAN, 1200],  # edited upward there, paid in full
            ["8", "WO-8", 1000, 1000, 1200, -200, 1000, 0, 1200],  # paid beyond both totals
        ],
        columns=cols,
    )
    result = validate({"invoices": frame}, PUBLISHED_CHECKS, "t")
    failed = {f.check: f.rows for f in result.findings}
    paid_check = "the CMMS paid amount equals what QuickBooks shows paid (TotalAmt - Balance)"
    assert set(failed) == {
        "paid amount + balance = total",
        "the CMMS balance equals QuickBooks' invoice Balance",
        paid_check,
        "applications never exceed the invoice's total",
    }
    assert [r["invoice"] for r in failed["applications never exceed the invoice's total"]] == ["8"]
    assert [r["invoice"] for r in failed["paid amount + balance = total"]] == ["3"]
    assert failed["the CMMS balance equals QuickBooks' invoice Balance"] == [
        {"invoice": "4", "invoice_number": "WO-4", "balance": "6.00", "qbo_balance": "7.00"},
        {"invoice": "8", "invoice_number": "WO-8", "balance": "-2.00", "qbo_balance": "0.00"},
    ]
    assert [(r["invoice"], r["paid_amount"], r["qbo_paid"]) for r in failed[paid_check]] == [
        ("4", "4.00", "3.00"),
        ("6", "4.00", "5.00"),
    ]


def test_empty_frames_pass_without_great_expectations() -> None:
    assert validate(_frames([], [], []), BATCH_CHECKS, "t").results == {}


def _qbo_payment(pid: str, total: float, lines: list[tuple[str, str, float]]) -> dict:
    """A Payment as QuickBooks sends it; ``lines``: (TxnType, TxnId, Amount)."""
    return {
        "Id": pid,
        "SyncToken": "0",
        "CustomerRef": {"value": "58"},
        "TotalAmt": total,
        "UnappliedAmt": 0,
        "TxnDate": "2026-11-30",
        "Line": [{"Amount": a, "LinkedTxn": [{"TxnId": t, "TxnType": kind}]} for kind, t, a in lines],
        "MetaData": {"LastUpdatedTime": "2026-11-30T10:00:00-08:00"},
    }


def _batch(payments: list[dict], invoices: dict[str, tuple[str, str]]) -> PreparedBatch:
    """Parsed payments; ``invoices``: QuickBooks Id -> (CMMS total, QuickBooks TotalAmt)."""
    b = PreparedBatch(payments=[parse_payment(p) for p in payments])
    for n, (qb, (cmms_total, qbo_total)) in enumerate(invoices.items(), 1):
        b.invoices_cmms[qb] = CmmsInvoice(n, qb, f"WO-{n}", D(cmms_total))
        b.invoices_qbo[qb] = parse_invoice({"Id": qb, "SyncToken": "1", "TotalAmt": qbo_total, "Balance": 0})
    return b


def test_credit_memo_lines_count_toward_what_a_payment_may_apply() -> None:
    """Invoice 100.00, credit memo 30.00, customer pays 70.00 (TotalAmt 70, invoice line 100); a
    0.00 payment that only applies a credit memo; a payment applying more than money plus credit."""
    b = _batch(
        [
            _qbo_payment("1", 70, [("Invoice", "130", 100), ("CreditMemo", "900", 30)]),
            _qbo_payment("2", 0, [("Invoice", "131", 25), ("CreditMemo", "901", 25)]),
            _qbo_payment("3", 70, [("Invoice", "132", 150), ("CreditMemo", "902", 30)]),
        ],
        {"130": ("100.00", "100.00"), "131": ("25.00", "25.00"), "132": ("150.00", "150.00")},
    )
    frames = batch_frames(b)
    assert list(frames["payments"]["amount_with_credits"]) == [10000.0, 2500.0, 10000.0]
    result = validate(frames, BATCH_CHECKS, "t")
    failed = {f.check: f.rows for f in result.findings}
    assert set(failed) == {"a payment applies no more than its amount"}
    assert failed["a payment applies no more than its amount"] == [
        {"payment": "3", "amount_with_credits": "100.00", "applied_amount": "150.00"}
    ]
    b.payments = b.payments[:2]
    assert validate(batch_frames(b), BATCH_CHECKS, "t").success


def test_an_invoice_edited_upward_in_quickbooks_may_be_paid_to_its_quickbooks_total() -> None:
    b = _batch(
        [
            _qbo_payment("1", 120, [("Invoice", "130", 120)]),
            _qbo_payment("2", 130, [("Invoice", "131", 130)]),
        ],
        {"130": ("100.00", "120.00"), "131": ("100.00", "120.00")},
    )
    result = validate(batch_frames(b), BATCH_CHECKS, "t")
    failed = {f.check: f.rows for f in result.findings}
    assert failed == {
        "applications never exceed the invoice's total": [
            {"invoice": "131", "invoice_number": "WO-2", "total_allowed": "120.00", "paid_amount": "130.00"}
        ]
    }
    b.stale_invoices["130"] = Version("0", None)  # an older copy of QuickBooks' total is not used
    assert batch_frames(b)["invoices"]["total_allowed"].tolist() == [10000.0, 12000.0]


def test_a_payment_staged_twice_keeps_its_newest_version() -> None:
    from qbo_sync.payments.prepare import _records

    old = _qbo_payment("1", 50, [("Invoice", "130", 50)])
    new = {**_qbo_payment("1", 80, [("Invoice", "130", 80)]), "SyncToken": "1"}
    later = {**new, "TotalAmt": 90, "MetaData": {"LastUpdatedTime": "2026-11-30T11:00:00-08:00"}}
    for staged in ([new, old], [old, new]):
        assert [(r.qb_id, r.total_amount) for r in _records({"Payment": staged})] == [("1", D("80.00"))]
    assert [r.total_amount for r in _records({"Payment": [later, new]})] == [D("90.00")]
