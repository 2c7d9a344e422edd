"""Defect 1: what QuickBooks answers after a create or update is what the CMMS keeps (row and
snapshot), and a full refresh compares values, not only SyncTokens."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from tests.faults.fault_helpers import execute, problems, q, record, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")

NEW = ["Fault Default One", "Fault Default Two", "Fault Default Three"]


def test_quickbooks_defaults_reach_the_cmms(sandbox: Any, cmms: sa.Engine) -> None:
    assert run_dag("customers")["sync_customers"] == "success"
    for name in NEW:
        execute(cmms, "INSERT INTO customers (display_name) VALUES (:n)", n=name)  # taxable left NULL

    assert run_dag("customers")["sync_customers"] == "success"

    made = q(cmms, "SELECT id, taxable, qb_id FROM customers WHERE display_name IN :n", n=tuple(NEW))
    assert [r.taxable for r in made] == [True, True, True]  # QuickBooks' default for Taxable
    snaps = q(
        cmms,
        "SELECT snapshot FROM sync_snapshots WHERE entity = 'customers' AND cmms_id IN :i",
        i=tuple(r.id for r in made),
    )
    agreed = [json.loads(s.snapshot) if isinstance(s.snapshot, str) else s.snapshot for s in snaps]
    assert [a["taxable"] for a in agreed] == [True, True, True]
    assert problems(sandbox, cmms, "customers") == []
    record("create without taxable", "CMMS row and snapshot take QuickBooks' Taxable=true")


def test_full_refresh_corrects_a_wrong_agreed_value(sandbox: Any, cmms: sa.Engine) -> None:
    assert run_dag("customers")["sync_customers"] == "success"
    # what an older version left behind: NULL in the row and in the snapshot, SyncToken unchanged
    victim = q(cmms, "SELECT id, qb_id FROM customers WHERE taxable IS TRUE ORDER BY id LIMIT 1")[0]
    execute(cmms, "UPDATE customers SET taxable = NULL WHERE id = :i", i=victim.id)
    execute(
        cmms,
        "UPDATE sync_snapshots SET snapshot = jsonb_set(snapshot, '{taxable}', 'null') "
        "WHERE entity = 'customers' AND cmms_id = :i",
        i=victim.id,
    )
    assert run_dag("customers")["sync_customers"] == "success"
    assert q(cmms, "SELECT taxable FROM customers WHERE id = :i", i=victim.id)[0].taxable is None

    assert run_dag("customers", full_refresh=True)["sync_customers"] == "success"

    assert q(cmms, "SELECT taxable FROM customers WHERE id = :i", i=victim.id)[0].taxable is True
    assert problems(sandbox, cmms, "customers") == []
    record("wrong agreed value, same SyncToken", "full_refresh compares values and corrects it")
