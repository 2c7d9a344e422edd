"""Per-entity rules of the sandbox model, keyed by QBO entity name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from qbo_sandbox.model.entities import journal, names, payment_method, payments, sales, terms

Prepare = Callable[[Any, dict[str, Any], "dict[str, Any] | None"], dict[str, Any]]


@dataclass(frozen=True)
class EntitySpec:
    """How the model treats one entity.

    kind: ``name`` (name list: no delete, Active default filter), ``txn`` (deletable transaction),
    ``tax`` (read-only reference data, no CDC), ``info`` (CompanyInfo).
    unique: (field, scope) for case-insensitive name uniqueness; scope groups entities sharing names.
    void: ``operation`` (``?operation=void``) or ``update`` (sparse update with ``include=void``).
    """

    name: str
    kind: str
    prepare: Prepare | None = None
    unique: tuple[str, str] | None = None
    void: str | None = None

    @property
    def active_filter(self) -> bool:
        return self.kind in ("name", "tax")

    @property
    def cdc(self) -> bool:
        return self.kind in ("name", "txn", "info")


SPECS: dict[str, EntitySpec] = {
    s.name: s
    for s in (
        EntitySpec("CompanyInfo", "info"),
        EntitySpec("Preferences", "info"),
        EntitySpec("Account", "name", names.prepare_account, ("Name", "Account")),
        EntitySpec("TaxCode", "tax"),
        EntitySpec("TaxRate", "tax"),
        EntitySpec("Customer", "name", names.prepare_customer, ("DisplayName", "party")),
        EntitySpec("Vendor", "name", names.prepare_vendor, ("DisplayName", "party")),
        EntitySpec("Employee", "name", names.prepare_employee, ("DisplayName", "party")),
        EntitySpec("Item", "name", names.prepare_item, ("Name", "Item")),
        EntitySpec("Term", "name", terms.prepare_term, ("Name", "Term")),
        EntitySpec("PaymentMethod", "name", payment_method.prepare_payment_method, ("Name", "PaymentMethod")),
        EntitySpec("TaxAgency", "tax"),
        EntitySpec("Invoice", "txn", partial(sales.prepare_sales_form, entity="Invoice"), void="operation"),
        EntitySpec(
            "SalesReceipt", "txn", partial(sales.prepare_sales_form, entity="SalesReceipt"), void="update"
        ),
        EntitySpec("Estimate", "txn", partial(sales.prepare_sales_form, entity="Estimate")),
        EntitySpec("Bill", "txn", sales.prepare_bill),
        EntitySpec("JournalEntry", "txn", journal.prepare_journal_entry),
        EntitySpec("Payment", "txn", payments.prepare_payment, void="update"),
        EntitySpec("BillPayment", "txn", payments.prepare_bill_payment, void="update"),
    )
}
_BY_LOWER = {name.lower(): name for name in SPECS}


def canonical(name: str) -> str | None:
    """QBO's spelling of an entity name given in any case, or None when unknown."""
    return _BY_LOWER.get(name.strip().lower())
