"""The reconciliation's Great Expectations suite: its verdict, and a task log without GX's progress
bars (hundreds of "Calculating Metrics" lines would bury the results)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qbo_sync.reconcile.checks import validate_drifts
from qbo_sync.reconcile.compare import Drift


def test_drift_above_the_tolerance_fails_the_suite_without_progress_bars(
    capfd: pytest.CaptureFixture,
) -> None:
    drifts = [
        Drift(
            "invoice.balance", "invoice INV-1", "payment not yet pulled", "100.00", "40.00", Decimal("60.00")
        ),
        Drift("invoice.total", "invoice INV-2", "edited in QuickBooks", "10.00", "10.01", Decimal("0.01")),
    ]

    result = validate_drifts(drifts, ["invoice.balance", "invoice.total"], Decimal("0.05"))

    assert result["success"] is False
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err
