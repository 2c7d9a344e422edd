"""The demo CMMS data: what a facility-maintenance team typed into its CMMS.

Masters need nothing from QuickBooks: customers, vendors and work orders. Everything else names
what QuickBooks owns by name (accounts, tax codes and rates are pulled into the CMMS first) and is
resolved to CMMS ids when seeded (:mod:`qbo_sync.demo.seed`). Names are the keys that make seeding
idempotent: a customer by display name, an item by name, a work order and an invoice by number, a
bill by vendor and number, an expense by description.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class AccountSpec:
    """An account the demo wants by name; any account of the type (and sub type) stands in for it."""

    name: str
    account_type: str
    sub_type: str | None = None


SALES = AccountSpec("Sales of Product Income", "Income")
SERVICES = AccountSpec("Services", "Income")
COGS = AccountSpec("Cost of Goods Sold", "Cost of Goods Sold")
INVENTORY = AccountSpec("Inventory Asset", "Other Current Asset", "Inventory")
SUPPLIES = AccountSpec("Supplies & Materials", "Expense")
REPAIRS = AccountSpec("Repairs & Maintenance", "Expense")
FUEL = AccountSpec("Fuel", "Expense")
CARD = AccountSpec("Visa Business Card", "Credit Card")

# qb_settings: expenses are debited to supplies and paid with the company card (set when empty)
EXPENSE_DEBIT, EXPENSE_CREDIT = SUPPLIES, CARD
# the sales tax code of the demo invoices' taxable lines (a single-rate code: its rate has its name)
TAX_CODE, NO_TAX_CODE = "California", "NON"

CUSTOMERS = [
    {
        "display_name": "Harbor View Apartments",
        "company_name": "Harbor View Apartments LLC",
        "email": "facilities@harborview.example",
        "phone": "(415) 555-0142",
        "bill_line1": "88 Embarcadero",
        "bill_city": "San Francisco",
        "bill_region": "CA",
        "bill_postal_code": "94105",
        "bill_country": "USA",
    },
    {
        "display_name": "Mission Street Dental",
        "company_name": "Mission Street Dental Group",
        "email": "office@missiondental.example",
        "phone": "(415) 555-0177",
        "bill_line1": "2210 Mission St",
        "bill_city": "San Francisco",
        "bill_region": "CA",
        "bill_postal_code": "94110",
        "bill_country": "USA",
    },
    {
        "display_name": "Oakridge Elementary School",
        "company_name": "Oakridge Unified School District",
        "email": "maintenance@oakridge.example",
        "phone": "(510) 555-0190",
        "bill_line1": "14 School Rd",
        "bill_city": "Oakland",
        "bill_region": "CA",
        "bill_postal_code": "94611",
        "bill_country": "USA",
    },
]
VENDORS = [
    {
        "display_name": "Bay Area Fasteners Supply",
        "company_name": "Bay Area Fasteners Supply Inc",
        "email": "orders@bafasteners.example",
        "phone": "(650) 555-0111",
        "account_number": "BAF-2291",
    },
    {
        "display_name": "Golden Gate HVAC Parts",
        "company_name": "Golden Gate HVAC Parts Co",
        "email": "sales@gghvac.example",
        "phone": "(415) 555-0123",
        "account_number": "GG-7781",
    },
]
# (number, customer, description, status)
WORK_ORDERS = [
    ("WO-2001", "Harbor View Apartments", "Quarterly HVAC preventive maintenance, building A", "completed"),
    ("WO-2002", "Mission Street Dental", "Replace failed thermostat and front door closer", "completed"),
    ("WO-2003", "Oakridge Elementary School", "Emergency call-out: no heat in classrooms 4-6", "completed"),
    ("WO-2004", "Harbor View Apartments", "Lobby door closer adjustment", "open"),
]

FILTER = "Pleated Air Filter 20x25x2 MERV 8"
THERMOSTAT = "Programmable Thermostat 7-Day"
CLOSER = "Door Closer Grade 1"
PM_VISIT = "Preventive Maintenance Visit"
LABOR = "HVAC Technician Labor - Hourly"


@dataclass(frozen=True)
class ItemSpec:
    name: str
    item_type: str
    sku: str | None
    description: str
    unit_price: str
    purchase_cost: str | None
    taxable: bool
    income: AccountSpec
    expense: AccountSpec | None = None
    asset: AccountSpec | None = None
    qty_on_hand: str | None = None  # inventory items: the opening quantity


ITEMS = [
    ItemSpec(FILTER, "inventory", "FLT-20252-M8", "Pleated air filter 20x25x2, MERV 8", "18.50", "7.90",
             True, SALES, COGS, INVENTORY, "120"),
    ItemSpec(THERMOSTAT, "inventory", "TST-7D-100", "7-day programmable thermostat, 24 V", "89.00", "52.00",
             True, SALES, COGS, INVENTORY, "10"),
    ItemSpec(CLOSER, "non_inventory", "DC-G1-AL", "Grade 1 door closer, aluminium, special order", "74.00",
             "38.00", True, SALES, SUPPLIES),
    ItemSpec(PM_VISIT, "service", None, "Preventive maintenance visit (up to 2 hours)", "145.00", None,
             False, SERVICES),
    ItemSpec(LABOR, "service", None, "HVAC technician labor, per hour", "125.00", None, False, SERVICES),
]  # fmt: skip


@dataclass(frozen=True)
class InvoiceSpec:
    number: str
    customer: str
    work_order: str
    days_ago: int
    memo: str
    lines: list[tuple[str, str, str]]  # (item, quantity, unit price); taxable as the item is
    discount: str | None = None


INVOICES = [
    InvoiceSpec("INV-5001", "Harbor View Apartments", "WO-2001", 24,
                "Quarterly preventive maintenance, building A. Thank you for your business.",
                [(PM_VISIT, "1", "145.00"), (FILTER, "10", "18.50")], discount="15.00"),
    InvoiceSpec("INV-5002", "Mission Street Dental", "WO-2002", 12,
                "Thermostat and door closer replaced.",
                [(THERMOSTAT, "1", "89.00"), (CLOSER, "1", "74.00"), (LABOR, "2.5", "125.00")]),
    InvoiceSpec("INV-5003", "Oakridge Elementary School", "WO-2003", 5,
                "Emergency call-out; school district discount applied.",
                [(LABOR, "3", "125.00"), (FILTER, "24", "18.50")], discount="40.00"),
]  # fmt: skip


@dataclass(frozen=True)
class BillSpec:
    vendor: str
    number: str
    days_ago: int
    memo: str
    item_lines: list[tuple[str, str, str]]  # (item, quantity received, unit cost)
    account_lines: list[tuple[AccountSpec, str, str]]  # (account, description, amount)


BILLS = [
    BillSpec("Golden Gate HVAC Parts", "GG-55102", 30, "Filters and thermostats for the PM round",
             [(FILTER, "48", "7.90"), (THERMOSTAT, "4", "52.00")], [(SUPPLIES, "Freight", "24.50")]),
    BillSpec("Bay Area Fasteners Supply", "BAF-88123", 14, "Door closers for WO-2002 and WO-2004",
             [(CLOSER, "2", "38.00")], [(REPAIRS, "Anchors, sealant and fasteners", "36.45")]),
]  # fmt: skip


@dataclass(frozen=True)
class ExpenseSpec:
    description: str
    vendor: str | None
    days_ago: int
    amount: str
    work_order: str | None
    account: AccountSpec | None = None  # None: the settings' debit account


EXPENSES = [
    ExpenseSpec("Fuel for the emergency call-out van", None, 5, "68.40", "WO-2003", FUEL),
    ExpenseSpec(
        "Hardware store run: anchors and sealant", "Bay Area Fasteners Supply", 12, "42.17", "WO-2002"
    ),
    ExpenseSpec("Parking at Harbor View during the PM visit", None, 24, "18.00", "WO-2001"),
]


@dataclass(frozen=True)
class PaymentSpec:
    """The partial payment a bookkeeper records in QuickBooks against a demo invoice."""

    invoice: str
    amount: Decimal
    reference: str
    note: str
    method: str = "Check"
    method_id: str = "2"  # QuickBooks' default PaymentMethod Id of "Check" (the sandbox seeds it)


PAYMENT = PaymentSpec("INV-5001", Decimal("150.00"), "4417", "Check 4417 received at the front desk")
