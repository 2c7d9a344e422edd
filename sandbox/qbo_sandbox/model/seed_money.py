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

    def _invoice(
        self, day: float, customer: str, lines: list[dict[str, Any]], **extra: Any
    ) -> dict[str, Any]:
        return self.write(day, "Invoice", {"CustomerRef": {"value": customer}, "Line": lines, **extra})

    def _payment(
        self, day: float, customer: str, ref: str, paid: list[tuple[dict, float]], **extra: Any
    ) -> dict:
        lines = [
            {"Amount": amt, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]} for inv, amt in paid
        ]
        total = extra.pop("TotalAmt", round(sum(amt for _, amt in paid), 2))
        body = {"CustomerRef": {"value": customer}, "TotalAmt": total, "PaymentRefNum": ref, "Line": lines}
        return self.write(day, "Payment", {**body, **extra})

    def _sales(self) -> None:
        self._taxed_invoices()
        c, goods, service = self.customers, self.goods[0], self.services[0]
        first = self._invoice(64, c[2], [self._line(service, 2, "NON")])
        second = self._invoice(65, c[2], [self._line(goods, 3, "NON")])
        self._payment(
            83, c[2], "CHK5200", [(first, first["TotalAmt"]), (second, round(second["TotalAmt"] / 2, 2))]
        )
        self._payment(83.5, c[3], "ACH-7781", [], TotalAmt=250)  # unapplied
        bounced = self._invoice(66, c[4], [self._line(service, 1, "NON")])
        pay = self._payment(
            83.6, c[4], "CHK5201", [(bounced, bounced["TotalAmt"])], PrivateNote="bounced check"
        )
        with self.co.backdated(self.at(83.7)):
            self.co.void("Payment", {"Id": pay["Id"], "SyncToken": pay["SyncToken"], "sparse": True})

    def _taxed_invoices(self) -> None:
        c, goods, service = self.customers, self.goods[0], self.services[0]
        percent = {"DetailType": "DiscountLineDetail", "Amount": 0,
                   "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 5}}  # fmt: skip
        lines = [
            self._line(goods, 4, "TAX"),
            self._line(self.goods[-1], 2, "TAX"),
            self._line(service, 3, "NON"),
        ]
        self._invoice(60, c[0], [*lines, percent], SalesTermRef={"value": "2"}, ApplyTaxAfterDiscount=True,
                      TxnTaxDetail={"TxnTaxCodeRef": self._code("Alameda County")})  # fmt: skip
        fixed = {
            "DetailType": "DiscountLineDetail",
            "Amount": 25,
            "DiscountLineDetail": {"PercentBased": False},
        }
        self._invoice(62, c[1], [self._line(goods, 6, "TAX"), fixed],
                      TxnTaxDetail={"TxnTaxCodeRef": self._code("California")})  # fmt: skip

    # --- purchases ------------------------------------------------------------------------------

    def _expense(self, account: str, amount: float, text: str) -> dict[str, Any]:
        detail = {"AccountRef": {"value": self.accounts[account]}, "BillableStatus": "NotBillable"}
        return {"DetailType": "AccountBasedExpenseLineDetail", "Amount": amount, "Description": text,
                "AccountBasedExpenseLineDetail": detail}  # fmt: skip

    def _bill(self, day: float, vendor: str, doc: str, lines: list[dict[str, Any]], **extra: Any) -> dict:
        return self.write(
            day, "Bill", {"VendorRef": {"value": vendor}, "DocNumber": doc, "Line": lines, **extra}
        )

    def _bill_payment(
        self, day: float, vendor: str, bill: dict[str, Any], amount: float, pay_type: str
    ) -> None:
        holder, field, account = (
            ("CheckPayment", "BankAccountRef", "Checking") if pay_type == "Check"
            else ("CreditCardPayment", "CCAccountRef", "Visa Business Card")
        )  # fmt: skip
        self.write(day, "BillPayment", {
            "VendorRef": {"value": vendor}, "PayType": pay_type, "TotalAmt": amount,
            holder: {field: {"value": self.accounts[account]}},
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        })  # fmt: skip

    def _purchases(self) -> None:
        v = self.vendors
        if self.goods:
            stock = self.goods[0]
            cost = round(stock["UnitPrice"] * 0.55, 2)
            detail = {"ItemRef": {"value": stock["Id"]}, "Qty": 10, "UnitPrice": cost}
            line = {"DetailType": "ItemBasedExpenseLineDetail", "Amount": round(10 * cost, 2),
                    "ItemBasedExpenseLineDetail": detail}  # fmt: skip
            self._bill(40, v[0], "V-1001", [line], SalesTermRef={"value": "3"})
        utilities = self._bill(45, v[1], "PG-2026-02", [self._expense("Utilities", 420.0, "February power")])
        hvac = [
            self._expense("Repairs & Maintenance", 640.0, "HVAC compressor"),
            self._expense("Supplies & Materials", 95.5, "Filters"),
        ]
        repairs = self._bill(50, v[2], "R-88", hvac)
        self._bill(70, v[0], "V-1002", [self._expense("Repairs & Maintenance", 180.0, "Dock door")])
        self._bill_payment(75, v[1], utilities, 420.0, "Check")  # paid in full
        self._bill_payment(78, v[2], repairs, 300.0, "CreditCard")  # partly paid

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
