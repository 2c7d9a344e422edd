"""Pure parts of the payment run: reading QuickBooks' Payment shapes, planning windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from qbo_sync.payments.parse import parse_invoice, parse_payment
from qbo_sync.payments.window import OVERLAP, PaymentWindow, next_watermark, plan_window

META = {"CreateTime": "2026-11-30T09:00:00-08:00", "LastUpdatedTime": "2026-11-30T09:10:00-08:00"}


def _payment(**over: object) -> dict:
    body = {
        "Id": "77", "SyncToken": "2", "MetaData": META, "TxnDate": "2026-11-30", "TotalAmt": 150.5,
        "CustomerRef": {"value": "12", "name": "Acme"}, "PaymentRefNum": "CHK-9",
        "PaymentMethodRef": {"value": "2", "name": "Check"}, "UnappliedAmt": 0.5,
        "Line": [
            {"Amount": 100.0, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}],
             "LineEx": {"any": [{"name": "{http://schema.intuit.com/finance/v3}NameValue",
                                 "value": {"Name": "txnOpenBalance", "Value": "300.00"}}]}},
            {"Amount": 50.0, "LinkedTxn": [{"TxnId": "131", "TxnType": "Invoice"}]},
        ],
    }  # fmt: skip
    body.update(over)
    return body


def test_payment_with_line_ex_and_two_invoices() -> None:
    rec = parse_payment(_payment())
    assert (rec.qb_id, rec.sync_token, rec.status, rec.customer_qb_id) == ("77", "2", "active", "12")
    assert (rec.total_amount, rec.unapplied_amount, rec.payment_method) == (D("150.50"), D("0.50"), "Check")
    assert [(a.invoice_qb_id, a.amount) for a in rec.applications] == [
        ("130", D("100.00")),
        ("131", D("50.00")),
    ]
    assert rec.last_updated == datetime(2026, 11, 30, 17, 10, tzinfo=UTC) and rec.problems == []


def test_unapplied_amount_absent_is_total_minus_lines_and_credit_memo_is_not_an_invoice() -> None:
    body = _payment(Line=[{"Amount": 20, "LinkedTxn": [{"TxnId": "9", "TxnType": "CreditMemo"}]}])
    del body["UnappliedAmt"]
    rec = parse_payment(body)
    assert rec.applications == [] and rec.unapplied_amount == D("150.50")
    assert [(o.txn_id, o.txn_type, o.amount) for o in rec.other_links] == [("9", "CreditMemo", D("20.00"))]


@pytest.mark.parametrize(
    "shape",
    [
        {"Line": [], "TotalAmt": 0, "UnappliedAmt": 0},  # the stricter sandbox / QBO: no lines
        {"Line": [{"Amount": 0.0, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}], "TotalAmt": 0.0},
    ],
)
def test_voided_payment_both_shapes(shape: dict) -> None:
    rec = parse_payment(_payment(PrivateNote="Voided - paid twice", **shape))
    assert (rec.status, rec.total_amount, rec.unapplied_amount, rec.applications) == (
        "voided", D("0.00"), D("0.00"), []
    )  # fmt: skip


def test_unreadable_values_are_named_not_guessed() -> None:
    rec = parse_payment(_payment(TotalAmt="lots", TxnDate="30/11/2026", Line=[{"Amount": None, "LinkedTxn": [
        {"TxnId": "130", "TxnType": "Invoice"}]}]))  # fmt: skip
    assert rec.total_amount is None and rec.applications[0].amount is None
    assert rec.problems == [
        "TxnDate '30/11/2026' is not a date",
        "TotalAmt 'lots' is not a number",
        "Line 1: Amount None is not a number",
    ]


def test_invoice_state() -> None:
    links = [{"TxnId": "77", "TxnType": "Payment"}, {"TxnId": "5", "TxnType": "Estimate"}]
    inv = parse_invoice(
        {"Id": "130", "SyncToken": "4", "TotalAmt": 300, "Balance": 200.0, "DocNumber": "WO-1",
         "MetaData": META, "LinkedTxn": links}
    )  # fmt: skip
    assert (inv.total, inv.balance, inv.payment_ids, inv.doc_number) == (
        D("300.00"),
        D("200.00"),
        ["77"],
        "WO-1",
    )


T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=30)


def test_backfill_reads_exactly_its_interval() -> None:
    for mark in (None, T0 - timedelta(hours=5), T1 + timedelta(hours=1)):
        w = plan_window(
            run_type="backfill", choice="auto", interval_start=T0, interval_end=T1, watermark=mark
        )
        assert w == PaymentWindow(T0, T1, "data_interval")


def test_scheduled_run_catches_up_from_the_watermark() -> None:
    mark = T0 - timedelta(hours=2)
    w = plan_window(run_type="scheduled", choice="auto", interval_start=T0, interval_end=T1, watermark=mark)
    assert w == PaymentWindow(mark - OVERLAP, T1, "catch_up")
    w = plan_window(run_type="scheduled", choice="auto", interval_start=T0, interval_end=T1, watermark=T0)
    assert w == PaymentWindow(T0, T1, "data_interval")


def test_manual_run_reads_from_the_watermark_to_now() -> None:
    w = plan_window(run_type="manual", choice="auto", interval_start=T0, interval_end=T1, watermark=T0)
    assert w == PaymentWindow(T0 - OVERLAP, None, "since_watermark")
    w = plan_window(run_type="manual", choice="auto", interval_start=None, interval_end=None, watermark=None)
    assert w == PaymentWindow(None, None, "since_watermark")


def test_bad_window_param_and_data_interval_without_one() -> None:
    with pytest.raises(
        ValueError, match="param `window` must be one of auto, since_watermark, data_interval"
    ):
        plan_window(run_type="manual", choice="all", interval_start=None, interval_end=None, watermark=None)
    with pytest.raises(ValueError, match="needs a run with a data interval"):
        plan_window(
            run_type="manual", choice="data_interval", interval_start=None, interval_end=None, watermark=None
        )


def test_the_first_scheduled_run_reads_every_payment_quickbooks_has() -> None:
    # a fresh install, or a first run quarantined: no watermark yet, so nothing before this
    # interval may be skipped; the window reaches back to the beginning
    w = plan_window(run_type="scheduled", choice="auto", interval_start=T0, interval_end=T1, watermark=None)
    assert w == PaymentWindow(None, T1, "catch_up")
    assert next_watermark(None, w, T1) == T1


def test_watermark_moves_forward_only_without_gaps() -> None:
    assert next_watermark(None, PaymentWindow(T0, T1, "data_interval"), T1) == T1
    assert next_watermark(T0, PaymentWindow(T0, T1, "data_interval"), T1) == T1
    later = PaymentWindow(T1, T1 + timedelta(minutes=30), "data_interval")
    assert next_watermark(T0, later, T1 + timedelta(minutes=30)) == T0  # a gap: W(T0..T1) not loaded
    assert next_watermark(T1, PaymentWindow(T0, T1, "data_interval"), T1) == T1
    assert next_watermark(
        T1 + timedelta(hours=1), PaymentWindow(T0, T1, "data_interval"), T1
    ) == T1 + timedelta(hours=1)
