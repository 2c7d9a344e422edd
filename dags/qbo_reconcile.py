"""
### QuickBooks Online reconciliation (nightly)

Proves that the CMMS and QuickBooks agree, to the cent, and says where they don't:

- every linked invoice, bill and expense journal entry: total, tax, balance, voided, deleted,
  customer or vendor (QuickBooks read in pages of 1000, never one request per record);
- transactions on one side only (QuickBooks invoices no CMMS row links to, CMMS rows whose
  QuickBooks Id no longer exists, pushes that failed);
- per customer, the CMMS open balance against QuickBooks' **CustomerBalance** report; per vendor
  against **VendorBalance**; the receivables aging against **AgedReceivables**; QuickBooks'
  **TrialBalance** debits against credits.

Each difference is a row in `sync_drift` (both values, amount at stake, first seen, likely cause);
an invoice balance QuickBooks moved (a payment not yet pulled, voided or deleted) is healed by the
same run through the payment pipeline and recorded as `healed`. The run fails when differences
above `tolerance` remain. **Params**: `as_of` (YYYY-MM-DD, empty = the run's date), `scope`,
`tolerance`, `heal`. The `qb_settings.enabled` switch skips it; the run's one green box,
**Switched off in QuickBooks settings**, says so in the grid, with the reason in its log.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param, task

from qbo_sync.dag_tasks import switched_off

SCOPES = ["invoices", "bills", "expenses", "customer_balances", "vendor_balances", "aging", "trial_balance"]

with DAG(
    dag_id="qbo_reconcile",
    description="QuickBooks Online: nightly reconciliation of the CMMS against QuickBooks and its reports",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["quickbooks", "reconcile"],
    doc_md=__doc__,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5), "pool": "qbo_api"},
    params={
        "as_of": Param("", type="string", description="As-of date YYYY-MM-DD (empty: the run's date)."),
        "scope": Param(
            SCOPES, type="array", items={"type": "string", "enum": SCOPES}, description="What to compare."
        ),
        "tolerance": Param(0.0, type="number", minimum=0, description="Differences up to this amount pass."),
        "heal": Param(
            True, type="boolean", description="Pull the payments behind invoice balances QuickBooks moved."
        ),
    },
) as dag:

    @task(pool="default_pool", retries=0)
    def preflight(**context) -> dict:
        """Refuse an unmigrated database; skip when the QuickBooks switch is off."""
        from qbo_sync.sync.tasks import preflight as run

        return run(context)

    @task
    def reconcile(**context) -> dict:
        """Compare both sides, record every difference, fail when any is above the tolerance."""
        from qbo_sync.reconcile.tasks import reconcile_books

        return reconcile_books(context)

    ready = preflight()
    ready >> reconcile()
    ready >> switched_off()
