"""The Great Expectations context the payment audit and the reconciliation checks validate in.

Ephemeral (results are kept by the callers: ``payment_batches.validation``, ``sync_drift`` and the
Data Docs of :mod:`qbo_sync.payments.docs`), with GX's progress bars off: in a task log they are
hundreds of "Calculating Metrics" lines that bury the results.
"""

from __future__ import annotations

from typing import Any


def quiet_context() -> Any:
    """A new ephemeral GX data context without progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx
