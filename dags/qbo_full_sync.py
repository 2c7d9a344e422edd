"""
### QuickBooks Online full sync

Keeps the CMMS database and QuickBooks Online (QBO) in step, in the product's order:

1. **Reference data (QBO → CMMS)**: Chart of Accounts, tax codes and tax rates, pulled in full
   (inactive ones too). Everything downstream refers to them.
2. **Masters (both ways)**: customers, items (inventory items carry income, expense and asset
   accounts) and vendors. The first run links records that exist on both sides by name; later runs
   pull what changed in QBO (CDC), push what changed in the CMMS (batched creates with requestid,
   sparse updates with the current SyncToken) and merge fields edited on both sides by the
   mapping's ownership rule or into the conflict queue (`sync_conflicts`).
3. **Transactions (CMMS → QBO)**: `push_invoices`, `push_bills`, `push_expenses` (expenses as
   journal entries), after the masters they refer to, so a customer, vendor or item created
   upstream in this run is already linked. A transaction whose reference is not in QuickBooks yet
   waits with a status naming it. Creates are exactly once (requestid, DocNumber lookup after an
   unanswered send); edits become sparse updates; voided invoices are voided.

Before them, `check_changes` asks QuickBooks once for the whole run (one batch, one CDC) which
entities changed; an entity with nothing new reads nothing, so a quiet run costs two requests.

**Params**: `entities` (which to sync), `full_refresh` (re-read everything instead of changes),
`dry_run` (report what would be created or updated, write nothing).

The `qb_settings.enabled` switch in the CMMS database skips every task; the run's one green box,
**Switched off in QuickBooks settings**, says so in the grid, with the reason as its log's first line.
The last task, `check_results`, fails when any record failed (the others were synced) and says how
many, where, and where to read why (the run's **QuickBooks** tab); when the switch is off it logs the
reason as its first line and is skipped.
Each task records its counts (pulled, created, updated, linked, failed, conflicts) in `sync_runs`
and per-record errors in `sync_record_errors`. QBO tasks share the `qbo_api` pool.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param, task

from qbo_sync.dag_tasks import switched_off

REFERENCE = ["accounts", "tax_codes", "tax_rates"]
MASTERS = ["customers", "items", "vendors"]
TRANSACTIONS = ["invoices", "bills", "expenses"]
ALL = REFERENCE + MASTERS + TRANSACTIONS

with DAG(
    dag_id="qbo_full_sync",
    description="QuickBooks Online: COA + tax, customers/items/vendors both ways, then transactions",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["quickbooks", "sync"],
    doc_md=__doc__,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1), "pool": "qbo_api"},
    params={
        "entities": Param(
            ALL,
            type="array",
            items={"type": "string", "enum": ALL},
            description="Which entities to sync (reference data, then masters, then transactions).",
        ),
        "full_refresh": Param(False, type="boolean", description="Re-read everything, not only changes."),
        "dry_run": Param(False, type="boolean", description="Report what would change; write nothing."),
    },
) as dag:

    @task(pool="default_pool", retries=0)
    def preflight(**context) -> dict:
        """Refuse to run against an unmigrated database; skip everything when the switch is off."""
        from qbo_sync.sync.tasks import preflight as run

        return run(context)

    @task
    def check_changes(**context) -> dict:
        """One change check for every entity (one CDC, one batch): which have nothing to read."""
        from qbo_sync.sync.tasks import check_changes as run

        return run(context)

    @task(task_id="sync")
    def sync_entity(entity: str, **context) -> dict:
        """Sync one entity per its mapping file; returns the run's counts."""
        from qbo_sync.sync.tasks import sync_entity as run

        return run(entity, context)

    ready = preflight()
    reference = [sync_entity.override(task_id=f"pull_{name}")(entity=name) for name in REFERENCE]
    # "none_failed": a master still runs when reference pulls were left out of `entities` (skipped),
    # never after one failed; the task itself re-checks the switch.
    masters = [
        sync_entity.override(task_id=f"sync_{name}", trigger_rule="none_failed")(entity=name)
        for name in MASTERS
    ]

    @task(task_id="push")
    def push_transactions(entity: str, **context) -> dict:
        """Push one kind of transaction to QuickBooks; returns counts by direction and outcome."""
        from qbo_sync.sync.tasks import push_transactions as run

        return run(entity, context)

    # "none_failed": pushes run when masters were left out of `entities` (skipped), never after one
    # failed (a transaction would wait for a master that failed to sync).
    transactions = [
        push_transactions.override(task_id=f"push_{name}", trigger_rule="none_failed")(entity=name)
        for name in TRANSACTIONS
    ]

    @task(pool="default_pool", retries=1, trigger_rule="all_done")  # AirflowFailException: no retry
    def check_results(**context) -> dict:
        """Fail visibly when records failed (the others went); say why when switched off."""
        from qbo_sync.run_check import check_run

        return check_run(context)

    ready >> check_changes() >> reference
    ready >> switched_off()
    for master in masters:
        reference >> master
    for push in transactions:
        masters >> push
    # last, downstream of every other task whatever their outcome: failed records turn the run red
    list(dag.tasks) >> check_results()
