"""The CMMS database, as the integration sees it: one SQLAlchemy Core ``MetaData``.

This module is the single source of table definitions; the Alembic migrations in
``qbo_sync/db/migrations`` create exactly these tables (a test compares them on PostgreSQL and
SQLite). Three groups of tables live here:

**Token custody** (migration 0001) - the integration's own, written only by it:

- ``qbo_tokens``: one row per QuickBooks company (realm): the OAuth access and refresh tokens,
  Fernet-encrypted at rest, their expiry times, and ``status`` = ``reconnect_needed`` once the
  refresh token stops working (a person must reconnect in the Airflow UI).
- ``qbo_oauth_states``: the one-time ``state`` values of OAuth connect flows in progress, so the
  callback can prove it answers a flow this deployment started.

**The CMMS contract** (migration 0002) - owned by the CMMS application; names and meanings are fixed
by ``cmms-contract.md`` and never change. Tables marked *synced* carry the sync columns
(:data:`SYNC_COLUMNS`: ``qb_id``, ``qb_sync_token``, ``qb_status``, ``qb_error``, ``qb_synced_at``,
``qb_last_updated_at``, ``updated_at``), which the CMMS screens show as "QuickBooks Status" and
"QB ID".

- Reference data pulled from QuickBooks: ``accounts`` (chart of accounts), ``tax_codes``,
  ``tax_rates``.
- Master data synced both ways: ``customers``, ``vendors`` (the "Business List"), ``items`` (the
  "Inventory List").
- Transactions pushed to QuickBooks: ``invoices`` + ``invoice_lines`` (sales invoices),
  ``purchase_invoices`` + ``purchase_invoice_lines`` (bills), ``expenses`` (posted as journal
  entries); ``work_orders`` and ``jobs`` are what invoices and expenses are for.
- Payments pulled from QuickBooks: ``payments`` (the Payment Log) and ``payment_applications``
  (which invoice each payment pays, once per payment and invoice).
- ``qb_settings``: exactly one row (``id = 1``): the "QuickBooks Enabled" switch, the automatic
  payment scheduler switch, and the accounts used to post expenses.

**Sync state** (migration 0003) - the integration's own bookkeeping:

- ``sync_watermarks``: per realm, entity and direction, the time up to which changes are known to be
  loaded (moved only after the load committed), and how it was read (full, CDC, query).
- ``sync_runs``: one row per entity per pipeline run (keyed by Airflow dag/run/task id) with counts.
- ``sync_record_errors``: per-record failures of a run, in words a bookkeeper understands, with the
  QuickBooks ``intuit_tid`` for support.
- ``sync_conflicts``: fields changed on both sides since the last agreement, waiting for a person
  (at most one open conflict per entity, record and field).
- ``sync_snapshots``: the last field values both sides agreed on, per record: the base of the
  three-way merge for customers, vendors and items.
- ``sync_staging``: raw QuickBooks objects of a pull or payment batch, validated before publishing.

Every table with ``updated_at`` has a trigger that sets it on every UPDATE (see the migrations),
and a default that sets it on INSERT. Timestamps are stored in UTC and read back aware.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, Column, Index, Table, UniqueConstraint

from qbo_sync.db.columns import (
    FALSE,
    ID,
    JSON,
    MONEY,
    QB_STATUSES,
    QTY,
    RATE,
    SYNC_COLUMNS,
    TIMESTAMP,
    TRUE,
    active,
    address,
    created_at,
    fk,
    metadata,
    one_of,
    pk,
    sync_columns,
    updated_at,
)
from qbo_sync.db.schema_reconcile import sync_drift
from qbo_sync.db.schema_sync import (
    qbo_sync_adopted_objects,
    sync_conflicts,
    sync_record_errors,
    sync_runs,
    sync_snapshots,
    sync_staging,
    sync_watermarks,
)

# --- 0001: token custody -------------------------------------------------------------------------

qbo_tokens = Table(
    "qbo_tokens",
    metadata,
    Column("realm_id", sa.Text, primary_key=True),
    Column("access_token", sa.Text, comment="Fernet-encrypted"),
    Column("refresh_token", sa.Text, comment="Fernet-encrypted"),
    Column("access_token_expires_at", TIMESTAMP),
    Column("refresh_token_expires_at", TIMESTAMP),
    Column("status", sa.Text, nullable=False, server_default="connected"),
    Column("last_error", sa.Text),
    Column("refresh_count", sa.Integer, nullable=False, server_default="0"),
    Column("refreshed_at", TIMESTAMP),
    created_at(),
    updated_at(),
    one_of("status", ("connected", "reconnect_needed")),
)

qbo_oauth_states = Table(
    "qbo_oauth_states",
    metadata,
    Column("state", sa.Text, primary_key=True),
    Column("realm_hint", sa.Text),
    Column("redirect_uri", sa.Text, nullable=False),
    created_at(),
    Column("used_at", TIMESTAMP),
)

# --- 0002: the CMMS contract ---------------------------------------------------------------------

accounts = Table(
    "accounts",
    metadata,
    pk(),
    Column("name", sa.Text, nullable=False),
    Column("fully_qualified_name", sa.Text),
    Column("account_type", sa.Text),
    Column("account_sub_type", sa.Text),
    Column("classification", sa.Text),
    Column("account_number", sa.Text),
    active(),
    Column("current_balance", MONEY),
    *sync_columns(),
)

tax_codes = Table(
    "tax_codes",
    metadata,
    pk(),
    Column("name", sa.Text, nullable=False),
    Column("description", sa.Text),
    Column("taxable", sa.Boolean),
    Column("tax_group", sa.Boolean),
    active(),
    *sync_columns(),
)

tax_rates = Table(
    "tax_rates",
    metadata,
    pk(),
    Column("name", sa.Text, nullable=False),
    Column("description", sa.Text),
    Column("rate_value", RATE, comment="percent"),
    Column("agency_name", sa.Text),
    active(),
    *sync_columns(),
)

customers = Table(
    "customers",
    metadata,
    pk(),
    Column("display_name", sa.Text, nullable=False),
    Column("company_name", sa.Text),
    Column("given_name", sa.Text),
    Column("family_name", sa.Text),
    Column("email", sa.Text),
    Column("phone", sa.Text),
    *address(),
    Column("taxable", sa.Boolean),
    active(),
    Column("notes", sa.Text),
    created_at(),
    *sync_columns(),
)

vendors = Table(
    "vendors",
    metadata,
    pk(),
    Column("display_name", sa.Text, nullable=False),
    Column("company_name", sa.Text),
    Column("email", sa.Text),
    Column("phone", sa.Text),
    *address(),
    Column("account_number", sa.Text),
    active(),
    created_at(),
    *sync_columns(),
)

items = Table(
    "items",
    metadata,
    pk(),
    Column("name", sa.Text, nullable=False),
    Column("sku", sa.Text),
    Column("description", sa.Text),
    Column("item_type", sa.Text, nullable=False, server_default="non_inventory"),
    Column("unit_price", QTY),
    Column("purchase_cost", QTY),
    Column("qty_on_hand", QTY),
    Column("inv_start_date", sa.Date),
    Column("taxable", sa.Boolean),
    fk("income_account_id", "accounts.id"),
    fk("expense_account_id", "accounts.id"),
    fk("asset_account_id", "accounts.id"),
    active(),
    created_at(),
    *sync_columns(),
    one_of("item_type", ("inventory", "non_inventory", "service")),
)

work_orders = Table(
    "work_orders",
    metadata,
    pk(),
    Column("number", sa.Text),
    fk("customer_id", "customers.id"),
    Column("description", sa.Text),
    Column("status", sa.Text),
)

jobs = Table(
    "jobs",
    metadata,
    pk(),
    Column("number", sa.Text),
    fk("customer_id", "customers.id"),
    Column("description", sa.Text),
    Column("status", sa.Text),
)

invoices = Table(
    "invoices",
    metadata,
    pk(),
    Column("invoice_number", sa.Text, unique=True),
    fk("customer_id", "customers.id"),
    Column("invoice_date", sa.Date),
    Column("due_date", sa.Date),
    fk("work_order_id", "work_orders.id"),
    fk("job_id", "jobs.id"),
    Column("memo", sa.Text),
    Column("subtotal", MONEY, nullable=False, server_default="0"),
    Column("tax_total", MONEY, nullable=False, server_default="0"),
    Column("total", MONEY, nullable=False, server_default="0"),
    Column("paid_amount", MONEY, nullable=False, server_default="0"),
    Column("balance", MONEY, nullable=False, server_default="0"),
    Column("status", sa.Text, nullable=False, server_default="draft"),
    created_at(),
    *sync_columns(),
    one_of("status", ("draft", "open", "partial", "paid", "void")),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    pk(),
    fk("invoice_id", "invoices.id", nullable=False, ondelete="CASCADE"),
    Column("line_no", sa.Integer, nullable=False),
    fk("item_id", "items.id"),
    Column("description", sa.Text),
    Column("quantity", QTY),
    Column("unit_price", QTY),
    Column("amount", MONEY, nullable=False, server_default="0"),
    fk("tax_code_id", "tax_codes.id"),
    Index(None, "invoice_id"),
)

purchase_invoices = Table(
    "purchase_invoices",
    metadata,
    pk(),
    Column("bill_number", sa.Text),
    fk("vendor_id", "vendors.id"),
    Column("bill_date", sa.Date),
    Column("due_date", sa.Date),
    Column("memo", sa.Text),
    Column("total", MONEY, nullable=False, server_default="0"),
    created_at(),
    *sync_columns(),
)

purchase_invoice_lines = Table(
    "purchase_invoice_lines",
    metadata,
    pk(),
    fk("purchase_invoice_id", "purchase_invoices.id", nullable=False, ondelete="CASCADE"),
    Column("line_no", sa.Integer, nullable=False),
    fk("item_id", "items.id"),
    fk("account_id", "accounts.id"),
    Column("description", sa.Text),
    Column("quantity_received", QTY),
    Column("unit_cost", QTY),
    Column("amount", MONEY, nullable=False, server_default="0"),
    Index(None, "purchase_invoice_id"),
)

expenses = Table(
    "expenses",
    metadata,
    pk(),
    fk("vendor_id", "vendors.id"),
    Column("expense_date", sa.Date),
    Column("amount", MONEY, nullable=False),
    Column("description", sa.Text),
    fk("expense_account_id", "accounts.id"),
    fk("invoice_id", "invoices.id"),
    fk("work_order_id", "work_orders.id"),
    fk("job_id", "jobs.id"),
    created_at(),
    *sync_columns(),
)

payments = Table(
    "payments",
    metadata,
    pk(),
    Column("qb_id", sa.Text, nullable=False, unique=True),
    fk("customer_id", "customers.id"),
    Column("payment_date", sa.Date),
    Column("total_amount", MONEY, nullable=False, server_default="0"),
    Column("unapplied_amount", MONEY, nullable=False, server_default="0"),
    Column("payment_method", sa.Text),
    Column("reference_number", sa.Text),
    Column("private_note", sa.Text),
    Column("status", sa.Text, nullable=False, server_default="active"),
    Column("qb_sync_token", sa.Text),
    Column("qb_last_updated_at", TIMESTAMP),
    Column("synced_at", TIMESTAMP),
    updated_at(),
    one_of("status", ("active", "voided", "deleted")),
)

payment_applications = Table(
    "payment_applications",
    metadata,
    pk(),
    fk("payment_id", "payments.id", nullable=False, ondelete="CASCADE"),
    fk("invoice_id", "invoices.id", nullable=False),
    Column("amount", MONEY, nullable=False),
    UniqueConstraint("payment_id", "invoice_id"),
    Index(None, "invoice_id"),
)

qb_settings = Table(
    "qb_settings",
    metadata,
    Column("id", sa.Integer, primary_key=True, autoincrement=False, server_default="1"),
    Column("enabled", sa.Boolean, nullable=False, server_default=TRUE),
    fk("expense_debit_account_id", "accounts.id"),
    fk("expense_credit_account_id", "accounts.id"),
    Column("payment_sync_enabled", sa.Boolean, nullable=False, server_default=TRUE),
    updated_at(),
    CheckConstraint("id = 1", name="single_row"),
)

# --- 0006: payment runs (qbo_sync.payments) ------------------------------------------------------
# The integration's own: one row per payment batch (a window read from QuickBooks, staged in
# sync_staging, audited with Great Expectations, then published or quarantined), and the payment
# lines that could not be applied because the CMMS does not know the QuickBooks invoice.

payment_batches = Table(
    "payment_batches",
    metadata,
    pk(),
    Column("run_id", ID, sa.ForeignKey("sync_runs.id", ondelete="CASCADE")),
    Column("realm_id", sa.Text, nullable=False),
    Column("window_start", TIMESTAMP, comment="read changes from here"),
    Column("window_end", TIMESTAMP, comment="up to here (exclusive)"),
    Column("mode", sa.Text, nullable=False, comment="cdc or query"),
    Column("status", sa.Text, nullable=False, server_default="staged"),
    Column("report", sa.Text, comment="what failed, for a person (quarantined batches)"),
    Column("validation", JSON, comment="Great Expectations validation results"),
    created_at(),
    Column("finished_at", TIMESTAMP),
    one_of("status", ("staged", "published", "quarantined")),
    one_of("mode", ("cdc", "query", "full")),
    Index(None, "run_id"),
    Index(None, "status", "created_at"),
)

payment_links_not_applied = Table(
    "payment_links_not_applied",
    metadata,
    pk(),
    fk("payment_id", "payments.id", nullable=False, ondelete="CASCADE"),
    Column("qb_txn_id", sa.Text, nullable=False, comment="the QuickBooks transaction the line pays"),
    Column("txn_type", sa.Text, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("reason", sa.Text, nullable=False),
    created_at(),
    Index(None, "payment_id"),
)

TOKEN_TABLES = ("qbo_tokens", "qbo_oauth_states")
ADOPTION_TABLES = (qbo_sync_adopted_objects.name,)  # what qbo-sync added to the CMMS tables
CMMS_TABLES = (
    "accounts",
    "tax_codes",
    "tax_rates",
    "customers",
    "vendors",
    "items",
    "work_orders",
    "jobs",
    "invoices",
    "invoice_lines",
    "purchase_invoices",
    "purchase_invoice_lines",
    "expenses",
    "payments",
    "payment_applications",
    "qb_settings",
)

# --- the send journal (migration 0005, issue 6) -----------------------------------------------
# What was sent to QuickBooks (CMMS key, name and requestid as sent, when) before it was sent, so
# a send whose answer never arrived (a crash, a timeout) is resolved by what was sent, not by the
# record's current name. See :mod:`qbo_sync.sync.push.outbox`.
from qbo_sync.db.columns import JSON  # noqa: E402  (kept in this block for easy merges)

sync_sends = Table(
    "sync_sends",
    metadata,
    pk(),
    Column("realm_id", sa.Text, nullable=False),
    Column("entity", sa.Text, nullable=False),
    Column("cmms_id", ID, nullable=False),
    Column("operation", sa.Text, nullable=False, comment="create"),
    Column("name_sent", sa.Text, comment="the natural key as sent (DisplayName / Name)"),
    Column("request_id", sa.Text, nullable=False),
    Column("sent_values", JSON, nullable=False, comment="comparable values as sent"),
    Column("run_key", sa.Text, nullable=False),
    Column("sent_at", TIMESTAMP, nullable=False),
    Column("status", sa.Text, nullable=False, server_default="sent"),
    Column("resolved_at", TIMESTAMP),
    Column("qb_id", sa.Text),
    Column("outcome", sa.Text, comment="how an unfinished send was resolved"),
    one_of("status", ("sent", "answered", "resolved")),
    Index(None, "entity", "status"),
)

SYNC_TABLES = tuple(
    t.name
    for t in (
        sync_watermarks,
        sync_runs,
        sync_record_errors,
        sync_conflicts,
        sync_snapshots,
        sync_staging,
        sync_drift,
    )
)
SYNCED_TABLES = tuple(name for name in CMMS_TABLES if "qb_status" in metadata.tables[name].c)
UPDATED_AT_TABLES = tuple(t.name for t in metadata.sorted_tables if "updated_at" in t.c)

# --- Transaction pushes (migration 0007, issue 8) --------------------------------------------------
# Columns the integration adds to contract tables (never renaming or repurposing a contract column):
# QuickBooks' own figures stored back next to the CMMS ones, an invoice-level discount, and the
# Accounts Payable account of a bill (QuickBooks' default AP account when empty).
invoices.append_column(Column("discount_amount", MONEY, comment="invoice-level discount sent to QBO"))
invoices.append_column(Column("qb_total_amt", MONEY, comment="QuickBooks TotalAmt"))
invoices.append_column(Column("qb_total_tax", MONEY, comment="QuickBooks TxnTaxDetail.TotalTax"))
invoices.append_column(Column("qb_balance", MONEY, comment="QuickBooks Balance"))
# Migration 0011: the QuickBooks version of the invoice whose Balance the payment run last published
# (qbo_sync.payments: an older copy read by a batch published later must not pass for the current one).
invoices.append_column(
    Column(
        "qb_balance_sync_token",
        sa.Text,
        comment="SyncToken of the QuickBooks invoice whose Balance the payment run last published",
    )
)
invoices.append_column(Column("qb_balance_updated_at", TIMESTAMP, comment="its MetaData.LastUpdatedTime"))
purchase_invoices.append_column(
    Column("ap_account_id", ID, comment="accounts.id; empty: the default AP account")
)
purchase_invoices.append_column(Column("qb_total_amt", MONEY, comment="QuickBooks TotalAmt"))
purchase_invoices.append_column(Column("qb_balance", MONEY, comment="QuickBooks Balance"))
sync_runs.append_column(
    Column("waiting", sa.Integer, nullable=False, server_default="0", comment="waiting for a reference")
)
# Per pushed transaction: the revision QuickBooks last agreed to, and an open send (``sending_since``
# set before a create/update leaves, cleared in the transaction that records the answer): a record
# still "sending" at the next run may exist in QuickBooks, so it is looked up by DocNumber first.
sync_txn_state = Table(
    "sync_txn_state",
    metadata,
    Column("entity", sa.Text, primary_key=True),
    Column("cmms_id", ID, primary_key=True, autoincrement=False),
    Column("doc_number", sa.Text, comment="DocNumber sent to QuickBooks (the lookup key)"),
    Column("agreed_revision", sa.Text, comment="hash of the body QuickBooks last accepted"),
    Column("sent_revision", sa.Text),
    Column("request_id", sa.Text),
    Column("sending_since", TIMESTAMP, comment="set while a write's outcome is unknown"),
    Column("voided", sa.Boolean, nullable=False, server_default=FALSE),
)

__all__ = [
    "ADOPTION_TABLES",
    "CMMS_TABLES",
    "QB_STATUSES",
    "SYNCED_TABLES",
    "SYNC_COLUMNS",
    "SYNC_TABLES",
    "TOKEN_TABLES",
    "UPDATED_AT_TABLES",
    "metadata",
    *sorted(metadata.tables),
]


# --- migration 0008 (issue 12): run outcomes by direction, values overwritten by the merge ------
# Appended as one block so parallel branches merge cleanly.
from qbo_sync.db.columns import ID, JSON  # noqa: E402

sync_runs.append_column(
    Column("outcomes", JSON, comment="counts by direction: from_quickbooks / to_quickbooks")
)

sync_overwrites = Table(
    "sync_overwrites",
    metadata,
    pk(),
    Column("entity", sa.Text, nullable=False),
    Column("cmms_id", ID, nullable=False),
    Column("qb_id", sa.Text),
    Column("field", sa.Text, nullable=False),
    Column("overwritten_side", sa.Text, nullable=False, comment="qbo or cmms: whose value was replaced"),
    Column("qbo_value", sa.Text, comment="JSON text: what QuickBooks had"),
    Column("cmms_value", sa.Text, comment="JSON text: what the CMMS had"),
    Column("base_value", sa.Text, comment="JSON text: the last agreed value"),
    Column("run_key", sa.Text),
    created_at(),
    one_of("overwritten_side", ("qbo", "cmms")),
    Index(None, "entity", "cmms_id"),
)
