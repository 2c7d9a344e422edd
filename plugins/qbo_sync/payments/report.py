"""The quarantine report: which payment or invoice, which expectation, which values."""

from __future__ import annotations

from typing import Any

from qbo_sync.payments.audit import AuditResult

MAX_ROWS = 20  # per failed expectation; the full list is in the validation results


def quarantine_report(
    batch_id: int, window: str, stage: str, audit: AuditResult, docs: dict[str, Any] | None = None
) -> str:
    """A report a person can read; ``stage`` is "before publishing" or "after publishing"; ``docs``:
    where :func:`~qbo_sync.payments.docs.write_data_docs` put the Great Expectations Data Docs."""
    lines = [
        f"Payment batch {batch_id} ({window}) was quarantined {stage}: nothing was applied to the CMMS. "
        f"{len(audit.findings)} expectation(s) failed:"
    ]
    for f in audit.findings:
        lines.append(f"- {f.check} [{f.expectation} on {f.frame}]: {f.unexpected or len(f.rows)} row(s)")
        for row in f.rows[:MAX_ROWS]:
            lines.append("    " + ", ".join(f"{k} = {v}" for k, v in row.items()))
        if len(f.rows) > MAX_ROWS:
            lines.append(f"    ... and {len(f.rows) - MAX_ROWS} more (see payment_batches.validation)")
    if docs:
        lines.append(f"Great Expectations Data Docs: {docs['index']}")
        lines.extend(f"    this batch: {page}" for page in docs["pages"])
    else:
        lines.append(
            "Great Expectations Data Docs: not written (see the task log); the validation results "
            "are in payment_batches.validation."
        )
    lines.append(
        "Nothing was applied and the watermark did not move. Fix the payments in QuickBooks (or the "
        "invoices in the CMMS): the next scheduled or manual run reads from the watermark again; a "
        "backfill window behind it is re-run with `airflow backfill create`."
    )
    return "\n".join(lines)
