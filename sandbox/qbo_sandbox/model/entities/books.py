"""What the entity rules may ask of the company, as a protocol (so they never import it).

:class:`~qbo_sandbox.model.company.Company` satisfies :class:`Books` structurally. Every method is
called with the company lock held, inside one write.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol


class Books(Protocol):
    """The company as the per-entity rules see it."""

    item_income_rule: str

    def now(self) -> datetime:
        """The time writes are stamped with."""
        ...

    def lookup(self, entity: str, obj_id: str) -> dict[str, Any] | None:
        """The stored object (not a copy) or None."""
        ...

    def stored(self, entity: str) -> Iterator[dict[str, Any]]:
        """Every stored object of ``entity`` in Id order (not copies)."""
        ...

    def preference(self, path: str) -> Any:
        """A company preference by dotted path (``TaxPrefs.PartnerTaxEnabled``)."""
        ...

    def next_doc_number(self, entity: str) -> str: ...

    def set_default_account(self, obj: dict[str, Any], field: str, subtype: str) -> None: ...

    def applied_total(self, invoice_id: str, exclude_payment: str | None = None) -> Decimal: ...
