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
Other dotted paths (``BillAddr.City``) are rejected. The sandbox is therefore at most as lenient as
QBO for names it knows nothing about, and slightly more lenient for real-but-unfilterable ones
(only the ``AcctNum`` case is modelled).

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
}  # fmt: skip
# Real properties documented as not filterable (intuit/QuickBooks-V3-DotNET-SDK#163).
NOT_FILTERABLE: dict[str, frozenset[str]] = {
    e: frozenset({"acctnum"}) for e in ("Customer", "Vendor", "Account")
}


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
    if filtering and lowered[0] in NOT_FILTERABLE.get(entity, frozenset()):
        raise faults.query_error(f"property '{path[0]}' is not queryable")


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
