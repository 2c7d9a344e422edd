"""The sandbox company's CompanyInfo object (shape as QBO's CompanyInfo read)."""

from __future__ import annotations

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
