"""A deliberate, tested copy of the CMMS database contract (``shared/cmms-contract.md``).

The mapping loader checks every mapped column against this copy, so a typo in a mapping file
fails at load time instead of at the first sync. ``tests/mapping/test_contract.py`` compares it
with the contract document, so the two cannot drift apart silently.

Column kinds (what a value looks like on the CMMS side):

``int``        integer key or reference
``text``       string
``bool``       boolean
``money``      ``NUMERIC(18,2)`` as ``Decimal``
``decimal4``   ``NUMERIC(18,4)`` as ``Decimal`` (quantities and unit prices)
``rate``       ``NUMERIC(9,4)`` as ``Decimal`` (percent)
``date``       plain date
``timestamp``  timezone-aware datetime in UTC
"""

from __future__ import annotations

SYNC_COLUMNS: dict[str, str] = {
    "qb_id": "text",
    "qb_sync_token": "text",
    "qb_status": "text",
    "qb_error": "text",
    "qb_synced_at": "timestamp",
    "qb_last_updated_at": "timestamp",
    "updated_at": "timestamp",
}

_ADDRESS: dict[str, str] = {
    "bill_line1": "text",
    "bill_line2": "text",
    "bill_city": "text",
    "bill_region": "text",
    "bill_postal_code": "text",
    "bill_country": "text",
}

# Business columns per table, exactly as the contract lists them (sync columns come separately).
CONTRACT_COLUMNS: dict[str, dict[str, str]] = {
    "accounts": {
        "id": "int",
        "name": "text",
        "fully_qualified_name": "text",
        "account_type": "text",
        "account_sub_type": "text",
        "classification": "text",
        "account_number": "text",
        "active": "bool",
        "current_balance": "money",
    },
    "tax_codes": {
        "id": "int",
        "name": "text",
        "description": "text",
        "taxable": "bool",
        "tax_group": "bool",
        "active": "bool",
    },
    "tax_rates": {
        "id": "int",
        "name": "text",
        "description": "text",
        "rate_value": "rate",
        "agency_name": "text",
        "active": "bool",
    },
    "customers": {
        "id": "int",
        "display_name": "text",
        "company_name": "text",
        "given_name": "text",
        "family_name": "text",
        "email": "text",
        "phone": "text",
        **_ADDRESS,
        "taxable": "bool",
        "active": "bool",
        "notes": "text",
        "created_at": "timestamp",
    },
    "vendors": {
        "id": "int",
        "display_name": "text",
        "company_name": "text",
        "email": "text",
        "phone": "text",
        **_ADDRESS,
        "account_number": "text",
        "active": "bool",
        "created_at": "timestamp",
    },
    "items": {
        "id": "int",
        "name": "text",
        "sku": "text",
        "description": "text",
        "item_type": "text",
        "unit_price": "decimal4",
        "purchase_cost": "decimal4",
        "qty_on_hand": "decimal4",
        "inv_start_date": "date",
        "taxable": "bool",
        "income_account_id": "int",
        "expense_account_id": "int",
        "asset_account_id": "int",
        "active": "bool",
        "created_at": "timestamp",
    },
    "invoices": {
        "id": "int",
        "invoice_number": "text",
        "customer_id": "int",
        "invoice_date": "date",
        "due_date": "date",
        "work_order_id": "int",
        "job_id": "int",
        "memo": "text",
        "subtotal": "money",
        "tax_total": "money",
        "total": "money",
        "paid_amount": "money",
        "balance": "money",
        "status": "text",
        "created_at": "timestamp",
    },
    "purchase_invoices": {
        "id": "int",
        "bill_number": "text",
        "vendor_id": "int",
        "bill_date": "date",
        "due_date": "date",
        "memo": "text",
        "total": "money",
        "created_at": "timestamp",
    },
    "expenses": {
        "id": "int",
        "vendor_id": "int",
        "expense_date": "date",
        "amount": "money",
        "description": "text",
        "expense_account_id": "int",
        "invoice_id": "int",
        "work_order_id": "int",
        "job_id": "int",
        "created_at": "timestamp",
    },
}

# Tables the contract marks *synced* (they carry the sync columns and can be mapped).
SYNCED_TABLES: frozenset[str] = frozenset(CONTRACT_COLUMNS)

# Reference columns of synced tables and the table each one points at.
FOREIGN_KEYS: dict[tuple[str, str], str] = {
    ("items", "income_account_id"): "accounts",
    ("items", "expense_account_id"): "accounts",
    ("items", "asset_account_id"): "accounts",
    ("invoices", "customer_id"): "customers",
    ("invoices", "work_order_id"): "work_orders",
    ("invoices", "job_id"): "jobs",
    ("purchase_invoices", "vendor_id"): "vendors",
    ("expenses", "vendor_id"): "vendors",
    ("expenses", "expense_account_id"): "accounts",
    ("expenses", "invoice_id"): "invoices",
    ("expenses", "work_order_id"): "work_orders",
    ("expenses", "job_id"): "jobs",
}

# Columns the mapping layer never maps as business fields: keys, audit and sync bookkeeping.
MANAGED_COLUMNS: frozenset[str] = frozenset({"id", "created_at", *SYNC_COLUMNS})


def column_kind(table: str, column: str) -> str | None:
    """The kind of ``table.column`` per the contract, or None when the contract has no such column."""
    columns = CONTRACT_COLUMNS.get(table)
    if columns is None:
        return None
    if column in columns:
        return columns[column]
    return SYNC_COLUMNS.get(column)
