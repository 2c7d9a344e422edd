"""The sandbox company's CompanyInfo object (shape as QBO's CompanyInfo read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qbo_sandbox.clock import format_meta

COMPANY_NAME = "Summit Facility Supply & Service"


def _address(addr_id: str) -> dict[str, str]:
    return {
        "Id": addr_id,
        "Line1": "2140 Harbor Industrial Blvd",
        "City": "Oakland",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94607",
        "Country": "US",
    }


def build_company_info(realm_id: str, created: datetime) -> dict[str, Any]:
    """A US company in America/Los_Angeles; ``Id`` is "1" as in QBO, ``realm_id`` goes to NameValue."""
    stamp = format_meta(created)
    return {
        "CompanyName": COMPANY_NAME,
        "LegalName": "Summit Facility Supply & Service LLC",
        "CompanyAddr": _address("1"),
        "CustomerCommunicationAddr": _address("1"),
        "LegalAddr": _address("1"),
        "CustomerCommunicationEmailAddr": {"Address": "billing@summitfacility.example"},
        "PrimaryPhone": {"FreeFormNumber": "(510) 555-0142"},
        "CompanyStartDate": created.date().replace(month=1, day=1).isoformat(),
        "FiscalYearStartMonth": "January",
        "Country": "US",
        "Email": {"Address": "office@summitfacility.example"},
        "WebAddr": {"URI": "https://summitfacility.example"},
        "SupportedLanguages": "en",
        "DefaultTimeZone": "America/Los_Angeles",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Facility maintenance supplies and services"},
            {"Name": "CompanyType", "Value": "LLC"},
            {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "PayrollFeature", "Value": "false"},
            {"Name": "AccountantFeature", "Value": "false"},
            {"Name": "IsQbdtMigrated", "Value": "false"},
            {"Name": "RealmId", "Value": realm_id},
        ],
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "0",
        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
    }


@dataclass(frozen=True)
class CompanyOptions:
    """Company settings and readings of UNCONFIRMED QBO behaviour (``SandboxConfig`` sets them).

    - ``automated_sales_tax``: US Automated Sales Tax (AST). On, QBO computes tax itself from the
      customer's ship-to and overrides the requested ``TxnTaxCodeRef`` (B-ast17, B-ast18, D-ust);
      reported as ``Preferences.TaxPrefs.PartnerTaxEnabled``. Sandbox companies do not run AST
      (D-ust), so it is off by default.
    - ``warn_duplicate_doc_num``: the duplicate-number warning (6140, :mod:`.doc_numbers`); on for
      the demo company. Reported as ``OtherPrefs`` ``SalesFormsPrefs.WarnDuplicateDocNum``
      (UNCONFIRMED name: the Intuit Preferences reference documents no key for it).
    - ``custom_txn_numbers``: ``SalesFormsPrefs.CustomTxnNumbers``; off, QBO numbers sales forms
      that arrive without a DocNumber (REF-invoice "DocNumber").
    - ``voided_payment_lines``: what a voided Payment keeps. ``"removed"`` (default): no lines, zero
      amounts, as issue 7's audit of QBO saw; ``"zeroed"``: lines kept with zero amounts
      (REF-payment only says "amounts zeroed"). UNCONFIRMED either way.
    - ``book_close_date``: ``AccountingInfoPrefs.BookCloseDate`` (None: books open).
    """

    automated_sales_tax: bool = False
    warn_duplicate_doc_num: bool = True
    custom_txn_numbers: bool = False
    voided_payment_lines: str = "removed"
    book_close_date: str | None = None
    default_term_id: str | None = "3"  # Net 30 in the seeded Term list

    def __post_init__(self) -> None:
        if self.voided_payment_lines not in VOIDED_PAYMENT_LINES:
            raise ValueError(f"voided_payment_lines must be one of {VOIDED_PAYMENT_LINES}")


VOIDED_PAYMENT_LINES = ("removed", "zeroed")


def build_preferences(options: CompanyOptions, created: datetime) -> dict[str, Any]:
    """The Preferences object (shape of the REF-preferences sample read), Id "1"."""
    stamp = format_meta(created)
    accounting: dict[str, Any] = {
        "FirstMonthOfFiscalYear": "January", "UseAccountNumbers": False, "TaxYearMonth": "January",
        "ClassTrackingPerTxn": False, "ClassTrackingPerTxnLine": False, "TrackDepartments": False,
        "DepartmentTerminology": "Location", "CustomerTerminology": "Customers",
    }  # fmt: skip
    if options.book_close_date:
        accounting["BookCloseDate"] = options.book_close_date
    sales: dict[str, Any] = {
        "AllowDeposit": True, "AllowDiscount": True, "AllowEstimates": True,
        "AllowServiceDate": True, "AllowShipping": False,
        "CustomTxnNumbers": options.custom_txn_numbers, "ETransactionEnabledStatus": "Enabled",
        "ETransactionAttachPDF": False, "ETransactionPaymentEnabled": False,
        "IPNSupportEnabled": False, "UsingPriceLevels": False, "UsingProgressInvoicing": False,
    }  # fmt: skip
    if options.default_term_id:
        sales["DefaultTerms"] = {"value": options.default_term_id}
    warn = "true" if options.warn_duplicate_doc_num else "false"
    return {
        "AccountingInfoPrefs": accounting,
        "ProductAndServicesPrefs": {
            "ForSales": True,
            "ForPurchase": True,
            "QuantityWithPriceAndRate": True,
            "QuantityOnHand": True,
        },
        "SalesFormsPrefs": sales,
        "VendorAndPurchasesPrefs": {"BillableExpenseTracking": True, "TrackingByCustomer": True},
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": options.automated_sales_tax},
        "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}},
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {
            "NameValue": [
                {"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": "Thank you for your business!"},
                {"Name": "SalesFormsPrefs.WarnDuplicateDocNum", "Value": warn},
                {"Name": "VendorAndPurchasesPrefs.WarnDuplicateBillNumber", "Value": warn},
            ]
        },
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "0",
        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
    }


def preference(prefs: dict[str, Any], path: str) -> Any:
    """A preference by dotted path: a typed one (``TaxPrefs.PartnerTaxEnabled``) or, when absent,
    an ``OtherPrefs`` name ("true"/"false" values come back as booleans)."""
    holder: Any = prefs
    for part in path.split("."):
        holder = holder.get(part) if isinstance(holder, dict) else None
    if holder is not None:
        return holder
    for pair in (prefs.get("OtherPrefs") or {}).get("NameValue") or []:
        if pair.get("Name") == path:
            value = pair.get("Value")
            return {"true": True, "false": False}.get(str(value).lower(), value)
    return None
