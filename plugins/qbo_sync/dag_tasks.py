"""Tasks more than one DAG file declares the same way (light at parse time: imports inside)."""

from __future__ import annotations

from airflow.sdk import task

SWITCH_LABEL = "Switched off in QuickBooks settings"


@task(task_display_name=SWITCH_LABEL, trigger_rule="all_skipped", pool="default_pool", retries=1)
def switched_off(**context) -> dict:
    """Runs only when preflight skipped the run: the grid's one green box, the reason its log
    (:func:`qbo_sync.run_check.say_switched_off`)."""
    from qbo_sync.run_check import say_switched_off

    return say_switched_off(context)
