"""Reconciliation's table (migration 0010); see :mod:`qbo_sync.db.schema`.

``sync_drift``: one row per difference the nightly reconciliation found between the CMMS and
QuickBooks (a record's figure, a party's balance against a QuickBooks report, a record with no
counterpart): both values, the amount at stake, the likely cause in words, and whether the same
run healed it (QuickBooks owns the figure) or it waits for a person. A difference keeps its row
(and ``first_seen_at``) across runs while it lasts; at most one open row per check and subject.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Column, Index, Table

from qbo_sync.db.columns import MONEY, TIMESTAMP, metadata, one_of, pk, updated_at

DRIFT_STATUSES = ("open", "healed", "resolved")

sync_drift = Table(
    "sync_drift",
    metadata,
    pk(),
    Column("realm_id", sa.Text, nullable=False),
    Column("check_name", sa.Text, nullable=False, comment="e.g. invoice.balance, customer_balance"),
    Column("subject", sa.Text, nullable=False, comment="what differs: invoice INV-1001, customer 12"),
    Column("entity", sa.Text, comment="CMMS table of the record, when one is concerned"),
    Column("cmms_id", sa.BigInteger),
    Column("qb_id", sa.Text),
    Column("cmms_value", sa.Text),
    Column("qbo_value", sa.Text),
    Column("amount_at_stake", MONEY, nullable=False, server_default="0"),
    Column("cause", sa.Text, nullable=False, comment="the likely cause, in words"),
    Column("status", sa.Text, nullable=False, server_default="open"),
    Column("first_seen_at", TIMESTAMP, nullable=False),
    Column("last_seen_at", TIMESTAMP, nullable=False),
    Column("healed_at", TIMESTAMP),
    Column("resolved_at", TIMESTAMP),
    Column("run_id", sa.Text, comment="the Airflow run that last saw it"),
    updated_at(),
    one_of("status", DRIFT_STATUSES),
    Index(
        "uq_sync_drift_open",
        "realm_id",
        "check_name",
        "subject",
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    ),
)
