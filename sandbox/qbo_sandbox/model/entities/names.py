"""Rules for name-list entities: Customer, Vendor, Employee, Account, Item."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults
from qbo_sandbox.model.entities.common import (
    USD,
    check_email,
    check_enum,
    check_lengths,
    check_path_lengths,
    require,
    resolve_ref,
)

if TYPE_CHECKING:
    from qbo_sandbox.model.entities.books import Books

NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
ACCOUNT_TYPES: dict[str, tuple[str, str]] = {
    # AccountType -> (Classification, default AccountSubType)
    "Bank": ("Asset", "Checking"),
    "Accounts Receivable": ("Asset", "AccountsReceivable"),
    "Other Current Asset": ("Asset", "OtherCurrentAssets"),
    "Fixed Asset": ("Asset", "OtherFixedAssets"),
    "Other Asset": ("Asset", "OtherLongTermAssets"),
    "Accounts Payable": ("Liability", "AccountsPayable"),
    "Credit Card": ("Liability", "CreditCard"),
    "Other Current Liability": ("Liability", "OtherCurrentLiabilities"),
    "Long Term Liability": ("Liability", "OtherLongTermLiabilities"),
    "Equity": ("Equity", "OwnersEquity"),
    "Income": ("Revenue", "SalesOfProductIncome"),
    "Other Income": ("Revenue", "OtherMiscellaneousIncome"),
    "Expense": ("Expense", "OtherMiscellaneousServiceCost"),
    "Other Expense": ("Expense", "OtherMiscellaneousExpense"),
    "Cost of Goods Sold": ("Expense", "SuppliesMaterialsCogs"),
}
# Length limits (2050) of Customer/Vendor/Employee fields. Sources: the Intuit reference as condensed
# in qbo-api.md §9 / REF-customer (DisplayName 500, Given/Middle/FamilyName 100, Title/Suffix 16,
# CompanyName 100); the rest (e-mail 100, phone FreeFormNumber 30, address Line1-5 500, City 255,
# CountrySubDivisionCode 255, PostalCode 30, Country 255, Customer Notes 2000, Vendor AcctNum 100)
# is not confirmed by any source at hand and follows the product's mappings (include/mappings
# *.yaml max_length), which were written from Intuit's field tables.
_ADDRESS = {
    **{f"{a}.Line{n}": 500 for a in ("BillAddr", "ShipAddr") for n in range(1, 6)},
    **{f"{a}.City": 255 for a in ("BillAddr", "ShipAddr")},
    **{f"{a}.CountrySubDivisionCode": 255 for a in ("BillAddr", "ShipAddr")},
    **{f"{a}.PostalCode": 30 for a in ("BillAddr", "ShipAddr")},
    **{f"{a}.Country": 255 for a in ("BillAddr", "ShipAddr")},
}
_PARTY_LIMITS = {
    "DisplayName": 500, "Title": 16, "GivenName": 100, "MiddleName": 100, "FamilyName": 100,
    "Suffix": 16, "CompanyName": 100, "PrimaryEmailAddr.Address": 100,
    **{f"{p}.FreeFormNumber": 30 for p in ("PrimaryPhone", "AlternatePhone", "Mobile", "Fax")},
    **_ADDRESS,
}  # fmt: skip
PARTY_LIMITS: dict[str, dict[str, int]] = {
    "Customer": {**_PARTY_LIMITS, "Notes": 2000},
    "Vendor": {**_PARTY_LIMITS, "AcctNum": 100},
    "Employee": _PARTY_LIMITS,
}
ITEM_TYPES = ("Inventory", "NonInventory", "Service")
INVENTORY_REQUIRED = ("QtyOnHand", "InvStartDate", "IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef")
# Account types an item's account references may point at (qbo-api.md §9 "Item"; the Intuit item
# reference: income = "Sales of Product Income"-style Income account, inventory expense = Cost of
# Goods Sold, asset = Other Current Asset of subtype Inventory).
INCOME_TYPES = ("Income", "Other Income")
EXPENSE_TYPES = {
    "Inventory": ("Cost of Goods Sold",),
    "NonInventory": ("Expense", "Cost of Goods Sold", "Other Expense"),
    "Service": ("Expense", "Cost of Goods Sold", "Other Expense"),
}
ASSET_TYPE, ASSET_SUBTYPE = "Other Current Asset", "Inventory"
# When a Service/NonInventory item must carry IncomeAccountRef (the reference only says
# "conditionally required"; the exact rule is UNCONFIRMED, qbo-api.md §9). ``strict`` (default):
# always; ``when_priced``: when UnitPrice is set and non-zero (the item is sold); ``off``: never.
INCOME_RULES = ("strict", "when_priced", "off")


def _display_name(obj: dict[str, Any], entity: str) -> str:
    name = obj.get("DisplayName")
    if isinstance(name, str) and name.strip():
        return name.strip()
    parts = [str(obj[p]).strip() for p in NAME_PARTS if str(obj.get(p) or "").strip()]
    if parts:
        return " ".join(parts)
    company = str(obj.get("CompanyName") or "").strip()
    if company:
        return company
    raise faults.required_param("DisplayName", entity)


def _party_common(co: Books, obj: dict[str, Any], entity: str) -> dict[str, Any]:
    name = _display_name(obj, entity)
    obj["DisplayName"] = name
    check_path_lengths(obj, PARTY_LIMITS[entity])
    check_email(obj)
    if ":" in name and entity != "Customer":
        raise faults.invalid_value("DisplayName", "DisplayName cannot contain a colon (:)")
    obj.setdefault("PrintOnCheckName", name)
    obj["Active"] = obj.get("Active", True) is not False
    obj["CurrencyRef"] = obj.get("CurrencyRef") or dict(USD)
    obj.setdefault("Balance", 0)
    return obj


def prepare_customer(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    _party_common(co, obj, "Customer")
    parent = resolve_ref(co, obj, "ParentRef", "Customer", required=False)
    if parent is not None:
        if old is not None and parent.get("Id") == old.get("Id"):
            raise faults.invalid_value("ParentRef", "A customer cannot be its own parent")
        obj["Job"] = True
        obj["Level"] = int(parent.get("Level", 0)) + 1
        obj["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{obj['DisplayName']}"
        obj["ParentRef"] = {"value": parent["Id"]}
        obj.setdefault("BillWithParent", False)
    else:
        obj["Job"] = False
        obj.pop("Level", None)
        obj["FullyQualifiedName"] = obj["DisplayName"]
        obj["BillWithParent"] = False
    obj["Taxable"] = obj.get("Taxable", True) is not False
    resolve_ref(co, obj, "DefaultTaxCodeRef", "TaxCode", required=False)
    if obj["Taxable"] and "DefaultTaxCodeRef" not in obj and co.lookup("TaxCode", "2") is not None:
        obj["DefaultTaxCodeRef"] = {"value": "2"}
    obj.setdefault("PreferredDeliveryMethod", "Print")
    obj["Balance"] = old.get("Balance", 0) if old else 0
    obj["BalanceWithJobs"] = obj["Balance"]
    if old is not None and obj["Active"] is False and old.get("Active") is not False and obj["Balance"]:
        raise faults.list_has_balance("Customer")
    return obj


def prepare_vendor(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    _party_common(co, obj, "Vendor")
    obj["Vendor1099"] = obj.get("Vendor1099", False) is True
    obj["Balance"] = old.get("Balance", 0) if old else 0
    if old is not None and obj["Active"] is False and old.get("Active") is not False and obj["Balance"]:
        raise faults.list_has_balance("Vendor")
    return obj


def prepare_employee(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    _party_common(co, obj, "Employee")
    obj.pop("Balance", None)
    obj.pop("CurrencyRef", None)
    obj.setdefault("BillableTime", False)
    return obj


def prepare_account(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    name = require(obj, "Name", "Account")
    check_lengths(obj, {"Name": 100, "Description": 100, "AcctNum": 7})
    if '"' in name or ":" in name:
        raise faults.invalid_value("Name", 'Account Name cannot contain double quotes (") or colon (:)')
    acct_type = check_enum(require(obj, "AccountType", "Account"), tuple(ACCOUNT_TYPES), "AccountType")
    classification, default_sub = ACCOUNT_TYPES[acct_type]
    obj["Classification"] = classification
    obj.setdefault("AccountSubType", default_sub)
    parent = resolve_ref(co, obj, "ParentRef", "Account", required=False)
    obj["SubAccount"] = parent is not None
    obj["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{name}" if parent else name
    obj["Active"] = obj.get("Active", True) is not False
    obj["CurrencyRef"] = obj.get("CurrencyRef") or dict(USD)
    balance = old.get("CurrentBalance", 0) if old else 0
    obj["CurrentBalance"] = balance
    obj["CurrentBalanceWithSubAccounts"] = balance
    return obj


def prepare_item(co: Books, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    require(obj, "Name", "Item")
    check_lengths(obj, {"Name": 100, "Description": 4000, "Sku": 100})
    if old is not None and "Type" not in obj:
        obj["Type"] = old["Type"]
    item_type = check_enum(obj.get("Type", "Service"), ITEM_TYPES, "Type")
    obj["Type"] = item_type
    if old is not None and old.get("Type") != item_type:
        raise faults.business_validation(
            f"You can't change the type of item {old.get('Name')!r} from {old.get('Type')} to {item_type}",
            "Type",
        )
    if item_type == "Inventory":
        if obj.get("TrackQtyOnHand") is not True:
            raise faults.required_param("TrackQtyOnHand", "Inventory Item")
        for field in INVENTORY_REQUIRED:
            require(obj, field, "Inventory Item")
    else:
        obj["TrackQtyOnHand"] = False
    _check_item_accounts(co, obj, item_type)
    obj["FullyQualifiedName"] = obj["Name"]
    obj["Active"] = obj.get("Active", True) is not False
    obj["Taxable"] = obj.get("Taxable", item_type != "Service") is True
    obj.setdefault("UnitPrice", 0)
    obj.setdefault("PurchaseCost", 0)
    return obj


def _income_required(co: Books, obj: dict[str, Any], item_type: str) -> bool:
    if item_type == "Inventory":
        return True
    rule = getattr(co, "item_income_rule", "strict")
    if rule == "strict":
        return True
    if rule == "when_priced":
        return obj.get("UnitPrice") not in (None, 0, 0.0, "0", "")
    return False


def _check_item_accounts(co: Books, obj: dict[str, Any], item_type: str) -> None:
    """Resolve the item's account refs and check each points at an account of a fitting type.

    Missing required -> 2020; unknown Id -> 2500; inactive -> 610; wrong type -> 6000 with QBO's
    "Invalid account type" wording (reported by integrators for transactions, e.g.
    ruckus/quickbooks-ruby#229/#532; which code QBO uses for items is UNCONFIRMED — 6000 business
    validation is the family the wording belongs to).
    """
    income = resolve_ref(
        co, obj, "IncomeAccountRef", "Account", required=_income_required(co, obj, item_type)
    )
    _account_type(income, "IncomeAccountRef", INCOME_TYPES)
    expense = resolve_ref(co, obj, "ExpenseAccountRef", "Account", required=False)
    _account_type(expense, "ExpenseAccountRef", EXPENSE_TYPES[item_type])
    asset = resolve_ref(co, obj, "AssetAccountRef", "Account", required=False)
    if item_type != "Inventory" and asset is not None:
        raise invalid_account_type("AssetAccountRef", asset, "only Inventory items have an asset account")
    _account_type(asset, "AssetAccountRef", (ASSET_TYPE,), ASSET_SUBTYPE)


def _account_type(
    acct: dict[str, Any] | None, field: str, types: tuple[str, ...], subtype: str | None = None
) -> None:
    if acct is None:
        return
    if acct.get("AccountType") not in types:
        raise invalid_account_type(field, acct, f"{field} must be a {' or '.join(types)} account")
    if subtype is not None and acct.get("AccountSubType") != subtype:
        raise invalid_account_type(field, acct, f"{field} must be an account of subtype {subtype}")


def invalid_account_type(field: str, acct: dict[str, Any], need: str) -> faults.QBOFault:
    """6000 "Invalid account type" for an item account reference of the wrong type."""
    return faults.business_validation(
        "Invalid account type: You need to select a different type of account for this transaction. "
        f"({need}; account {acct.get('Id')} {acct.get('Name')!r} is {acct.get('AccountType')})",
        field,
    )
