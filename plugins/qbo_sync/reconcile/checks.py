"""The reconciliation's checks as a Great Expectations suite, read like the payment DAG's.

Each compared figure is one row of a frame (check, subject, difference); the suite expects every
difference to be within the tolerance, per check. The validation result (which check, how many
rows failed, the worst ones) goes into the run's summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from qbo_sync.expectations import quiet_context
from qbo_sync.reconcile.compare import Drift

SUITE = "qbo_reconcile"


def validate_drifts(drifts: Iterable[Drift], checks: Iterable[str], tolerance: Decimal) -> dict[str, Any]:
    """Run the suite over this run's drifts; ``success`` is False when any exceeds ``tolerance``."""
    import great_expectations as gx
    import pandas as pd

    rows = [
        {"check": d.check_name, "subject": d.subject, "amount_at_stake": float(d.amount_at_stake)}
        for d in drifts
    ]
    frame = pd.DataFrame(rows, columns=["check", "subject", "amount_at_stake"])
    context = quiet_context()
    asset = context.data_sources.add_pandas("reconcile").add_dataframe_asset("drifts")
    batch = asset.add_batch_definition_whole_dataframe("run").get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name=SUITE)
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="amount_at_stake", min_value=0, max_value=float(tolerance), result_format="COMPLETE"
        )
    )
    result = batch.validate(suite)
    bad = frame[frame["amount_at_stake"] > float(tolerance)]
    per_check = {c: int(n) for c, n in bad.groupby("check").size().items()} if len(bad) else {}
    return {
        "suite": SUITE,
        "success": bool(result.success),
        "checks": sorted(set(checks)),
        "compared_differences": len(frame),
        "above_tolerance": per_check,
        "worst": bad.sort_values("amount_at_stake", ascending=False).head(10).to_dict("records"),
    }
