"""The lines of a sales form and what QBO computes from them (REF-invoice "Line Types").

- ``SalesItemLineDetail``: Amount = round(Qty x UnitPrice, 2) when both are sent (6070 otherwise);
  ``TaxCodeRef`` defaults to the item's taxability (``TAX`` / ``NON``; B-ast18 for AST, UNCONFIRMED
  for manual tax: the Intuit sample create answers ``NON`` for a non-taxable service item).
- ``GroupLineDetail``: a bundle (``GroupItemRef``, ``Quantity``) whose ``Line[]`` are sales item
  lines; its Amount is their sum.
- ``DescriptionOnly``: text only (``DescriptionLineDetail``), no amount in the totals.
- ``DiscountLineDetail``: ``PercentBased`` with ``DiscountPercent`` (Amount = percent of the
  subtotal, rounded) or a fixed ``Amount``; ``DiscountAccountRef`` defaults to the company's
  discounts-given account. Wherever it is sent, it applies to the whole subtotal (QBO applies a
  transaction discount after the subtotal; a discount of an inline subtotal is UNCONFIRMED).
- ``SubTotalLineDetail``: added by the server after the sales lines (sent ones are dropped), Amount =
  the sum of item and group lines; discount lines follow it, as QBO returns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults
from qbo_sandbox.model.entities.common import (
    CENT,
    as_json_number,
    check_enum,
    check_qty_price,
    money,
    number,
    number_lines,
    resolve_ref,
)

if TYPE_CHECKING:
    from qbo_sandbox.model.entities.books import Books

SALES_LINE_TYPES = ("SalesItemLineDetail", "GroupLineDetail", "DescriptionOnly", "DiscountLineDetail")


@dataclass
class SalesTotals:
    subtotal: Decimal = Decimal(0)  # item and group lines
    taxable: Decimal = Decimal(0)  # the taxable part of the subtotal
    discount: Decimal = Decimal(0)

    def taxable_base(self, after_discount: bool) -> Decimal:
        """What tax is computed on: with ApplyTaxAfterDiscount, less the discount's taxable share."""
        if not after_discount or not self.discount or not self.subtotal:
            return self.taxable
        share = (self.discount * self.taxable / self.subtotal).quantize(CENT, rounding=ROUND_HALF_UP)
        return max(self.taxable - share, Decimal(0))


def build_sales_lines(co: Books, lines: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], SalesTotals]:
    """The stored line list (numbered; SubTotal and discounts appended) and the totals."""
    totals = SalesTotals()
    kept: list[dict[str, Any]] = []
    discounts: list[dict[str, Any]] = []
    for index, line in enumerate(lines, start=1):
        kind = check_enum(line.get("DetailType"), SALES_LINE_TYPES, f"Line[{index}].DetailType")
        if kind == "DiscountLineDetail":
            discounts.append(line)
            continue
        if kind == "DescriptionOnly":
            line["Amount"] = as_json_number(money(line.get("Amount", 0), "Line.Amount"))
            line.setdefault("DescriptionLineDetail", line.pop("DescriptionOnly", {}) or {})
        elif kind == "GroupLineDetail":
            _group_line(co, line, index, totals)
        else:
            _item_line(co, line, index, totals)
        kept.append(line)
    for line in discounts:
        _discount(co, line, totals)
    number_lines([*kept, *discounts])
    subtotal = {
        "Amount": as_json_number(totals.subtotal),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }
    return [*kept, subtotal, *discounts], totals


def _item_line(co: Books, line: dict[str, Any], index: int, totals: SalesTotals) -> Decimal:
    if line.get("Amount") is None:
        raise faults.required_param("Line.Amount")
    amount = money(line["Amount"], "Line.Amount")
    detail = line.get("SalesItemLineDetail")
    if not isinstance(detail, dict):
        raise faults.required_param("SalesItemLineDetail")
    item = resolve_ref(co, detail, "ItemRef", "Item", required=True) or {}
    check_qty_price(detail, amount, index, "SalesItemLineDetail")
    if detail.get("TaxCodeRef") is None:
        detail["TaxCodeRef"] = {"value": "TAX" if item.get("Taxable") is True else "NON"}
    code = resolve_ref(co, detail, "TaxCodeRef", "TaxCode", required=True) or {}
    line["Amount"] = as_json_number(amount)
    totals.subtotal += amount
    if code.get("Taxable") is True:
        totals.taxable += amount
    return amount


def _group_line(co: Books, line: dict[str, Any], index: int, totals: SalesTotals) -> None:
    detail = line.get("GroupLineDetail")
    if not isinstance(detail, dict):
        raise faults.required_param("GroupLineDetail")
    resolve_ref(co, detail, "GroupItemRef", "Item", required=True)
    quantity = number(detail.get("Quantity", 1), "GroupLineDetail.Quantity")
    detail["Quantity"] = as_json_number(quantity) if quantity != int(quantity) else int(quantity)
    inner = [ln for ln in detail.get("Line") or [] if isinstance(ln, dict)]
    if not inner:
        raise faults.required_param("GroupLineDetail.Line")
    amount = Decimal(0)
    for sub in inner:
        check_enum(
            sub.get("DetailType"), ("SalesItemLineDetail",), f"Line[{index}].GroupLineDetail.Line.DetailType"
        )
        amount += _item_line(co, sub, index, totals)
    number_lines(inner)
    detail["Line"] = inner
    line["Amount"] = as_json_number(amount)


def _discount(co: Books, line: dict[str, Any], totals: SalesTotals) -> None:
    detail = line.get("DiscountLineDetail")
    if not isinstance(detail, dict):
        raise faults.required_param("DiscountLineDetail")
    if detail.get("PercentBased") is True:
        percent = number(detail.get("DiscountPercent"), "DiscountLineDetail.DiscountPercent")
        if not 0 <= percent <= 100:
            raise faults.invalid_value("DiscountPercent", f"DiscountPercent must be 0-100, got {percent}")
        amount = (totals.subtotal * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        detail["DiscountPercent"] = as_json_number(percent)
    else:
        if line.get("Amount") is None:
            raise faults.required_param("Line.Amount")
        amount = money(line["Amount"], "Line.Amount")
        detail["PercentBased"] = False
    if amount < 0 or amount > totals.subtotal:
        raise faults.business_validation(
            f"Discount {amount} must be between 0 and the subtotal {totals.subtotal}", "DiscountLineDetail"
        )
    resolve_ref(co, detail, "DiscountAccountRef", "Account", required=False)
    co.set_default_account(detail, "DiscountAccountRef", "DiscountsRefundsGiven")
    line["Amount"] = as_json_number(amount)
    totals.discount += amount
