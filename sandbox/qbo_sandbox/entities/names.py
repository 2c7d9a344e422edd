"""Rules for name-list entities: Customer, Vendor, Employee, Account, Item."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults
from qbo_sandbox.entities.common import USD, check_enum, check_lengths, require, resolve_ref

if TYPE_CHECKING:
    from qbo_sandbox.company import Company

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
ITEM_TYPES = ("Inventory", "NonInventory", "Service")
INVENTORY_REQUIRED = ("QtyOnHand", "InvStartDate", "IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef")


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


def _party_common(co: Company, obj: dict[str, Any], entity: str) -> dict[str, Any]:
    name = _display_name(obj, entity)
    obj["DisplayName"] = name
    check_lengths(obj, {"DisplayName": 500, "GivenName": 100, "FamilyName": 100, "CompanyName": 100})
    if ":" in name and entity != "Customer":
        raise faults.invalid_value("DisplayName", "DisplayName cannot contain a colon (:)")
    obj.setdefault("PrintOnCheckName", name)
    obj["Active"] = obj.get("Active", True) is not False
    obj["CurrencyRef"] = obj.get("CurrencyRef") or dict(USD)
    obj.setdefault("Balance", 0)
    return obj


def prepare_customer(co: Company, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
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


def prepare_vendor(co: Company, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    _party_common(co, obj, "Vendor")
    obj["Vendor1099"] = obj.get("Vendor1099", False) is True
    obj["Balance"] = old.get("Balance", 0) if old else 0
    if old is not None and obj["Active"] is False and old.get("Active") is not False and obj["Balance"]:
        raise faults.list_has_balance("Vendor")
    return obj


def prepare_employee(co: Company, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    _party_common(co, obj, "Employee")
    obj.pop("Balance", None)
    obj.pop("CurrencyRef", None)
    obj.setdefault("BillableTime", False)
    return obj


def prepare_account(co: Company, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
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


def prepare_item(co: Company, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
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
    for field in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        resolve_ref(co, obj, field, "Account", required=False)
    obj["FullyQualifiedName"] = obj["Name"]
    obj["Active"] = obj.get("Active", True) is not False
    obj["Taxable"] = obj.get("Taxable", item_type != "Service") is True
    obj.setdefault("UnitPrice", 0)
    obj.setdefault("PurchaseCost", 0)
    return obj
