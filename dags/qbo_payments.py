"""
### QuickBooks Online payments → CMMS, every 30 minutes

Payments recorded in QuickBooks (full or partial, over several invoices, unapplied, edited, voided
or deleted) show in the CMMS: each invoice's **paid amount, balance and status**, and the
**payment log** (`payments`, `payment_applications`; lines for invoices the CMMS never sent are in
`payment_links_not_applied` with the reason).

1. **preflight**: the CMMS database is migrated; `qb_settings.enabled` and
   `qb_settings.payment_sync_enabled` are on (else every task is *skipped*, and the run's one green
   box, **Switched off in QuickBooks settings**, says so in the grid with the reason in its log).
2. **stage**: reads the window's changed payments (voided and deleted too) and the invoices whose
   balances moved: by CDC, or by `LastUpdatedTime` queries when the window is older than 29 days
   or holds 1000 objects or more. Staged in `sync_staging` under a `payment_batches` row.
3. **audit**: Great Expectations on the staged batch (amounts not negative, QuickBooks ids unique,
   linked invoices known, applications within invoice totals).
4. **publish**: one transaction: payments and applications written, every touched invoice's paid
   amount, balance and status re-derived from applications, then validated (paid + balance =
   total, balance = QuickBooks' `Balance`) before the commit.

A failed expectation **quarantines** the batch (`payment_batches.status = quarantined`, with a
readable `report` and the validation results) and fails the task; nothing is applied and the next
run reads the window again. Every batch's validations are also rendered as **Great Expectations
Data Docs** (`$QBO_GX_DOCS_DIR`, else `$AIRFLOW_HOME/gx_data_docs`: open
`gx/uncommitted/data_docs/local_site/index.html`); the quarantine report names the pages. At the
end of each run, results older than `$QBO_GX_DOCS_RETENTION_DAYS` (default 14; `0` keeps all) are
removed and the site's index rebuilt.

**A backfill beside a scheduled run**: both may read and audit at once; their publishes take turns
(one per realm, a PostgreSQL advisory lock), and a payment or invoice an earlier read brought is
never published over a newer QuickBooks version (SyncToken / LastUpdatedTime): the log says it was
skipped as superseded.

**QuickBooks unreachable**: *stage* fails (after its retries) with the window and the cause, a failed
run is recorded in the CMMS, nothing is applied and the watermark stays where it was.

**Windows**: every run owns a real 30-minute data interval. `airflow backfill create` re-reads
exactly its intervals (idempotent); a scheduled run starts at the stored watermark when earlier
runs were missed; a manual run (*Trigger*, the "Sync" button) reads from the watermark to now.
Param `window`: `auto` (the above), `since_watermark`, or `data_interval`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, Param, task

from qbo_sync.dag_tasks import switched_off

with DAG(
    dag_id="qbo_payments",
    description="QuickBooks Online payments → CMMS invoices and payment log, every 30 minutes",
    schedule=CronDataIntervalTimetable("*/30 * * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["quickbooks", "payments"],
    doc_md=__doc__,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    params={
        "window": Param(
            "auto",
            type="string",
            enum=["auto", "since_watermark", "data_interval"],
            description="auto: scheduled/backfill runs read their data interval, manual runs read "
            "from the watermark to now.",
        ),
    },
) as dag:

    @task(retries=0)
    def preflight(**context) -> dict:
        """Refuse an unmigrated database; skip everything when either switch is off."""
        from qbo_sync.payments.tasks import preflight as run

        return run(context)

    @task(pool="qbo_api")
    def stage(ready: dict, **context) -> dict:
        """Read the window's payment changes from QuickBooks and stage them."""
        from qbo_sync.payments.tasks import stage as run

        return run(context)

    @task
    def audit(staged: dict, **context) -> dict:
        """Validate the staged batch with Great Expectations; quarantine it on failure."""
        from qbo_sync.payments.tasks import audit as run

        return run(staged, context)

    @task
    def publish(audited: dict, **context) -> dict:
        """Apply the batch in one transaction, validated again before the commit."""
        from qbo_sync.payments.tasks import publish as run

        return run(audited, context)

    ready = preflight()
    publish(audit(stage(ready)))
    ready >> switched_off()
