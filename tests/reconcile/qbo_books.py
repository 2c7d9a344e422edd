"""Test helper: the QuickBooks side of the property runs, a bookkeeper working in QuickBooks itself
(the sandbox company, in process: these are not the product's requests, so scripted faults never hit
them): payments (full, partial, split over two invoices, unapplied), payment edits, voids and
deletes, and hand edits of invoices."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


class QboBooks:
    """``excluded()`` names the invoice numbers nobody pays in QuickBooks (voided in the CMMS)."""

    def __init__(self, sb: Any, excluded: Callable[[], set[str]]) -> None:
        self.co = sb.company
        self.excluded = excluded
        self.customers = [c["Id"] for c in self.co.query("SELECT * FROM Customer MAXRESULTS 6")["Customer"]]

    def invoices(self) -> list[dict[str, Any]]:
        return self.co.query("SELECT * FROM Invoice MAXRESULTS 1000").get("Invoice", [])

    def payments(self) -> list[dict[str, Any]]:
        return self.co.query("SELECT * FROM Payment MAXRESULTS 1000").get("Payment", [])

    def paid_numbers(self) -> set[str]:
        """Invoice numbers QuickBooks has payments applied to."""
        return {i.get("DocNumber") for i in self.invoices() if money(i["Balance"]) < money(i["TotalAmt"])}

    def pay(self, index: int, share: Decimal) -> None:
        inv = self._pick_open(index)
        if inv is not None:
            amount = max(money(Decimal(str(inv["Balance"])) * share), Decimal("0.01"))
            self._payment(inv["CustomerRef"], [(inv["Id"], amount)], amount)

    def split(self, a: int, b: int) -> None:
        first, second = self._pick_open(a), self._pick_open(b + 1)
        if first and second and first["Id"] != second["Id"] and first["CustomerRef"] == second["CustomerRef"]:
            parts = [
                (first["Id"], money(first["Balance"])),
                (second["Id"], min(Decimal(1), money(second["Balance"]))),
            ]
            self._payment(first["CustomerRef"], parts, sum((p[1] for p in parts), Decimal(0)))

    def unapplied(self, customer: int, cents: int) -> None:
        self._payment({"value": self.customers[customer % len(self.customers)]}, [], Decimal(cents) / 100)

    def edit_payment(self, index: int, share: Decimal) -> None:
        """Change what a live payment applies to its first invoice (and its total by as much)."""
        live = [
            p for p in self.payments() if p.get("TotalAmt") and any(ln.get("LinkedTxn") for ln in p["Line"])
        ]
        if not live:
            return
        pay = live[index % len(live)]
        lines = [dict(ln) for ln in pay["Line"]]
        first = next(i for i, ln in enumerate(lines) if ln.get("LinkedTxn"))
        old = money(lines[first]["Amount"])
        new = max(money(old * share), Decimal("0.01"))
        lines[first] = {"Amount": float(new), "LinkedTxn": lines[first]["LinkedTxn"]}
        total = money(pay["TotalAmt"]) - old + new
        body = {"Id": pay["Id"], "SyncToken": pay["SyncToken"], "sparse": True, "TotalAmt": float(total)}
        self.co.update("Payment", {**body, "Line": lines})

    def void_payment(self, index: int, _: Any = None) -> None:
        live = [p for p in self.payments() if p.get("TotalAmt")]
        if live:
            pay = live[index % len(live)]
            self.co.void("Payment", {"Id": pay["Id"], "SyncToken": pay["SyncToken"]})

    def delete_payment(self, index: int, _: Any = None) -> None:
        pays = self.payments()
        if pays:
            pay = pays[index % len(pays)]
            self.co.delete("Payment", {"Id": pay["Id"], "SyncToken": pay["SyncToken"]})

    def memo(self, index: int, _: Any = None) -> None:
        """A hand edit that changes no figure (the customer memo): a new SyncToken the next push of
        that invoice meets as 5010 and resends with."""
        invoices = [i for i in self.invoices() if i.get("DocNumber") not in self.excluded()]
        if invoices:
            inv = invoices[index % len(invoices)]
            self.co.update(
                "Invoice",
                {
                    "Id": inv["Id"],
                    "SyncToken": inv["SyncToken"],
                    "sparse": True,
                    "CustomerMemo": {"value": "hand"},
                },
            )

    def add_line(self, inv: dict[str, Any], amount: Decimal) -> dict[str, Any]:
        """A hand edit of the figures: one more line of ``amount`` on ``inv``."""
        item = next(
            ln["SalesItemLineDetail"]["ItemRef"]
            for ln in inv["Line"]
            if ln["DetailType"] == "SalesItemLineDetail"
        )
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": float(amount),
            "SalesItemLineDetail": {"ItemRef": item},
        }
        kept = [ln for ln in inv["Line"] if ln["DetailType"] != "SubTotalLineDetail"]
        return self.co.update(
            "Invoice", {"Id": inv["Id"], "SyncToken": inv["SyncToken"], "sparse": True, "Line": [*kept, line]}
        )

    def _pick_open(self, index: int) -> dict[str, Any] | None:
        skip = self.excluded()
        open_ = [i for i in self.invoices() if money(i["Balance"]) > 0 and i.get("DocNumber") not in skip]
        return open_[index % len(open_)] if open_ else None

    def _payment(self, customer: dict[str, Any], parts: list[tuple[str, Decimal]], total: Decimal) -> None:
        lines = [
            {"Amount": float(a), "LinkedTxn": [{"TxnId": i, "TxnType": "Invoice"}]} for i, a in parts if a > 0
        ]
        self.co.create("Payment", {"CustomerRef": customer, "TotalAmt": float(total), "Line": lines})
