"""The expectations a payment batch must meet, by name (Great Expectations 1.x types).

Frames (built by :mod:`qbo_sync.payments.frames`; money in integer cents):

- ``payments``: one row per staged payment (``payment`` = QuickBooks Id); ``amount_with_credits``
  is ``TotalAmt`` plus the credit memo lines the payment uses (what its invoice lines may add up to).
- ``applications``: one row per payment and CMMS invoice it pays (lines for invoices the CMMS
  does not know are logged as not applicable before this, and are not in the frame).
- ``invoices``: before publishing, each touched invoice's projected paid amount; after publishing
  (inside the publish transaction), the paid amount and balance the CMMS now holds, next to
  QuickBooks' ``Balance`` (empty where QuickBooks' balance already includes a later window).
  ``total_allowed`` is the larger of the CMMS total and QuickBooks' ``TotalAmt`` (an invoice edited
  upward in QuickBooks and paid in full there); ``total`` stays the CMMS total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Check:
    name: str  # what a person reads in the quarantine report
    frame: str
    expectation: str  # Great Expectations class name
    kwargs: dict[str, Any] = field(default_factory=dict)


def _not_negative(frame: str, column: str) -> Check:
    return Check(
        f"{column} is not negative",
        frame,
        "ExpectColumnValuesToBeBetween",
        {"column": column, "min_value": 0},
    )


def _present(frame: str, column: str, what: str) -> Check:
    return Check(what, frame, "ExpectColumnValuesToNotBeNull", {"column": column})


BATCH_CHECKS: tuple[Check, ...] = (
    Check(
        "QuickBooks payment ids are unique in the batch",
        "payments",
        "ExpectColumnValuesToBeUnique",
        {"column": "payment"},
    ),
    Check("the payment could be read", "payments", "ExpectColumnValuesToBeNull", {"column": "problem"}),
    _present("payments", "total_amount", "the payment amount is a number"),
    _not_negative("payments", "total_amount"),
    _not_negative("payments", "unapplied_amount"),
    Check(
        "a payment applies no more than its amount",
        "payments",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": "amount_with_credits",  # TotalAmt + the credit memo lines it uses
            "column_B": "applied_amount",
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",  # a missing amount fails its own check
        },
    ),
    _present("applications", "amount", "the applied amount is a number"),
    _not_negative("applications", "amount"),
    _present("applications", "invoice_id", "every applied invoice is known to the CMMS"),
    Check(
        "one application per payment and invoice",
        "applications",
        "ExpectCompoundColumnsToBeUnique",
        {"column_list": ["payment", "invoice"]},
    ),
    Check(
        "applications never exceed the invoice's total",
        "invoices",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": "total_allowed", "column_B": "paid_amount", "or_equal": True},
    ),
)

PUBLISHED_CHECKS: tuple[Check, ...] = (
    _not_negative("invoices", "paid_amount"),
    Check(
        "applications never exceed the invoice's total",
        "invoices",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": "total_allowed", "column_B": "paid_amount", "or_equal": True},
    ),
    Check(
        "paid amount + balance = total",
        "invoices",
        "ExpectColumnPairValuesToBeEqual",
        {"column_A": "total", "column_B": "paid_plus_balance"},
    ),
    Check(
        "the CMMS balance equals QuickBooks' invoice Balance",
        "invoices",
        "ExpectColumnPairValuesToBeEqual",
        {"column_A": "balance", "column_B": "qbo_balance", "ignore_row_if": "either_value_is_missing"},
    ),
    Check(
        "the CMMS paid amount equals what QuickBooks shows paid (TotalAmt - Balance)",
        "invoices",
        "ExpectColumnPairValuesToBeEqual",
        {"column_A": "paid_amount", "column_B": "qbo_paid", "ignore_row_if": "either_value_is_missing"},
    ),
)
