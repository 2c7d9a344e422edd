"""The money half of the seeded demo company (issue 7): what a real company's books show.

Taxed and discounted invoices, a payment split over two invoices, an unapplied payment, a voided
payment, open, partly paid and paid bills with their bill payments (check and credit card), and
journal entries. Everything goes through :meth:`Company.create` (the same rules as API writes),
backdated inside the seeder's history window (days 40-85 of 120), so CDC inside the last 30 days
sees none of it. Deterministic for a given spec and clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qbo_sandbox.model.company import Company

TAX_AGENCY = {
    "Id": "1",
    "SyncToken": "0",
    "domain": "QBO",
    "sparse": False,
    "DisplayName": "California Department of Tax and Fee Administration",
    "TaxTrackedOnSales": True,
    "TaxTrackedOnPurchases": False,
}


class MoneySeeder:
    """Adds the money-half history; ``at(day)`` is the seeder's backdating clock."""

    def __init__(
        self,
        co: Company,
        at: Callable[[float], datetime],
        accounts: dict[str, str],
        customers: list[str],
        items: list[dict[str, Any]],
    ) -> None:
        self.co, self.at, self.accounts = co, at, accounts
        self.customers = [c for c in customers if (co.lookup("Customer", c) or {}).get("Active")]
        self.goods = [i for i in items if i["Type"] != "Service" and i.get("UnitPrice", 0) > 0]
        self.services = [i for i in items if i["Type"] == "Service" and i.get("UnitPrice", 0) > 0]
        self.vendors = [v["Id"] for v in co.stored("Vendor") if v.get("Active") is not False]

    def write(self, day: float, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.co.backdated(self.at(day)):
            return self.co.create(entity, {"TxnDate": self.at(day).date().isoformat(), **body})

    def run(self) -> None:
        with self.co.backdated(self.at(0)):
            self.co.load_raw("TaxAgency", dict(TAX_AGENCY))
        if len(self.customers) >= 5 and self.goods and self.services:
            self._sales()
        if len(self.vendors) >= 3:
            self._purchases()
        self._journal_entries()

    # --- sales ----------------------------------------------------------------------------------

    def _line(self, item: dict[str, Any], qty: int, tax: str) -> dict[str, Any]:
        price = item["UnitPrice"]
        detail = {
            "ItemRef": {"value": item["Id"]},
            "Qty": qty,
            "UnitPrice": price,
            "TaxCodeRef": {"value": tax},
        }
        return {
            "DetailType": "SalesItemLineDetail",
            "Amount": round(qty * price, 2),
            "SalesItemLineDetail": detail,
        }

    def _code(self, name: str) -> dict[str, str]:
        code = next(c for c in self.co.stored("TaxCode") if c["Name"] == name)
        return {"value": code["Id"]}

    def _sales(self) -> None:
        c = self.customers
        goods, service = self.goods[0], self.services[0]
        percent = {
            "DetailType": "DiscountLineDetail",
            "Amount": 0,
            "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 5},
        }
        self.write(
            60,
            "Invoice",
            {
                "CustomerRef": {"value": c[0]},
                "SalesTermRef": {"value": "2"},
                "ApplyTaxAfterDiscount": True,
                "Line": [
                    self._line(goods, 4, "TAX"),
                    self._line(self.goods[-1], 2, "TAX"),
                    self._line(service, 3, "NON"),
                    percent,
                ],
                "TxnTaxDetail": {"TxnTaxCodeRef": self._code("Alameda County")},
            },
        )
        fixed = {
            "DetailType": "DiscountLineDetail",
            "Amount": 25,
            "DiscountLineDetail": {"PercentBased": False},
        }
        self.write(
            62,
            "Invoice",
            {
                "CustomerRef": {"value": c[1]},
                "Line": [self._line(goods, 6, "TAX"), fixed],
                "TxnTaxDetail": {"TxnTaxCodeRef": self._code("California")},
            },
        )
        first = self.write(
            64, "Invoice", {"CustomerRef": {"value": c[2]}, "Line": [self._line(service, 2, "NON")]}
        )
        second = self.write(
            65, "Invoice", {"CustomerRef": {"value": c[2]}, "Line": [self._line(goods, 3, "NON")]}
        )
        split = round(first["TotalAmt"] + second["TotalAmt"] / 2, 2)
        self.write(
            83,
            "Payment",
            {
                "CustomerRef": {"value": c[2]},
                "TotalAmt": split,
                "PaymentRefNum": "CHK5200",
                "Line": [
                    {
                        "Amount": first["TotalAmt"],
                        "LinkedTxn": [{"TxnId": first["Id"], "TxnType": "Invoice"}],
                    },
                    {
                        "Amount": round(second["TotalAmt"] / 2, 2),
                        "LinkedTxn": [{"TxnId": second["Id"], "TxnType": "Invoice"}],
                    },
                ],
            },
        )
        self.write(
            83.5, "Payment", {"CustomerRef": {"value": c[3]}, "TotalAmt": 250, "PaymentRefNum": "ACH-7781"}
        )
        voided_for = self.write(
            66, "Invoice", {"CustomerRef": {"value": c[4]}, "Line": [self._line(service, 1, "NON")]}
        )
        pay = self.write(
            83.6,
            "Payment",
            {
                "CustomerRef": {"value": c[4]},
                "TotalAmt": voided_for["TotalAmt"],
                "PaymentRefNum": "CHK5201",
                "PrivateNote": "bounced check",
                "Line": [
                    {
                        "Amount": voided_for["TotalAmt"],
                        "LinkedTxn": [{"TxnId": voided_for["Id"], "TxnType": "Invoice"}],
                    }
                ],
            },
        )
        with self.co.backdated(self.at(83.7)):
            self.co.void("Payment", {"Id": pay["Id"], "SyncToken": pay["SyncToken"], "sparse": True})

    # --- purchases ------------------------------------------------------------------------------

    def _expense(self, account: str, amount: float, text: str) -> dict[str, Any]:
        detail = {"AccountRef": {"value": self.accounts[account]}, "BillableStatus": "NotBillable"}
        return {
            "DetailType": "AccountBasedExpenseLineDetail",
            "Amount": amount,
            "Description": text,
            "AccountBasedExpenseLineDetail": detail,
        }

    def _purchases(self) -> None:
        v = self.vendors
        bills = []
        if self.goods:
            stock = self.goods[0]
            cost = round(stock["UnitPrice"] * 0.55, 2)
            line = {
                "DetailType": "ItemBasedExpenseLineDetail",
                "Amount": round(10 * cost, 2),
                "ItemBasedExpenseLineDetail": {
                    "ItemRef": {"value": stock["Id"]},
                    "Qty": 10,
                    "UnitPrice": cost,
                },
            }
            bills.append(
                self.write(
                    40,
                    "Bill",
                    {
                        "VendorRef": {"value": v[0]},
                        "DocNumber": "V-1001",
                        "Line": [line],
                        "SalesTermRef": {"value": "3"},
                    },
                )
            )
        utilities = self.write(
            45,
            "Bill",
            {
                "VendorRef": {"value": v[1]},
                "DocNumber": "PG-2026-02",
                "Line": [self._expense("Utilities", 420.0, "February power")],
            },
        )
        repairs = self.write(
            50,
            "Bill",
            {
                "VendorRef": {"value": v[2]},
                "DocNumber": "R-88",
                "Line": [
                    self._expense("Repairs & Maintenance", 640.0, "HVAC compressor"),
                    self._expense("Supplies & Materials", 95.5, "Filters"),
                ],
            },
        )
        self.write(
            70,
            "Bill",
            {
                "VendorRef": {"value": v[0]},
                "DocNumber": "V-1002",
                "Line": [self._expense("Repairs & Maintenance", 180.0, "Dock door")],
            },
        )
        self.write(
            75,
            "BillPayment",
            {
                "VendorRef": {"value": v[1]},
                "PayType": "Check",
                "TotalAmt": 420.0,
                "CheckPayment": {"BankAccountRef": {"value": self.accounts["Checking"]}},
                "Line": [{"Amount": 420.0, "LinkedTxn": [{"TxnId": utilities["Id"], "TxnType": "Bill"}]}],
            },
        )
        self.write(
            78,
            "BillPayment",
            {
                "VendorRef": {"value": v[2]},
                "PayType": "CreditCard",
                "TotalAmt": 300.0,
                "CreditCardPayment": {"CCAccountRef": {"value": self.accounts["Visa Business Card"]}},
                "Line": [{"Amount": 300.0, "LinkedTxn": [{"TxnId": repairs["Id"], "TxnType": "Bill"}]}],
            },
        )

    # --- journal entries ------------------------------------------------------------------------

    def _je(self, posting: str, account: str, amount: float, entity: tuple[str, str] | None = None) -> dict:
        detail: dict[str, Any] = {"PostingType": posting, "AccountRef": {"value": self.accounts[account]}}
        if entity:
            detail["Entity"] = {"Type": entity[0], "EntityRef": {"value": entity[1]}}
        return {"DetailType": "JournalEntryLineDetail", "Amount": amount, "JournalEntryLineDetail": detail}

    def _journal_entries(self) -> None:
        self.write(
            52,
            "JournalEntry",
            {
                "DocNumber": "JE-1001",
                "PrivateNote": "Fuel card, January",
                "Line": [self._je("Debit", "Fuel", 85.4), self._je("Credit", "Checking", 85.4)],
            },
        )
        if self.vendors:
            self.write(
                68,
                "JournalEntry",
                {
                    "DocNumber": "JE-1002",
                    "Line": [
                        self._je("Debit", "Repairs & Maintenance", 300.0),
                        self._je("Credit", "Accounts Payable (A/P)", 300.0, ("Vendor", self.vendors[0])),
                    ],
                },
            )
        self.write(
            80,
            "JournalEntry",
            {
                "DocNumber": "JE-1003",
                "Adjustment": True,
                "Line": [
                    self._je("Debit", "Insurance", 1200.0),
                    self._je("Credit", "Savings", 1200.0),
                ],
            },
        )
