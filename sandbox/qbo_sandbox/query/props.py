"""Which properties a QBO query may name, per entity (WHERE, ORDERBY and SELECT lists).

QBO rejects a query naming a property the entity does not have with HTTP 400, code 4001
("Invalid query"), Detail ``QueryValidationError: Property <Prop> not found for Entity <Entity>``
(wording reported verbatim by several integrators, e.g. "Property BillAddr not found for Entity
Customer", "Property InvoiceLink not found for Entity Invoice"; the 4001/"Invalid query" envelope is
the recorded ``error__400.json`` one). Some real properties are documented as not filterable and get
``QueryValidationError: property 'AcctNum' is not queryable`` (intuit/QuickBooks-V3-DotNET-SDK#163).

The queryable set of an entity is: the documented properties below (qbo-api.md §9 and the Intuit
reference), every top-level property of the entity's stored objects (so whatever the seed or a
recorded fixture holds is queryable), and ``MetaData.CreateTime`` / ``MetaData.LastUpdatedTime``
(any case, also spelled ``Metadata.``). Ref properties (``CustomerRef``) compare their ``value``.
Other dotted paths (``BillAddr.City``) are rejected. A WHERE or ORDERBY may name only the entity's
filterable properties (:data:`FILTERABLE`); other real ones get ``property 'X' is not queryable``.

``SELECT`` lists (decision, see :mod:`qbo_sandbox.query`): QBO accepts ``SELECT *, Sku FROM Item``
(python-quickbooks 0.9.12 sends it) and ``SELECT Id, Name FROM Item`` (integrators use it), and
rejects unknown names with the same 4001. The sandbox validates every listed name the same way and,
without ``*``, returns only the listed properties of each row (which extra bookkeeping fields real
QBO adds to such sparse rows is UNCONFIRMED; none are added here).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults

if TYPE_CHECKING:
    from qbo_sandbox.query.parse import Query

META_PATHS = frozenset({("metadata", "createtime"), ("metadata", "lastupdatedtime")})
_COMMON = ("Id", "SyncToken", "MetaData", "domain", "sparse")
_PARTY = (
    "DisplayName", "Title", "GivenName", "MiddleName", "FamilyName", "Suffix", "CompanyName",
    "FullyQualifiedName", "PrintOnCheckName", "Active", "PrimaryPhone", "Mobile", "Fax",
    "AlternatePhone", "PrimaryEmailAddr", "WebAddr", "BillAddr", "Balance", "CurrencyRef",
)  # fmt: skip
_TXN = (
    "DocNumber", "TxnDate", "PrivateNote", "TotalAmt", "Line", "CurrencyRef", "ExchangeRate",
    "TxnTaxDetail", "LinkedTxn", "DepartmentRef", "HomeTotalAmt",
)  # fmt: skip
_SALES = (
    "CustomerRef", "DueDate", "Balance", "CustomerMemo", "BillEmail", "BillAddr", "ShipAddr",
    "SalesTermRef", "EmailStatus", "PrintStatus", "ApplyTaxAfterDiscount", "ClassRef", "TxnStatus",
    "HomeBalance", "DepositToAccountRef", "PaymentMethodRef", "GlobalTaxCalculation",
)  # fmt: skip
DOCUMENTED: dict[str, tuple[str, ...]] = {
    "CompanyInfo": ("CompanyName", "LegalName", "CompanyAddr", "Country", "FiscalYearStartMonth"),
    "Account": (
        "Name", "AccountType", "AccountSubType", "Classification", "Active", "SubAccount",
        "ParentRef", "FullyQualifiedName", "CurrentBalance", "CurrentBalanceWithSubAccounts",
        "Description", "CurrencyRef", "AcctNum",
    ),
    "TaxCode": ("Name", "Description", "Active", "Taxable", "TaxGroup", "Hidden"),
    "TaxRate": ("Name", "Description", "Active", "RateValue", "AgencyRef", "SpecialTaxType"),
    "Customer": (
        *_PARTY, "ShipAddr", "Notes", "Job", "ParentRef", "Level", "BillWithParent",
        "BalanceWithJobs", "Taxable", "DefaultTaxCodeRef", "SalesTermRef", "PreferredDeliveryMethod",
        "AcctNum", "ResaleNum", "PaymentMethodRef",
    ),
    "Vendor": (*_PARTY, "AcctNum", "Vendor1099", "TermRef", "TaxIdentifier"),
    "Employee": (*_PARTY, "EmployeeNumber", "SSN", "HiredDate", "ReleasedDate", "BillableTime"),
    "Item": (
        "Name", "Sku", "Type", "Active", "Description", "UnitPrice", "PurchaseCost", "PurchaseDesc",
        "Taxable", "TrackQtyOnHand", "QtyOnHand", "InvStartDate", "IncomeAccountRef",
        "ExpenseAccountRef", "AssetAccountRef", "FullyQualifiedName", "ParentRef", "SubItem", "Level",
    ),
    "Invoice": _TXN + _SALES + ("Deposit", "AllowOnlinePayment", "InvoiceLink"),
    "SalesReceipt": _TXN + _SALES + ("PaymentRefNum",),
    "Estimate": _TXN + _SALES + ("ExpirationDate", "AcceptedBy", "AcceptedDate"),
    "Bill": (*_TXN, "VendorRef", "APAccountRef", "DueDate", "Balance", "SalesTermRef"),
    "JournalEntry": (*_TXN, "Adjustment"),
    "Payment": (
        *_TXN, "CustomerRef", "UnappliedAmt", "PaymentRefNum", "PaymentMethodRef",
        "DepositToAccountRef", "ARAccountRef", "ProcessPayment",
    ),
    "BillPayment": (
        *_TXN, "VendorRef", "PayType", "CheckPayment", "CreditCardPayment", "APAccountRef",
        "ProcessBillPayment",
    ),
    "PaymentMethod": ("Name", "Active", "Type"),
    "Term": ("Name", "Active", "Type", "DueDays", "DiscountPercent", "DiscountDays", "DayOfMonthDue",
             "DueNextMonthDays", "DiscountDayOfMonth"),
    "TaxAgency": ("DisplayName", "TaxRegistrationNumber", "TaxTrackedOnPurchases", "TaxTrackedOnSales"),
    "Preferences": ("AccountingInfoPrefs", "SalesFormsPrefs", "TaxPrefs", "OtherPrefs"),
}  # fmt: skip
# The properties a WHERE/ORDERBY may name, per entity: the ones Intuit's entity reference marks
# "filterable" (REF-<entity>, e.g. REF-invoice: Id, CustomerRef, DocNumber, ProjectRef, SalesTermRef,
# TxnDate, DueDate, Balance), plus TotalAmt on transactions (D-query's own examples filter on it) and
# MetaData.CreateTime/LastUpdatedTime everywhere. Any other real property gets 4001 ``property 'X'
# is not queryable`` (qbo-api.md §1: PrivateNote; intuit/QuickBooks-V3-DotNET-SDK#163: AcctNum).
# Where the reference says nothing about a property used by common integrations (Sku, PaymentRefNum)
# the sandbox lets it filter (UNCONFIRMED; stricter would reject valid queries).
_PARTY_F = (
    "Id",
    "DisplayName",
    "GivenName",
    "MiddleName",
    "FamilyName",
    "CompanyName",
    "PrimaryEmailAddr",
    "Active",
    "Balance",
    "FullyQualifiedName",
    "PrintOnCheckName",
)
_TXN_F = ("Id", "DocNumber", "TxnDate", "TotalAmt")
FILTERABLE: dict[str, tuple[str, ...]] = {
    "Account": ("Id", "Name", "SubAccount", "ParentRef", "FullyQualifiedName", "Active",
                "Classification", "AccountType", "AccountSubType", "CurrentBalance",
                "CurrentBalanceWithSubAccounts"),
    "Customer": (*_PARTY_F, "Job", "ParentRef", "BalanceWithJobs"),
    "Vendor": _PARTY_F,
    "Employee": _PARTY_F,
    "Item": ("Id", "Name", "Sku", "Type", "Active", "FullyQualifiedName", "UnitPrice",
             "PurchaseCost", "QtyOnHand", "Taxable", "ParentRef", "SubItem", "Level"),
    "TaxCode": ("Id", "Name", "Active", "Taxable", "TaxGroup", "Hidden"),
    "TaxRate": ("Id", "Name", "Active", "RateValue", "AgencyRef"),
    "TaxAgency": ("Id", "DisplayName"),
    "Term": ("Id", "Name", "Active", "Type"),
    "PaymentMethod": ("Id", "Name", "Active", "Type"),
    "Invoice": (*_TXN_F, "CustomerRef", "ProjectRef", "SalesTermRef", "DueDate", "Balance"),
    "SalesReceipt": (*_TXN_F, "CustomerRef", "ProjectRef"),
    "Estimate": (*_TXN_F, "CustomerRef", "ProjectRef", "ExpirationDate", "TxnStatus"),
    "Bill": (*_TXN_F, "VendorRef", "DueDate", "Balance", "SalesTermRef", "APAccountRef"),
    "JournalEntry": (*_TXN_F, "Adjustment"),
    "Payment": (*_TXN_F, "CustomerRef", "PaymentRefNum", "UnappliedAmt", "ProjectRef"),
    "BillPayment": (*_TXN_F, "VendorRef", "PayType"),
    "Preferences": (),
}  # fmt: skip


def documented(entity: str) -> frozenset[str]:
    """The documented property names of ``entity``, lower-cased."""
    return frozenset(p.lower() for p in (*_COMMON, *DOCUMENTED.get(entity, ())))


def stored_keys(rows: Iterable[dict]) -> frozenset[str]:
    """Lower-cased top-level keys of the stored objects."""
    keys: set[str] = set()
    for row in rows:
        keys.update(k.lower() for k in row)
    return frozenset(keys)


def not_found(prop: str, entity: str) -> faults.QBOFault:
    """4001 ``Property <prop> not found for Entity <entity>``."""
    return faults.query_error(f"Property {prop} not found for Entity {entity}")


def check(entity: str, path: tuple[str, ...], known: frozenset[str], *, filtering: bool) -> None:
    """Raise 4001 unless ``path`` names a queryable property of ``entity``.

    ``filtering`` is True for WHERE/ORDERBY (where unfilterable properties are rejected too).
    """
    lowered = tuple(p.lower() for p in path)
    if len(lowered) == 2 and lowered in META_PATHS:
        return
    prop = ".".join(path)
    if len(lowered) != 1 or lowered[0] not in known or lowered[0] in ("metadata", "domain", "sparse"):
        raise not_found(prop, entity)
    allowed = FILTERABLE.get(entity)
    if filtering and allowed is not None and lowered[0] not in {p.lower() for p in allowed}:
        raise faults.not_filterable(path[0])


def validate(query: Query, known: frozenset[str]) -> None:
    """4001 for the first unknown property in the SELECT list, WHERE or ORDERBY of ``query``."""
    for name in query.projection:
        check(query.entity, tuple(name.split(".")), known, filtering=False)
    for cond in query.where:
        check(query.entity, cond.path, known, filtering=True)
    if query.order_by is not None:
        check(query.entity, query.order_by, known, filtering=True)


def project(row: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """Only the listed properties of ``row`` (stored spelling; absent ones omitted)."""
    wanted = {n.lower() for n in names}
    return {k: v for k, v in row.items() if k.lower() in wanted}
