"""Deterministic seeding of a realistic US facility-maintenance company.

Everything goes through :meth:`Company.create` (so the seed obeys the same rules as API writes),
except TaxCode/TaxRate which QBO only creates through its TaxService (loaded with ``load_raw``).
Seeded history is backdated to between 120 and 35 days before the clock's ``now()``, so a CDC call
inside the 30-day window sees only changes made after seeding.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from qbo_sandbox.clock import format_meta
from qbo_sandbox.model.company import Company
from qbo_sandbox.model.entities.payment_method import DEFAULTS as PAYMENT_METHODS
from qbo_sandbox.model.seed_data import (
    ACCOUNTS,
    CITIES,
    CUSTOMER_KINDS,
    CUSTOMER_PREFIXES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    INVENTORY,
    NON_INVENTORY,
    SERVICES,
    SIZES,
    STREETS,
    TERMS,
    VENDOR_KINDS,
    VENDOR_PREFIXES,
)
from qbo_sandbox.model.seed_money import MoneySeeder


@dataclass(frozen=True)
class SeedSpec:
    """How much to seed. Defaults are the demo company."""

    customers: int = 25
    vendors: int = 12
    employees: int = 4
    items: int = 20
    invoices: int = 15
    payments: int = 6
    seed: int = 20240601
    # The money half (qbo_sandbox.model.seed_money): taxed/discounted invoices, split, unapplied and
    # voided payments, bills and bill payments, journal entries, a tax agency.
    money: bool = True

    @classmethod
    def demo(cls) -> SeedSpec:
        """Small realistic company: 25 customers, 12 vendors, 4 employees, 20 items, 15 invoices,
        6 payments (full and partial), plus the money half (:mod:`.seed_money`)."""
        return cls()


class _Names:
    """Unique (case-insensitive) display names across customers, vendors and employees."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, candidates: Iterator[str]) -> str:
        for name in candidates:
            if name.casefold() not in self.used:
                self.used.add(name.casefold())
                return name
        raise RuntimeError("name generator exhausted")  # unreachable: generators are infinite


def _variants(base: str) -> Iterator[str]:
    yield base
    for n in count(2):
        yield f"{base} #{n}"


def _address(rng: random.Random, addr_id: int) -> dict[str, Any]:
    city, postal = rng.choice(CITIES)
    return {
        "Id": str(addr_id),
        "Line1": f"{rng.randint(100, 9899)} {rng.choice(STREETS)}",
        "City": city,
        "CountrySubDivisionCode": "CA",
        "PostalCode": postal,
        "Country": "US",
    }


def _phone(rng: random.Random) -> dict[str, str]:
    return {"FreeFormNumber": f"({rng.choice(('510', '925', '408', '415'))}) 555-{rng.randint(1000, 9999)}"}


def _email(name: str) -> dict[str, str]:
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24] or "info"
    return {"Address": f"ap@{slug}.example"}


def _tax_objects(stamp: str) -> list[tuple[str, dict[str, Any]]]:
    meta = {"CreateTime": stamp, "LastUpdatedTime": stamp}

    def rate(rid: str, name: str, value: float, agency: str) -> tuple[str, dict[str, Any]]:
        return "TaxRate", {
            "Name": name, "Description": "Sales Tax", "Active": True, "RateValue": value,
            "AgencyRef": {"value": agency}, "SpecialTaxType": "NONE", "DisplayType": "ReadOnly",
            "EffectiveTaxRate": [{"RateValue": value, "EffectiveDate": "2017-01-01T00:00:00-08:00"}],
            "domain": "QBO", "sparse": False, "Id": rid, "SyncToken": "0", "MetaData": dict(meta),
        }  # fmt: skip

    def code(cid: str, name: str, group: bool, rates: list[tuple[str, str]]) -> tuple[str, dict[str, Any]]:
        details = [
            {"TaxRateRef": {"value": r, "name": n}, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
            for r, n in rates
        ]
        return "TaxCode", {
            "Name": name, "Description": name, "Active": True, "Hidden": False, "Taxable": name != "NON",
            "TaxGroup": group, "SalesTaxRateList": {"TaxRateDetail": details},
            "PurchaseTaxRateList": {"TaxRateDetail": []}, "TaxCodeConfigType": "USER_DEFINED",
            "domain": "QBO", "sparse": False, "Id": cid, "SyncToken": "0", "MetaData": dict(meta),
        }  # fmt: skip

    return [
        rate("1", "California", 7.25, "1"),
        rate("2", "Alameda County", 3.0, "1"),
        rate("3", "Contra Costa County", 1.5, "1"),
        code("TAX", "TAX", False, []),
        code("NON", "NON", False, []),
        code("2", "California", True, [("1", "California")]),
        code("3", "Alameda County", True, [("1", "California"), ("2", "Alameda County")]),
        code("4", "Contra Costa County", True, [("1", "California"), ("3", "Contra Costa County")]),
    ]


class _Seeder:
    def __init__(self, company: Company, spec: SeedSpec) -> None:
        self.co = company
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.names = _Names()
        self.start = company.now() - timedelta(days=120)
        self.accounts: dict[str, str] = {}
        self.customers: list[str] = []
        self.items: list[dict[str, Any]] = []

    def at(self, days: float) -> datetime:
        return self.start + timedelta(days=days)

    def run(self) -> None:
        with self.co.backdated(self.at(0)):
            for entity, obj in _tax_objects(format_meta(self.at(0))):
                self.co.load_raw(entity, obj)
            for name, acct_type, sub_type, active in ACCOUNTS:
                acct = self.co.create(
                    "Account",
                    {"Name": name, "AccountType": acct_type, "AccountSubType": sub_type, "Active": active},
                )
                self.accounts[name] = acct["Id"]
            for term in TERMS:
                self.co.create("Term", dict(term))
            for method in PAYMENT_METHODS:  # QuickBooks' defaults, Ids 1-7 (Check = 2)
                self.co.create("PaymentMethod", dict(method))
        self._parties()
        self._items()
        invoices = self._invoices()
        self._payments(invoices)
        if self.spec.money:
            MoneySeeder(self.co, self.at, self.accounts, self.customers, self.items).run()

    def _parties(self) -> None:
        spec, rng = self.spec, self.rng
        for i in range(spec.customers):
            with self.co.backdated(self.at(1 + 10 * i / max(spec.customers, 1))):
                self.customers.append(self._customer(i)["Id"])
        for i in range(spec.vendors):
            base = f"{rng.choice(VENDOR_PREFIXES)} {rng.choice(VENDOR_KINDS)}"
            name = self.names.take(_variants(base))
            body = {"DisplayName": name, "CompanyName": name, "PrimaryPhone": _phone(rng),
                    "PrimaryEmailAddr": _email(name), "BillAddr": _address(rng, 10_000_000 + i),
                    "Vendor1099": i % 5 == 4, "AcctNum": f"V{1000 + i}"}  # fmt: skip
            with self.co.backdated(self.at(12 + 3 * i / max(spec.vendors, 1))):
                self.co.create("Vendor", body)
        for i in range(spec.employees):
            given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
            name = self.names.take(_variants(f"{given} {family}"))
            body = {
                "GivenName": given,
                "FamilyName": family,
                "DisplayName": name,
                "PrimaryPhone": _phone(rng),
                "HiredDate": self.at(-400 + 30 * i).date().isoformat(),
            }
            with self.co.backdated(self.at(16 + i / 10)):
                self.co.create("Employee", body)

    def _customer(self, i: int) -> dict[str, Any]:
        rng = self.rng
        body: dict[str, Any] = {"PrimaryPhone": _phone(rng), "BillAddr": _address(rng, 1000 + i)}
        if rng.random() < 0.8:
            name = self.names.take(_variants(f"{rng.choice(CUSTOMER_PREFIXES)} {rng.choice(CUSTOMER_KINDS)}"))
            given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
            body.update(CompanyName=name, GivenName=given, FamilyName=family)
        else:
            given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
            name = self.names.take(_variants(f"{given} {family}"))
            body.update(GivenName=given, FamilyName=family)
        body.update(DisplayName=name, PrimaryEmailAddr=_email(name), ShipAddr=dict(body["BillAddr"]))
        body["Active"] = i % 25 != 24  # a few inactive customers (never invoiced)
        return self.co.create("Customer", body)

    def _items(self) -> None:
        kinds = [("Service", SERVICES), ("NonInventory", NON_INVENTORY), ("Inventory", INVENTORY)]
        used: set[str] = set()
        for i in range(self.spec.items):
            item_type, catalog = kinds[i % 3]
            base, price = catalog[(i // 3) % len(catalog)]
            round_no = i // (3 * len(catalog))
            name = base if round_no == 0 else f"{base} {SIZES[round_no % len(SIZES)]}"
            name = next(n for n in _variants(name) if n.casefold() not in used)
            used.add(name.casefold())
            with self.co.backdated(self.at(17 + 3 * i / max(self.spec.items, 1))):
                self.items.append(self.co.create("Item", self._item_body(i, name, item_type, price)))

    def _item_body(self, i: int, name: str, item_type: str, price: float) -> dict[str, Any]:
        income = "Services" if item_type == "Service" else "Sales of Product Income"
        body: dict[str, Any] = {
            "Name": name, "Type": item_type, "Sku": f"SF-{10000 + i}", "UnitPrice": price,
            "Description": f"{name} ({item_type.lower()})", "Taxable": item_type != "Service",
            "IncomeAccountRef": {"value": self.accounts[income]},
        }  # fmt: skip
        if item_type == "Inventory":
            body.update(
                TrackQtyOnHand=True,
                QtyOnHand=self.rng.randint(20, 400),
                InvStartDate=self.at(0).date().isoformat(),
                PurchaseCost=round(price * 0.55, 2),
                ExpenseAccountRef={"value": self.accounts["Cost of Goods Sold"]},
                AssetAccountRef={"value": self.accounts["Inventory Asset"]},
            )
        elif item_type == "NonInventory":
            body["ExpenseAccountRef"] = {"value": self.accounts["Supplies & Materials"]}
        return body

    def _invoices(self) -> list[dict[str, Any]]:
        active = [c for c in self.customers if self.co.lookup("Customer", c).get("Active")]  # type: ignore[union-attr]
        sellable = [it for it in self.items if it["UnitPrice"] > 0]
        out: list[dict[str, Any]] = []
        if not active or not sellable:
            return out
        for i in range(self.spec.invoices):
            when = self.at(30 + 50 * i / max(self.spec.invoices, 1))
            lines = []
            for _ in range(self.rng.randint(1, 4)):
                item = self.rng.choice(sellable)
                qty = self.rng.randint(1, 12)
                price = item["UnitPrice"]
                lines.append({
                    "DetailType": "SalesItemLineDetail", "Amount": round(qty * price, 2),
                    "Description": item.get("Description"),
                    "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": qty, "UnitPrice": price,
                                            "TaxCodeRef": {"value": "NON"}},
                })  # fmt: skip
            body = {
                "CustomerRef": {"value": active[i % len(active)]},
                "Line": lines,
                "TxnDate": when.date().isoformat(),
            }
            with self.co.backdated(when):
                out.append(self.co.create("Invoice", body))
        return out

    def _payments(self, invoices: list[dict[str, Any]]) -> None:
        for i, invoice in enumerate(invoices[: self.spec.payments]):
            total = invoice["TotalAmt"]
            amount = total if i % 2 == 0 else round(total / 2, 2)  # alternate full and partial
            when = self.at(82 + i / 2)
            body = {
                "CustomerRef": {"value": invoice["CustomerRef"]["value"]}, "TotalAmt": amount,
                "TxnDate": when.date().isoformat(), "PaymentRefNum": f"CHK{4100 + i}",
                "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
            }  # fmt: skip
            with self.co.backdated(when):
                self.co.create("Payment", body)


def seed_company(company: Company, spec: SeedSpec | None = None) -> None:
    """Fill ``company`` deterministically (same spec and clock -> same objects)."""
    _Seeder(company, spec or SeedSpec.demo()).run()
