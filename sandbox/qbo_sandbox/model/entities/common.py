"""Helpers shared by the per-entity rules: lengths, references, money, line checks."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from qbo_sandbox import faults

if TYPE_CHECKING:
    from qbo_sandbox.model.entities.books import Books

USD = {"value": "USD", "name": "United States Dollar"}
CENT = Decimal("0.01")
MAX_LENGTHS = {"DisplayName": 500, "DocNumber": 21, "PrivateNote": 4000}
# Reference field -> the entity it points at (name lists).
REF_TARGETS = {
    "CustomerRef": "Customer",
    "VendorRef": "Vendor",
    "EmployeeRef": "Employee",
    "ItemRef": "Item",
    "AccountRef": "Account",
    "IncomeAccountRef": "Account",
    "ExpenseAccountRef": "Account",
    "AssetAccountRef": "Account",
    "APAccountRef": "Account",
    "ARAccountRef": "Account",
    "DepositToAccountRef": "Account",
    "TaxCodeRef": "TaxCode",
    "TxnTaxCodeRef": "TaxCode",
    "DefaultTaxCodeRef": "TaxCode",
    "TaxRateRef": "TaxRate",
    "ParentRef": None,  # same entity as the owner; resolved by the caller
}


def money(value: Any, element: str) -> Decimal:
    """A JSON number as Decimal rounded to cents; rejects non-numbers with 2010."""
    if isinstance(value, bool) or value is None:
        raise faults.invalid_value(element, f"{element} must be a number, got {value!r}")
    try:
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise faults.invalid_value(element, f"{element} must be a number, got {value!r}") from exc


def number(value: Any, element: str) -> Decimal:
    """A JSON number as Decimal (unrounded)."""
    if isinstance(value, bool) or value is None:
        raise faults.invalid_value(element, f"{element} must be a number, got {value!r}")
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise faults.invalid_value(element, f"{element} must be a number, got {value!r}") from exc


def as_json_number(value: Decimal) -> float | int:
    """QBO renders amounts as JSON numbers (100.0, 0)."""
    if value == 0:
        return 0
    return float(value)


def check_lengths(obj: dict[str, Any], limits: dict[str, int] | None = None) -> None:
    """2050 for any string field longer than its QBO maximum."""
    for name, limit in (limits or MAX_LENGTHS).items():
        value = obj.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise faults.string_too_long(name, limit, len(value))


def check_path_lengths(obj: dict[str, Any], limits: dict[str, int]) -> None:
    """2050 for a string at a dotted path (``BillAddr.City``) longer than its limit; the fault's
    ``element`` is the dotted path."""
    for path, limit in limits.items():
        head, _, leaf = path.partition(".")
        holder = obj.get(head) if leaf else obj
        value = holder.get(leaf or head) if isinstance(holder, dict) else None
        if isinstance(value, str) and len(value) > limit:
            raise faults.string_too_long(path, limit, len(value))


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_email(obj: dict[str, Any], field: str = "PrimaryEmailAddr") -> None:
    """6000 when ``obj[field].Address`` is not an e-mail address.

    The Intuit reference only says the address "must contain @ and ."; the sandbox also rejects
    whitespace, a second ``@`` and empty parts. The code/wording QBO uses is UNCONFIRMED: 6000
    (business validation, qbo-api.md §6) with the reference's rule in the Detail.
    """
    holder = obj.get(field)
    address = holder.get("Address") if isinstance(holder, dict) else None
    if address is None or address == "":
        return
    if not isinstance(address, str) or not _EMAIL_RE.match(address):
        raise faults.business_validation(
            f"Invalid email address: {address!r}. An email address must contain @ and a dot "
            "(name@example.com)",
            f"{field}.Address",
        )


def ref_id(ref: Any, element: str) -> str:
    """The ``value`` of a Ref object; 2020 when absent, 2010 when not a Ref."""
    if not isinstance(ref, dict):
        raise faults.invalid_value(element, f'{element} must be an object like {{"value": "<Id>"}}')
    value = ref.get("value")
    if value is None or str(value).strip() == "":
        raise faults.required_param(f"{element}.value")
    return str(value)


def resolve_ref(co: Books, holder: dict[str, Any], field: str, target: str, *, required: bool) -> dict | None:
    """Check ``holder[field]`` points at an existing, active ``target``; fill in its ``name``.

    Missing and required -> 2020; unknown Id -> 2500; inactive -> 610 ("made inactive").
    """
    ref = holder.get(field)
    if ref is None:
        if required:
            raise faults.required_param(field)
        return None
    ident = ref_id(ref, field)
    found = co.lookup(target, ident)
    if found is None:
        raise faults.invalid_reference(field, ident, target)
    if found.get("Active") is False:
        raise faults.inactive_reference(field)
    name = found.get("FullyQualifiedName") or found.get("DisplayName") or found.get("Name")
    holder[field] = {"value": ident, "name": name} if name and target != "TaxCode" else {"value": ident}
    return found


def require(obj: dict[str, Any], field: str, entity: str = "") -> Any:
    """2020 when ``field`` is absent or blank."""
    value = obj.get(field)
    if value is None or (isinstance(value, str) and not value.strip()) or value == []:
        raise faults.required_param(field, entity)
    return value


def require_lines(obj: dict[str, Any], entity: str) -> list[dict[str, Any]]:
    """The ``Line`` array without server-added SubTotal lines; 2020 when empty."""
    lines = obj.get("Line")
    if not isinstance(lines, list):
        raise faults.required_param("Line", entity)
    real = [ln for ln in lines if isinstance(ln, dict) and ln.get("DetailType") != "SubTotalLineDetail"]
    if not real:
        raise faults.required_param("Line", entity)
    return real


def check_qty_price(detail: dict[str, Any], amount: Decimal, line_no: int, element: str) -> None:
    """6070 when Amount differs from round(Qty x UnitPrice, 2)."""
    if detail.get("Qty") is None or detail.get("UnitPrice") is None:
        return
    qty = number(detail["Qty"], f"{element}.Qty")
    price = number(detail["UnitPrice"], f"{element}.UnitPrice")
    expected = (qty * price).quantize(CENT, rounding=ROUND_HALF_UP)
    if expected != amount:
        raise faults.amount_mismatch(line_no, amount, expected)


def number_lines(lines: list[dict[str, Any]]) -> None:
    """Assign ``Id``/``LineNum`` 1..n, keeping sent Ids that are unique."""
    used: set[str] = set()
    for index, line in enumerate(lines, start=1):
        line_id = str(line.get("Id") or "")
        if not line_id or line_id in used:
            line_id = str(index)
            while line_id in used:
                line_id = str(int(line_id) + 1000)
        used.add(line_id)
        line["Id"] = line_id
        line["LineNum"] = index


def check_enum(value: Any, allowed: tuple[str, ...], element: str) -> str:
    """2170 when ``value`` is not one of ``allowed``."""
    if value not in allowed:
        raise faults.invalid_enum(element, value)
    return str(value)
