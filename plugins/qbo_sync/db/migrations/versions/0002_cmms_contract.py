"""The CMMS contract tables (cmms-contract.md) and the single qb_settings row, adopted if present.

The CMMS application owns these tables; in production they usually exist already. Missing tables
are created; existing ones get only their missing columns, constraints on those columns, the
unique ``qb_id`` constraint, indexes and ``updated_at`` triggers (see ``_adopt``). What was added
is recorded in ``qbo_sync_adopted_objects``, and the downgrade removes exactly that.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from qbo_sync.db.migrations import _adopt

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types as this revision creates them (frozen here; never import them from the product's schema).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
NOW = sa.text("CURRENT_TIMESTAMP")


def _sync_columns(table: str) -> list[sa.SchemaItem]:
    """The contract's sync columns, as on every *synced* table."""
    statuses = "'not_synced', 'synced', 'error', 'conflict'"
    return [
        sa.Column("qb_id", sa.Text(), nullable=True),
        sa.Column("qb_sync_token", sa.Text(), nullable=True),
        sa.Column("qb_status", sa.Text(), server_default="not_synced", nullable=False),
        sa.Column("qb_error", sa.Text(), nullable=True),
        sa.Column("qb_synced_at", TS, nullable=True),
        sa.Column("qb_last_updated_at", TS, nullable=True),
        sa.Column("updated_at", TS, server_default=NOW, nullable=False),
        sa.CheckConstraint(f"qb_status IN ({statuses})", name=op.f(f"ck_{table}_qb_status")),
        sa.UniqueConstraint("qb_id", name=op.f(f"uq_{table}_qb_id")),
    ]


UPDATED_AT_TABLES = (
    "accounts",
    "customers",
    "tax_codes",
    "tax_rates",
    "vendors",
    "items",
    "payments",
    "purchase_invoices",
    "qb_settings",
    "invoices",
    "expenses",
)


def _contract_tables() -> list[tuple[str, list[sa.SchemaItem]]]:
    """The contract tables in creation order (fresh objects on every call)."""
    return [
        (
            "accounts",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("name", sa.Text(), nullable=False),
                sa.Column("fully_qualified_name", sa.Text(), nullable=True),
                sa.Column("account_type", sa.Text(), nullable=True),
                sa.Column("account_sub_type", sa.Text(), nullable=True),
                sa.Column("classification", sa.Text(), nullable=True),
                sa.Column("account_number", sa.Text(), nullable=True),
                sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
                sa.Column("current_balance", sa.Numeric(precision=18, scale=2), nullable=True),
                *_sync_columns("accounts"),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
            ],
        ),
        (
            "customers",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("display_name", sa.Text(), nullable=False),
                sa.Column("company_name", sa.Text(), nullable=True),
                sa.Column("given_name", sa.Text(), nullable=True),
                sa.Column("family_name", sa.Text(), nullable=True),
                sa.Column("email", sa.Text(), nullable=True),
                sa.Column("phone", sa.Text(), nullable=True),
                sa.Column("bill_line1", sa.Text(), nullable=True),
                sa.Column("bill_line2", sa.Text(), nullable=True),
                sa.Column("bill_city", sa.Text(), nullable=True),
                sa.Column("bill_region", sa.Text(), nullable=True),
                sa.Column("bill_postal_code", sa.Text(), nullable=True),
                sa.Column("bill_country", sa.Text(), nullable=True),
                sa.Column("taxable", sa.Boolean(), nullable=True),
                sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
                sa.Column("notes", sa.Text(), nullable=True),
                sa.Column("created_at", TS, server_default=NOW, nullable=False),
                *_sync_columns("customers"),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
            ],
        ),
        (
            "tax_codes",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("name", sa.Text(), nullable=False),
                sa.Column("description", sa.Text(), nullable=True),
                sa.Column("taxable", sa.Boolean(), nullable=True),
                sa.Column("tax_group", sa.Boolean(), nullable=True),
                sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
                *_sync_columns("tax_codes"),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_codes")),
            ],
        ),
        (
            "tax_rates",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("name", sa.Text(), nullable=False),
                sa.Column("description", sa.Text(), nullable=True),
                sa.Column("rate_value", sa.Numeric(precision=9, scale=4), nullable=True, comment="percent"),
                sa.Column("agency_name", sa.Text(), nullable=True),
                sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
                *_sync_columns("tax_rates"),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rates")),
            ],
        ),
        (
            "vendors",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("display_name", sa.Text(), nullable=False),
                sa.Column("company_name", sa.Text(), nullable=True),
                sa.Column("email", sa.Text(), nullable=True),
                sa.Column("phone", sa.Text(), nullable=True),
                sa.Column("bill_line1", sa.Text(), nullable=True),
                sa.Column("bill_line2", sa.Text(), nullable=True),
                sa.Column("bill_city", sa.Text(), nullable=True),
                sa.Column("bill_region", sa.Text(), nullable=True),
                sa.Column("bill_postal_code", sa.Text(), nullable=True),
                sa.Column("bill_country", sa.Text(), nullable=True),
                sa.Column("account_number", sa.Text(), nullable=True),
                sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
                sa.Column("created_at", TS, server_default=NOW, nullable=False),
                *_sync_columns("vendors"),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
            ],
        ),
        (
            "items",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("name", sa.Text(), nullable=False),
                sa.Column("sku", sa.Text(), nullable=True),
                sa.Column("description", sa.Text(), nullable=True),
                sa.Column("item_type", sa.Text(), server_default="non_inventory", nullable=False),
                sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=True),
                sa.Column("purchase_cost", sa.Numeric(precision=18, scale=4), nullable=True),
                sa.Column("qty_on_hand", sa.Numeric(precision=18, scale=4), nullable=True),
                sa.Column("inv_start_date", sa.Date(), nullable=True),
                sa.Column("taxable", sa.Boolean(), nullable=True),
                sa.Column("income_account_id", ID, nullable=True),
                sa.Column("expense_account_id", ID, nullable=True),
                sa.Column("asset_account_id", ID, nullable=True),
                sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
                sa.Column("created_at", TS, server_default=NOW, nullable=False),
                *_sync_columns("items"),
                sa.CheckConstraint(
                    "item_type IN ('inventory', 'non_inventory', 'service')", name=op.f("ck_items_item_type")
                ),
                sa.ForeignKeyConstraint(
                    ["asset_account_id"], ["accounts.id"], name=op.f("fk_items_asset_account_id")
                ),
                sa.ForeignKeyConstraint(
                    ["expense_account_id"], ["accounts.id"], name=op.f("fk_items_expense_account_id")
                ),
                sa.ForeignKeyConstraint(
                    ["income_account_id"], ["accounts.id"], name=op.f("fk_items_income_account_id")
                ),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
            ],
        ),
        (
            "jobs",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("number", sa.Text(), nullable=True),
                sa.Column("customer_id", ID, nullable=True),
                sa.Column("description", sa.Text(), nullable=True),
                sa.Column("status", sa.Text(), nullable=True),
                sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_jobs_customer_id")),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
            ],
        ),
        (
            "payments",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("qb_id", sa.Text(), nullable=False),
                sa.Column("customer_id", ID, nullable=True),
                sa.Column("payment_date", sa.Date(), nullable=True),
                sa.Column(
                    "total_amount", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
                ),
                sa.Column(
                    "unapplied_amount", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
                ),
                sa.Column("payment_method", sa.Text(), nullable=True),
                sa.Column("reference_number", sa.Text(), nullable=True),
                sa.Column("private_note", sa.Text(), nullable=True),
                sa.Column("status", sa.Text(), server_default="active", nullable=False),
                sa.Column("qb_sync_token", sa.Text(), nullable=True),
                sa.Column("qb_last_updated_at", TS, nullable=True),
                sa.Column("synced_at", TS, nullable=True),
                sa.Column("updated_at", TS, server_default=NOW, nullable=False),
                sa.CheckConstraint(
                    "status IN ('active', 'voided', 'deleted')", name=op.f("ck_payments_status")
                ),
                sa.ForeignKeyConstraint(
                    ["customer_id"], ["customers.id"], name=op.f("fk_payments_customer_id")
                ),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
                sa.UniqueConstraint("qb_id", name=op.f("uq_payments_qb_id")),
            ],
        ),
        (
            "purchase_invoices",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("bill_number", sa.Text(), nullable=True),
                sa.Column("vendor_id", ID, nullable=True),
                sa.Column("bill_date", sa.Date(), nullable=True),
                sa.Column("due_date", sa.Date(), nullable=True),
                sa.Column("memo", sa.Text(), nullable=True),
                sa.Column("total", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
                sa.Column("created_at", TS, server_default=NOW, nullable=False),
                *_sync_columns("purchase_invoices"),
                sa.ForeignKeyConstraint(
                    ["vendor_id"], ["vendors.id"], name=op.f("fk_purchase_invoices_vendor_id")
                ),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_invoices")),
            ],
        ),
        (
            "qb_settings",
            [
                sa.Column("id", sa.Integer(), server_default="1", autoincrement=False, nullable=False),
                sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
                sa.Column("expense_debit_account_id", ID, nullable=True),
                sa.Column("expense_credit_account_id", ID, nullable=True),
                sa.Column(
                    "payment_sync_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False
                ),
                sa.Column("updated_at", TS, server_default=NOW, nullable=False),
                sa.CheckConstraint("id = 1", name=op.f("ck_qb_settings_single_row")),
                sa.ForeignKeyConstraint(
                    ["expense_credit_account_id"],
                    ["accounts.id"],
                    name=op.f("fk_qb_settings_expense_credit_account_id"),
                ),
                sa.ForeignKeyConstraint(
                    ["expense_debit_account_id"],
                    ["accounts.id"],
                    name=op.f("fk_qb_settings_expense_debit_account_id"),
                ),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_qb_settings")),
            ],
        ),
        (
            "work_orders",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("number", sa.Text(), nullable=True),
                sa.Column("customer_id", ID, nullable=True),
                sa.Column("description", sa.Text(), nullable=True),
                sa.Column("status", sa.Text(), nullable=True),
                sa.ForeignKeyConstraint(
                    ["customer_id"], ["customers.id"], name=op.f("fk_work_orders_customer_id")
                ),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
            ],
        ),
        (
            "invoices",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("invoice_number", sa.Text(), nullable=True),
                sa.Column("customer_id", ID, nullable=True),
                sa.Column("invoice_date", sa.Date(), nullable=True),
                sa.Column("due_date", sa.Date(), nullable=True),
                sa.Column("work_order_id", ID, nullable=True),
                sa.Column("job_id", ID, nullable=True),
                sa.Column("memo", sa.Text(), nullable=True),
                sa.Column("subtotal", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
                sa.Column("tax_total", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
                sa.Column("total", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
                sa.Column(
                    "paid_amount", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
                ),
                sa.Column("balance", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
                sa.Column("status", sa.Text(), server_default="draft", nullable=False),
                sa.Column("created_at", TS, server_default=NOW, nullable=False),
                *_sync_columns("invoices"),
                sa.CheckConstraint(
                    "status IN ('draft', 'open', 'partial', 'paid', 'void')", name=op.f("ck_invoices_status")
                ),
                sa.ForeignKeyConstraint(
                    ["customer_id"], ["customers.id"], name=op.f("fk_invoices_customer_id")
                ),
                sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_invoices_job_id")),
                sa.ForeignKeyConstraint(
                    ["work_order_id"], ["work_orders.id"], name=op.f("fk_invoices_work_order_id")
                ),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
                sa.UniqueConstraint("invoice_number", name=op.f("uq_invoices_invoice_number")),
            ],
        ),
        (
            "purchase_invoice_lines",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("purchase_invoice_id", ID, nullable=False),
                sa.Column("line_no", sa.Integer(), nullable=False),
                sa.Column("item_id", ID, nullable=True),
                sa.Column("account_id", ID, nullable=True),
                sa.Column("description", sa.Text(), nullable=True),
                sa.Column("quantity_received", sa.Numeric(precision=18, scale=4), nullable=True),
                sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=True),
                sa.Column("amount", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
                sa.ForeignKeyConstraint(
                    ["account_id"], ["accounts.id"], name=op.f("fk_purchase_invoice_lines_account_id")
                ),
                sa.ForeignKeyConstraint(
                    ["item_id"], ["items.id"], name=op.f("fk_purchase_invoice_lines_item_id")
                ),
                sa.ForeignKeyConstraint(
                    ["purchase_invoice_id"],
                    ["purchase_invoices.id"],
                    name=op.f("fk_purchase_invoice_lines_purchase_invoice_id"),
                    ondelete="CASCADE",
                ),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_invoice_lines")),
            ],
        ),
        (
            "expenses",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("vendor_id", ID, nullable=True),
                sa.Column("expense_date", sa.Date(), nullable=True),
                sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
                sa.Column("description", sa.Text(), nullable=True),
                sa.Column("expense_account_id", ID, nullable=True),
                sa.Column("invoice_id", ID, nullable=True),
                sa.Column("work_order_id", ID, nullable=True),
                sa.Column("job_id", ID, nullable=True),
                sa.Column("created_at", TS, server_default=NOW, nullable=False),
                *_sync_columns("expenses"),
                sa.ForeignKeyConstraint(
                    ["expense_account_id"], ["accounts.id"], name=op.f("fk_expenses_expense_account_id")
                ),
                sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_expenses_invoice_id")),
                sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_expenses_job_id")),
                sa.ForeignKeyConstraint(["vendor_id"], ["vendors.id"], name=op.f("fk_expenses_vendor_id")),
                sa.ForeignKeyConstraint(
                    ["work_order_id"], ["work_orders.id"], name=op.f("fk_expenses_work_order_id")
                ),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_expenses")),
            ],
        ),
        (
            "invoice_lines",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("invoice_id", ID, nullable=False),
                sa.Column("line_no", sa.Integer(), nullable=False),
                sa.Column("item_id", ID, nullable=True),
                sa.Column("description", sa.Text(), nullable=True),
                sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=True),
                sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=True),
                sa.Column("amount", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False),
                sa.Column("tax_code_id", ID, nullable=True),
                sa.ForeignKeyConstraint(
                    ["invoice_id"],
                    ["invoices.id"],
                    name=op.f("fk_invoice_lines_invoice_id"),
                    ondelete="CASCADE",
                ),
                sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_invoice_lines_item_id")),
                sa.ForeignKeyConstraint(
                    ["tax_code_id"], ["tax_codes.id"], name=op.f("fk_invoice_lines_tax_code_id")
                ),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
            ],
        ),
        (
            "payment_applications",
            [
                sa.Column("id", ID, autoincrement=True, nullable=False),
                sa.Column("payment_id", ID, nullable=False),
                sa.Column("invoice_id", ID, nullable=False),
                sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
                sa.ForeignKeyConstraint(
                    ["invoice_id"], ["invoices.id"], name=op.f("fk_payment_applications_invoice_id")
                ),
                sa.ForeignKeyConstraint(
                    ["payment_id"],
                    ["payments.id"],
                    name=op.f("fk_payment_applications_payment_id"),
                    ondelete="CASCADE",
                ),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_applications")),
                sa.UniqueConstraint(
                    "payment_id", "invoice_id", name=op.f("uq_payment_applications_payment_id_invoice_id")
                ),
            ],
        ),
    ]


INDEXES = (
    ("ix_purchase_invoice_lines_purchase_invoice_id", "purchase_invoice_lines", ["purchase_invoice_id"]),
    ("ix_invoice_lines_invoice_id", "invoice_lines", ["invoice_id"]),
    ("ix_payment_applications_invoice_id", "payment_applications", ["invoice_id"]),
)

_settings = sa.table(
    "qb_settings",
    sa.column("id", sa.Integer()),
    sa.column("enabled", sa.Boolean()),
    sa.column("payment_sync_enabled", sa.Boolean()),
)


def upgrade() -> None:
    _adopt.create_ledger()
    adoption = _adopt.Adoption()
    for (name, items), (_, twin) in zip(_contract_tables(), _contract_tables(), strict=True):
        adoption.ensure_table(name, items, twin)
    for index, table, columns in INDEXES:
        adoption.ensure_index(op.f(index), table, columns)
    _settings_row(adoption)
    for table in UPDATED_AT_TABLES:
        adoption.ensure_trigger(table)
    adoption.save()


def _settings_row(adoption: _adopt.Adoption) -> None:
    """The one qb_settings row, unless the CMMS application already has one."""
    row = {"id": 1, "enabled": True, "payment_sync_enabled": True}
    if adoption.is_new("qb_settings"):
        op.bulk_insert(_settings, [row])
        return
    count = op.get_bind().execute(sa.select(sa.func.count()).select_from(_settings)).scalar()
    if not count:
        op.bulk_insert(_settings, [row])


def downgrade() -> None:
    _adopt.undo()
