"""The properties QBO's JSON binding knows, per class: anything else in a write is a 2010.

QBO deserializes a request body into its ``com.intuit.schema.finance.v3`` classes with a strict
binder: a property the class does not declare, at any depth (top level, ``Line[]``, a line detail, a
``Ref``), is rejected with HTTP 400, code 2010 ``Request has invalid or unsupported property``,
Detail ``Property Name:Unrecognized field "X" (class com.intuit.schema.finance.v3.Invoice), not
marked as ignorable ...``, before any business rule runs; each unknown property is one ``Error[]``
entry. Names are case-sensitive (``customerRef`` is unknown).

Property lists: the Intuit entity references (Invoice, Bill, JournalEntry, Payment, BillPayment,
Term, Customer, Vendor, Employee, Item, Account; condensed copy in ``Petrus-Han/finance_plugins``
``ref/quickbooks_dev_docs/api-reference/<entity>.md``) and the Java SDK's ``Finance.xsd``
(``intuit/QuickBooks-V3-Java-SDK``), which declares the same classes. Read-only properties are
declared too: QBO ignores them on input (qbo-api.md §5), so echoing a read object back is valid.
Where the sources disagree the sandbox errs on accepting (a property missing here would make the
sandbox stricter than QBO, which the product's push tests would notice).
"""

from __future__ import annotations

from typing import Any

CLASS_PREFIX = "com.intuit.schema.finance.v3."
# A child is None (scalar), a class name (object), or "[Class]" (list of objects).
Props = dict[str, "str | None"]

# fmt: off
_REF = "ReferenceType"
_META: Props = {
    "Id": None, "SyncToken": None, "MetaData": "ModificationMetaData", "domain": None, "sparse": None,
    "status": None, "time": None,
}
_TXN: Props = {
    **_META, "DocNumber": None, "TxnDate": None, "DepartmentRef": _REF, "CurrencyRef": _REF,
    "ExchangeRate": None, "PrivateNote": None, "TxnStatus": None, "LinkedTxn": "[LinkedTxn]",
    "Line": "[Line]", "TxnTaxDetail": "TxnTaxDetail", "TxnSource": None, "TaxFormType": None,
    "TaxFormNum": None, "TransactionLocationType": None, "CustomField": "[CustomField]",
    "GlobalTaxCalculation": None, "TotalAmt": None, "HomeTotalAmt": None, "RecurDataRef": _REF,
    "TaxExemptionRef": _REF, "ProjectRef": _REF, "AttachableRef": "[AttachableRef]",
}
_SALES: Props = {
    **_TXN, "AutoDocNumber": None, "CustomerRef": _REF, "CustomerMemo": "MemoRef",
    "BillAddr": "PhysicalAddress", "ShipAddr": "PhysicalAddress", "ShipFromAddr": "PhysicalAddress",
    "FreeFormAddress": None, "RemitToRef": _REF, "ClassRef": _REF, "SalesTermRef": _REF,
    "DueDate": None, "SalesRepRef": _REF, "PONumber": None, "FOB": None, "ShipMethodRef": _REF,
    "ShipDate": None, "TrackingNum": None, "PrintStatus": None, "EmailStatus": None,
    "BillEmail": "EmailAddress", "BillEmailCc": "EmailAddress", "BillEmailBcc": "EmailAddress",
    "ARAccountRef": _REF, "Balance": None, "HomeBalance": None, "ApplyTaxAfterDiscount": None,
    "TemplateRef": _REF, "DeliveryInfo": "DeliveryInfo", "Deposit": None, "DepositToAccountRef": _REF,
    "PaymentMethodRef": _REF, "PaymentRefNum": None, "PaymentType": None,
    "CreditCardPayment": "CreditCardPayment", "AllowIPNPayment": None, "AllowOnlinePayment": None,
    "AllowOnlineCreditCardPayment": None, "AllowOnlineACHPayment": None, "InvoiceLink": None,
    "EInvoiceStatus": None, "ECloudStatusTimeStamp": None, "ExpirationDate": None, "AcceptedBy": None,
    "AcceptedDate": None,
}
_PARTY: Props = {
    **_META, "Title": None, "GivenName": None, "MiddleName": None, "FamilyName": None, "Suffix": None,
    "DisplayName": None, "FullyQualifiedName": None, "CompanyName": None, "PrintOnCheckName": None,
    "Active": None, "PrimaryPhone": "TelephoneNumber", "AlternatePhone": "TelephoneNumber",
    "Mobile": "TelephoneNumber", "Fax": "TelephoneNumber", "PrimaryEmailAddr": "EmailAddress",
    "WebAddr": "WebSiteAddress", "OtherContactInfo": None, "BillAddr": "PhysicalAddress",
    "ShipAddr": "PhysicalAddress", "OtherAddr": "[PhysicalAddress]", "Notes": None, "Balance": None,
    "OpenBalanceDate": None, "CurrencyRef": _REF, "Source": None, "V4IDPseudonym": None,
    "Organization": None, "ContactName": None, "AltContactName": None, "CostRate": None,
    "BillRate": None, "TaxIdentifier": None, "AcctNum": None, "TermRef": _REF, "SalesTermRef": _REF,
    "APAccountRef": _REF,
}

CLASSES: dict[str, Props] = {
    "ReferenceType": {"value": None, "name": None, "type": None,},
    "ModificationMetaData": {
        "CreatedByRef": _REF, "CreateTime": None, "LastModifiedByRef": _REF, "LastUpdatedTime": None,
        "LastChangedInQB": None, "Synchronized": None,
    },
    "PhysicalAddress": {
        "Id": None, "Line1": None, "Line2": None, "Line3": None, "Line4": None, "Line5": None,
        "City": None, "Country": None, "CountryCode": None, "County": None,
        "CountrySubDivisionCode": None, "PostalCode": None, "PostalCodeSuffix": None, "Lat": None,
        "Long": None, "Tag": None, "Note": None,
    },
    "EmailAddress": {"Id": None, "Address": None, "Default": None, "Tag": None,},
    "TelephoneNumber": {
        "Id": None, "DeviceType": None, "CountryCode": None, "AreaCode": None, "ExchangeCode": None,
        "Extension": None, "FreeFormNumber": None, "Default": None, "Tag": None,
    },
    "WebSiteAddress": {"Id": None, "URI": None, "Default": None, "Tag": None,},
    "MemoRef": {"value": None, "id": None,},
    "CustomField": {
        "DefinitionId": None, "Name": None, "Type": None, "StringValue": None, "BooleanValue": None,
        "DateValue": None, "NumberValue": None,
    },
    "AttachableRef": {"EntityRef": _REF, "LineInfo": None, "IncludeOnSend": None, "Inactive": None,},
    "DeliveryInfo": {"DeliveryType": None, "DeliveryTime": None, "DeliveryErrorType": None,},
    "LinkedTxn": {"TxnId": None, "TxnType": None, "TxnLineId": None,},
    "TxnTaxDetail": {
        "DefaultTaxCodeRef": _REF, "TxnTaxCodeRef": _REF, "TotalTax": None, "TaxReviewStatus": None,
        "TaxLine": "[Line]",
    },
    # One Line class carries every detail type (the XSD's Line has them all as optional children);
    # which detail a DetailType needs is a business rule checked by the entity rules.
    "Line": {
        "Id": None, "LineNum": None, "Description": None, "Amount": None, "Received": None,
        "LinkedTxn": "[LinkedTxn]", "DetailType": None, "ProjectRef": _REF,
        "CustomField": "[CustomField]", "LineEx": "IntuitAnyType",
        "SalesItemLineDetail": "SalesItemLineDetail", "GroupLineDetail": "GroupLineDetail",
        "DescriptionLineDetail": "DescriptionLineDetail", "DescriptionOnly": "DescriptionLineDetail",
        "DiscountLineDetail": "DiscountLineDetail", "SubTotalLineDetail": "SubTotalLineDetail",
        "TaxLineDetail": "TaxLineDetail", "ItemBasedExpenseLineDetail": "ItemBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": "AccountBasedExpenseLineDetail",
        "JournalEntryLineDetail": "JournalEntryLineDetail", "PaymentLineDetail": None,
        "DepositLineDetail": None, "TDSLineDetail": None,
    },
    "IntuitAnyType": {"any": "*",},
    "MarkupInfo": {
        "PercentBased": None, "Value": None, "Percent": None, "PriceLevelRef": _REF,
        "MarkUpIncomeAccountRef": _REF,
    },
    "SalesItemLineDetail": {
        "ItemRef": _REF, "ClassRef": _REF, "UnitPrice": None, "RatePercent": None,
        "PriceLevelRef": _REF, "MarkupInfo": "MarkupInfo", "Qty": None, "UOMRef": None,
        "ItemAccountRef": _REF, "InventorySiteRef": _REF, "TaxCodeRef": _REF,
        "TaxClassificationRef": _REF, "ServiceDate": None, "TaxInclusiveAmt": None,
        "DiscountRate": None, "DiscountAmt": None,
    },
    "GroupLineDetail": {"GroupItemRef": _REF, "Quantity": None, "UOMRef": None, "Line": "[Line]",},
    "DescriptionLineDetail": {"ServiceDate": None, "TaxCodeRef": _REF,},
    "DiscountLineDetail": {
        "DiscountRef": _REF, "PercentBased": None, "DiscountPercent": None, "DiscountAccountRef": _REF,
        "ClassRef": _REF, "TaxCodeRef": _REF, "ServiceDate": None,
    },
    "SubTotalLineDetail": {"ItemRef": _REF, "ServiceDate": None,},
    "TaxLineDetail": {
        "TaxRateRef": _REF, "PercentBased": None, "TaxPercent": None, "NetAmountTaxable": None,
        "TaxInclusiveAmount": None, "OverrideDeltaAmount": None, "ServiceDate": None,
    },
    "ItemBasedExpenseLineDetail": {
        "ItemRef": _REF, "ClassRef": _REF, "UnitPrice": None, "RatePercent": None,
        "PriceLevelRef": _REF, "MarkupInfo": "MarkupInfo", "Qty": None, "UOMRef": None,
        "InventorySiteRef": _REF, "TaxCodeRef": _REF, "CustomerRef": _REF, "BillableStatus": None,
        "TaxInclusiveAmt": None,
    },
    "AccountBasedExpenseLineDetail": {
        "AccountRef": _REF, "ClassRef": _REF, "TaxCodeRef": _REF, "TaxAmount": None,
        "TaxInclusiveAmt": None, "CustomerRef": _REF, "BillableStatus": None,
        "MarkupInfo": "MarkupInfo",
    },
    "JournalEntryLineDetail": {
        "PostingType": None, "Entity": "EntityTypeRef", "AccountRef": _REF, "ClassRef": _REF,
        "DepartmentRef": _REF, "TaxCodeRef": _REF, "TaxApplicableOn": None, "TaxAmount": None,
        "TaxInclusiveAmt": None, "BillableStatus": None, "JournalCodeRef": _REF,
    },
    "EntityTypeRef": {"Type": None, "EntityRef": _REF,},
    "CreditCardPayment": {"CreditChargeInfo": None, "CreditChargeResponse": None,},
    "BillPaymentCheck": {
        "BankAccountRef": _REF, "PrintStatus": None, "PayeeAddr": "PhysicalAddress",
        "CheckDetail": None,
    },
    "BillPaymentCreditCard": {"CCAccountRef": _REF, "CCDetail": None,},
    # --- entities ---
    "Invoice": _SALES,
    "SalesReceipt": _SALES,
    "Estimate": _SALES,
    "Bill": {
        **_TXN, "VendorRef": _REF, "APAccountRef": _REF, "SalesTermRef": _REF, "DueDate": None,
        "Balance": None, "HomeBalance": None, "RemitToAddr": "PhysicalAddress",
        "ShipAddr": "PhysicalAddress", "VendorAddr": "PhysicalAddress", "PayerRef": _REF,
        "IncludeInAnnualTPAR": None, "ClassRef": _REF,
    },
    "JournalEntry": {
        **_TXN, "Adjustment": None, "HomeCurrencyAdjustment": None, "EnteredInHomeCurrency": None,
        "TaxRateRef": _REF,
    },
    "Payment": {
        **_TXN, "CustomerRef": _REF, "UnappliedAmt": None, "ARAccountRef": _REF,
        "DepositToAccountRef": _REF, "PaymentMethodRef": _REF, "PaymentRefNum": None,
        "CreditCardPayment": "CreditCardPayment", "ProcessPayment": None, "RemitToRef": _REF,
    },
    "BillPayment": {
        **_TXN, "VendorRef": _REF, "PayType": None, "CheckPayment": "BillPaymentCheck",
        "CreditCardPayment": "BillPaymentCreditCard", "APAccountRef": _REF, "ProcessBillPayment": None,
    },
    "PaymentMethod": {**_META, "Name": None, "Active": None, "Type": None},
    "Term": {
        **_META, "Name": None, "Active": None, "Type": None, "DueDays": None, "DiscountDays": None,
        "DiscountPercent": None, "DayOfMonthDue": None, "DueNextMonthDays": None,
        "DiscountDayOfMonth": None,
    },
    "Customer": {
        **_PARTY, "Job": None, "ParentRef": _REF, "Level": None, "BillWithParent": None,
        "BalanceWithJobs": None, "Taxable": None, "DefaultTaxCodeRef": _REF,
        "TaxExemptionReasonId": None, "PreferredDeliveryMethod": None, "ResaleNum": None,
        "PaymentMethodRef": _REF, "ARAccountRef": _REF, "CustomerTypeRef": None,
        "PrimaryTaxIdentifier": None, "SecondaryTaxIdentifier": None, "IsProject": None, "GSTIN": None,
        "GSTRegistrationType": None, "BusinessNumber": None, "ClientEntityId": None,
        "TaxRegimeId": None,
    },
    "Vendor": {
        **_PARTY, "Vendor1099": None, "T4AEligible": None, "T5018Eligible": None, "HasTPAR": None,
        "TaxReportingBasis": None, "BusinessNumber": None, "GSTIN": None, "GSTRegistrationType": None,
        "VendorPaymentBankDetail": None, "ClassRef": None,
    },
    "Employee": {
        **_PARTY, "EmployeeNumber": None, "SSN": None, "PrimaryAddr": "PhysicalAddress",
        "BillableTime": None, "BirthDate": None, "Gender": None, "HiredDate": None,
        "ReleasedDate": None, "EmployeeType": None,
    },
    "Item": {
        **_META, "Name": None, "Sku": None, "Description": None, "Active": None, "SubItem": None,
        "ParentRef": _REF, "Level": None, "FullyQualifiedName": None, "Taxable": None,
        "SalesTaxIncluded": None, "PercentBased": None, "UnitPrice": None, "RatePercent": None,
        "Type": None, "PaymentMethodRef": _REF, "UOMSetRef": _REF, "IncomeAccountRef": _REF,
        "PurchaseDesc": None, "PurchaseTaxIncluded": None, "PurchaseCost": None,
        "ExpenseAccountRef": _REF, "COGSAccountRef": _REF, "AssetAccountRef": _REF,
        "PrefVendorRef": _REF, "AvgCost": None, "TrackQtyOnHand": None, "QtyOnHand": None,
        "QtyOnPurchaseOrder": None, "QtyOnSalesOrder": None, "ReorderPoint": None, "ManPartNum": None,
        "DepositToAccountRef": _REF, "SalesTaxCodeRef": _REF, "PurchaseTaxCodeRef": _REF,
        "InvStartDate": None, "BuildPoint": None, "PrintGroupedItems": None, "SpecialItem": None,
        "SpecialItemType": None, "ItemGroupDetail": None, "ItemAssemblyDetail": None,
        "AbatementRate": None, "ReverseChargeRate": None, "ServiceType": None, "ItemCategoryType": None,
        "ItemEx": "IntuitAnyType", "TaxClassificationRef": _REF, "ClassRef": _REF, "Source": None,
    },
    "Account": {
        **_META, "Name": None, "SubAccount": None, "ParentRef": _REF, "Description": None,
        "FullyQualifiedName": None, "AccountAlias": None, "TxnLocationType": None, "Active": None,
        "Classification": None, "AccountType": None, "AccountSubType": None, "AcctNum": None,
        "AcctNumExtn": None, "BankNum": None, "OpeningBalance": None, "OpeningBalanceDate": None,
        "CurrentBalance": None, "CurrentBalanceWithSubAccounts": None, "CurrencyRef": _REF,
        "TaxAccount": None, "TaxCodeRef": _REF, "OnlineBankingEnabled": None, "FIName": None,
        "JournalCodeRef": _REF, "AccountEx": "IntuitAnyType",
    },
}
# fmt: on


def unknown_properties(entity: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, Java class) for every undeclared property in ``body``, in document order.

    Entities without a declared class (CompanyInfo, Preferences) are not checked.
    """
    if entity not in CLASSES:
        return []
    found: list[tuple[str, str]] = []
    _walk(entity, body, found)
    return found


def _walk(cls: str, value: Any, found: list[tuple[str, str]]) -> None:
    props = CLASSES[cls]
    if not isinstance(value, dict) or props.get("any") == "*":
        return
    for key, child in value.items():
        if key not in props:
            found.append((key, CLASS_PREFIX + cls))
            continue
        kind = props[key]
        if kind is None:
            continue
        if kind.startswith("["):
            for item in child if isinstance(child, list) else []:
                _walk(kind[1:-1], item, found)
        else:
            _walk(kind, child, found)
