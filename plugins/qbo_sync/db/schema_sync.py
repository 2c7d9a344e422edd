"""The integration's own sync-state tables (migrations 0003, 0004); see :mod:`qbo_sync.db.schema`.

Also ``qbo_sync_adopted_objects`` (migration 0002): every table, column, constraint, index and
trigger qbo-sync added to the CMMS database, so a downgrade removes only those and never the
CMMS application's own.

Also the deployment-wide QBO request budget (migration 0004, :mod:`qbo_sync.qbo.budget_db`):
``qbo_request_budget`` (requests per realm, kind and time bucket; old buckets are deleted as new
ones are written; UNLOGGED on PostgreSQL, set by the migration) and ``qbo_request_pauses`` (per
realm, admit nothing until this time: a 429).

Import tables from :mod:`qbo_sync.db.schema`, which re-exports these on the same ``metadata``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Index, Table

from qbo_sync.db.columns import FALSE, ID, JSON, TIMESTAMP, created_at, metadata, one_of, pk, updated_at

RUN_COUNTS = ("pulled", "created", "updated", "linked", "failed", "conflicts", "skipped", "unchanged")

sync_watermarks = Table(
    "sync_watermarks",
    metadata,
    Column("realm_id", sa.Text, primary_key=True),
    Column("entity", sa.Text, primary_key=True),
    Column("direction", sa.Text, primary_key=True, comment="pull or push"),
    Column("watermark", TIMESTAMP, comment="changes up to here are loaded (moved after commit)"),
    Column("mode", sa.Text, comment="how the last read was done"),
    updated_at(),
    one_of("mode", ("full", "cdc", "query")),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    pk(),
    Column("run_key", sa.Text, nullable=False, comment="Airflow dag_id/run_id/task_id"),
    Column("entity", sa.Text, nullable=False),
    Column("direction", sa.Text, nullable=False),
    Column("started_at", TIMESTAMP, nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")),
    Column("finished_at", TIMESTAMP),
    Column("status", sa.Text, nullable=False, server_default="running"),
    Column("dry_run", sa.Boolean, nullable=False, server_default=FALSE),
    *(Column(name, sa.Integer, nullable=False, server_default="0") for name in RUN_COUNTS),
    Column("message", sa.Text),
    # "abandoned" (migration 0005): the worker died; marked by the next run that found its lock gone
    one_of("status", ("running", "success", "partial", "failed", "skipped", "abandoned")),
    Index(None, "run_key"),
    Index(None, "entity", "started_at"),
)

sync_record_errors = Table(
    "sync_record_errors",
    metadata,
    pk(),
    Column("run_id", ID, ForeignKey("sync_runs.id", ondelete="CASCADE")),
    Column("entity", sa.Text, nullable=False),
    Column("cmms_id", ID),
    Column("qb_id", sa.Text),
    Column("code", sa.Text, nullable=False),
    Column("message", sa.Text, nullable=False, comment="readable by a bookkeeper"),
    Column("detail", sa.Text),
    Column("intuit_tid", sa.Text),
    created_at(),
    Column("resolved_at", TIMESTAMP),
    Index(None, "run_id"),
    Index(None, "entity", "cmms_id"),
)

sync_conflicts = Table(
    "sync_conflicts",
    metadata,
    pk(),
    Column("entity", sa.Text, nullable=False),
    Column("cmms_id", ID, nullable=False),
    Column("qb_id", sa.Text),
    Column("field", sa.Text, nullable=False),
    Column("base_value", sa.Text, comment="JSON text"),
    Column("cmms_value", sa.Text, comment="JSON text"),
    Column("qbo_value", sa.Text, comment="JSON text"),
    Column("status", sa.Text, nullable=False, server_default="open"),
    created_at(),
    Column("resolved_at", TIMESTAMP),
    one_of("status", ("open", "resolved_cmms", "resolved_qbo")),
    Index(
        "uq_sync_conflicts_open",
        "entity",
        "cmms_id",
        "field",
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    ),
)

sync_snapshots = Table(
    "sync_snapshots",
    metadata,
    Column("entity", sa.Text, primary_key=True),
    Column("cmms_id", ID, primary_key=True, autoincrement=False),
    Column("qb_id", sa.Text),
    Column("qb_sync_token", sa.Text),
    Column("snapshot", JSON, nullable=False, comment="last agreed field values"),
    updated_at(),
)

sync_staging = Table(
    "sync_staging",
    metadata,
    pk(),
    Column("run_id", ID, ForeignKey("sync_runs.id", ondelete="CASCADE")),
    Column("entity", sa.Text, nullable=False),
    Column("qb_id", sa.Text),
    Column("qb_sync_token", sa.Text),
    Column("payload", JSON, nullable=False),
    Column("status", sa.Text, nullable=False, server_default="staged"),
    created_at(),
    Index(None, "run_id"),
    Index(None, "entity", "status"),
)

qbo_sync_adopted_objects = Table(
    "qbo_sync_adopted_objects",
    metadata,
    pk(),
    Column("kind", sa.Text, nullable=False),
    Column("table_name", sa.Text, nullable=False),
    Column("object_name", sa.Text, nullable=False),
    Column("detail", sa.Text, comment="constraint type"),
    created_at(),
    one_of("kind", ("table", "column", "constraint", "index", "trigger")),
)

qbo_request_budget = Table(
    "qbo_request_budget",
    metadata,
    Column("realm_id", sa.Text, primary_key=True),
    Column("kind", sa.Text, primary_key=True, comment="all or batch"),
    Column("bucket", sa.BigInteger, primary_key=True, autoincrement=False, comment="floor(t / width)"),
    Column("requests", sa.Integer, nullable=False),
    one_of("kind", ("all", "batch")),
)

qbo_request_pauses = Table(
    "qbo_request_pauses",
    metadata,
    Column("realm_id", sa.Text, primary_key=True),
    Column("paused_until", sa.Float, nullable=False, comment="seconds since the epoch (budget clock)"),
)
