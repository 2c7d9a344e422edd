"""The Report Service endpoint: ``GET /reports/{ReportName}`` over one company's books.

The books are read through the company's own query API (every object, inactive ones too), so the
reports see exactly what queries and CDC see. An unknown report name gets QBO's 400 answer for a
resource it does not serve; an unreadable parameter a 400 ``ValidationFault`` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from qbo_sandbox.model.report_trial import trial_balance
from qbo_sandbox.model.reports import (
    REPORT_ENTITIES,
    Books,
    ReportParamError,
    aged_receivables,
    customer_balance,
    vendor_balance,
)

# each report with the entities it reads
REPORTS: dict[str, tuple[Callable[[Books, Mapping[str, str], datetime], dict], tuple[str, ...]]] = {
    "CustomerBalance": (customer_balance, ("Customer", "Invoice", "Payment")),
    "VendorBalance": (vendor_balance, ("Vendor", "Bill", "BillPayment")),
    "AgedReceivables": (aged_receivables, ("Customer", "Invoice", "Payment")),
    "TrialBalance": (trial_balance, REPORT_ENTITIES),
}
PAGE = 1000


class QueryableCompany(Protocol):
    def query(self, statement: str) -> dict[str, Any]: ...


def read_books(
    company: QueryableCompany, entities: tuple[str, ...] = REPORT_ENTITIES
) -> dict[str, list[dict]]:
    """Every object of ``entities`` (an entity the company does not know reads as empty)."""
    books: dict[str, list[dict]] = {}
    for entity in entities:
        rows: list[dict] = []
        start = 1
        active = (
            " WHERE Active IN (true, false)" if entity in ("Customer", "Vendor", "Account", "Item") else ""
        )
        while True:
            try:
                page = company.query(
                    f"SELECT * FROM {entity}{active} STARTPOSITION {start} MAXRESULTS {PAGE}"
                )
            except (
                Exception
            ) as exc:  # an entity this sandbox does not model (e.g. BillPayment) reads as empty
                if getattr(exc, "code", None) == "4001":
                    break
                raise
            got = page.get(entity, [])
            rows.extend(got)
            if len(got) < PAGE:
                break
            start += PAGE
        books[entity] = rows
    return books


def serve_report(company: QueryableCompany, name: str, params: Mapping[str, str], now: datetime) -> dict:
    """The report object QBO answers for ``GET /reports/{name}?params`` (raises KeyError when unknown)."""
    handler, entities = REPORTS[name]
    return handler(read_books(company, entities), params, now)


__all__ = ["REPORTS", "ReportParamError", "read_books", "serve_report"]
