"""Sales tax as QBO computes it on sales forms (US companies).

Manual sales tax (D-ust "manage sales tax for US locales", REF-invoice ``TxnTaxDetail``, REF-taxcode,
REF-taxrate): the transaction's ``TxnTaxDetail.TxnTaxCodeRef`` names a (group) TaxCode; each rate of
its ``SalesTaxRateList`` gives one ``TaxLine`` whose ``NetAmountTaxable`` is the sum of the lines
marked taxable (line ``TaxCodeRef`` ``TAX``), and whose ``Amount`` is that base times the rate,
rounded to the cent. ``TotalTax`` is their sum and is included in ``TotalAmt`` and ``Balance``.
With ``ApplyTaxAfterDiscount`` the taxable base is reduced by the discount's taxable share
(discount x taxable / subtotal), else tax is computed on the undiscounted amounts (REF-invoice).
An explicit ``TotalTax`` different from the computed one is honoured and the lines are prorated
(B-ast17 for AST; for manual tax UNCONFIRMED).

Automated sales tax (``Preferences.TaxPrefs.PartnerTaxEnabled``; B-ast17, B-ast18): QBO picks the
rate from the ship-to address and overrides any requested TxnTaxCodeRef; a line without a
``TaxCodeRef`` is taxable when its item is. The sandbox's AST picks the seeded code for the
customer's ship-to (else bill-to) city's county, else the state code (UNCONFIRMED: QBO's own
address-to-rate engine is not reproducible).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults
from qbo_sandbox.model.entities.common import CENT, as_json_number, money, resolve_ref

if TYPE_CHECKING:
    from qbo_sandbox.model.entities.books import Books

# AST: which seeded tax code a California ship-to city gets (Alameda / Contra Costa counties).
AST_COUNTY_CODES = {
    **dict.fromkeys(
        ("oakland", "san leandro", "hayward", "fremont", "berkeley", "alameda"), "Alameda County"
    ),
    **dict.fromkeys(("walnut creek", "concord", "richmond", "antioch"), "Contra Costa County"),
}
AST_STATE_CODE = "California"


def ast_enabled(co: Books) -> bool:
    return co.preference("TaxPrefs.PartnerTaxEnabled") is True


def ast_code(co: Books, customer: dict[str, Any] | None) -> dict[str, Any] | None:
    """The tax code AST would choose for ``customer``'s ship-to (bill-to) address."""
    addr = (customer or {}).get("ShipAddr") or (customer or {}).get("BillAddr") or {}
    if str(addr.get("CountrySubDivisionCode") or "").upper() != "CA":
        return None
    wanted = AST_COUNTY_CODES.get(str(addr.get("City") or "").strip().lower(), AST_STATE_CODE)
    return next((c for c in co.stored("TaxCode") if c.get("Name") == wanted and c.get("Active")), None)


def compute_tax(co: Books, obj: dict[str, Any], taxable: Decimal, customer: dict[str, Any] | None) -> Decimal:
    """Fill ``obj["TxnTaxDetail"]`` (TaxLine[], TotalTax) and return the total tax."""
    detail = obj.get("TxnTaxDetail")
    detail = dict(detail) if isinstance(detail, dict) else {}
    sent_total = detail.get("TotalTax")
    if ast_enabled(co):
        code = ast_code(co, customer)
        detail["TxnTaxCodeRef"] = {"value": code["Id"]} if code else None
        sent_total = None if code else sent_total
    else:
        code = resolve_ref(co, detail, "TxnTaxCodeRef", "TaxCode", required=False)
    if code is None:
        detail.pop("TxnTaxCodeRef", None)
        total = money(sent_total or 0, "TxnTaxDetail.TotalTax")
        detail.pop("TaxLine", None)
        obj["TxnTaxDetail"] = {**detail, "TotalTax": as_json_number(total)}
        return total
    lines = _tax_lines(co, code, taxable)
    computed = sum((Decimal(str(ln["Amount"])) for ln in lines), Decimal(0))
    total = computed
    if sent_total is not None and money(sent_total, "TxnTaxDetail.TotalTax") != computed:
        total = money(sent_total, "TxnTaxDetail.TotalTax")
        _prorate(lines, computed, total)
    detail.update(TotalTax=as_json_number(total), TaxLine=lines)
    obj["TxnTaxDetail"] = detail
    return total


def _tax_lines(co: Books, code: dict[str, Any], taxable: Decimal) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rate_detail in (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []:
        rate_id = str((rate_detail.get("TaxRateRef") or {}).get("value"))
        rate = co.lookup("TaxRate", rate_id)
        if rate is None:
            raise faults.invalid_reference("TaxRateRef", rate_id, "TaxRate")
        percent = Decimal(str(rate.get("RateValue", 0)))
        amount = (taxable * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        out.append(
            {
                "Amount": as_json_number(amount),
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": {"value": rate_id},
                    "PercentBased": True,
                    "TaxPercent": as_json_number(percent),
                    "NetAmountTaxable": as_json_number(taxable),
                },
            }
        )
    return out


def _prorate(lines: list[dict[str, Any]], computed: Decimal, total: Decimal) -> None:
    """Spread an overridden total over the tax lines by their computed share."""
    if not lines:
        return
    left = total
    for line in lines[:-1]:
        share = Decimal(str(line["Amount"])) * total / computed if computed else Decimal(0)
        share = share.quantize(CENT, rounding=ROUND_HALF_UP)
        line["Amount"] = as_json_number(share)
        left -= share
    lines[-1]["Amount"] = as_json_number(left)
