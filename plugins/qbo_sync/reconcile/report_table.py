"""Reading QuickBooks Report Service answers (``Header`` / ``Columns`` / nested ``Rows``).

Data rows are those with ``ColData``; section rows (``Header`` / ``Rows`` / ``Summary``) are
walked recursively, and the ``GrandTotal`` (or ``Total``) section's summary is the report's total.
Money cells are strings (``""`` for none). An empty report (``NoReportData`` true) may carry
``"Rows": {}``: it reads as no rows and zero totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


class ReportShapeError(ValueError):
    """A report answer that is not in QuickBooks' report shape."""


@dataclass(frozen=True)
class ReportRow:
    id: str | None
    label: str
    values: tuple[Decimal, ...]


@dataclass
class ReportTable:
    name: str
    columns: list[str]
    rows: list[ReportRow] = field(default_factory=list)
    totals: tuple[Decimal, ...] = ()

    def by_id(self, column: int = -1) -> dict[str, Decimal]:
        """Money in ``column`` (default: the last, the total) per row id."""
        return {r.id: r.values[column] for r in self.rows if r.id is not None}


def _money(cell: dict[str, Any], where: str) -> Decimal:
    text = str(cell.get("value", "")).replace(",", "").strip()
    if not text:
        return Decimal(0)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ReportShapeError(f"{where}: {text!r} is not an amount") from None


def _cells(cols: list[dict[str, Any]], where: str) -> tuple[Decimal, ...]:
    return tuple(_money(c, f"{where} column {i + 2}") for i, c in enumerate(cols[1:]))


def _walk(rows: list[dict[str, Any]], table: ReportTable, path: str) -> None:
    for index, row in enumerate(rows):
        where = f"{table.name} {path}row {index + 1}"
        cols = row.get("ColData")
        if cols:
            table.rows.append(
                ReportRow(cols[0].get("id"), str(cols[0].get("value", "")), _cells(cols, where))
            )
            continue
        nested = (row.get("Rows") or {}).get("Row") or []
        _walk(nested, table, f"{path}section {index + 1} ")
        summary = (row.get("Summary") or {}).get("ColData")
        if summary and row.get("group") in ("GrandTotal", "Total"):
            table.totals = _cells(summary, f"{where} total")


def parse_report(body: dict[str, Any]) -> ReportTable:
    """The data rows and totals of one report answer."""
    header = body.get("Header")
    if not isinstance(header, dict) or "Columns" not in body:
        raise ReportShapeError(f"not a QuickBooks report: top-level keys {sorted(body)}")
    name = str(header.get("ReportName", "?"))
    columns = [str(c.get("ColTitle", "")) for c in (body["Columns"] or {}).get("Column", [])]
    table = ReportTable(name, columns)
    _walk((body.get("Rows") or {}).get("Row") or [], table, "")
    if not table.totals:
        table.totals = tuple(Decimal(0) for _ in columns[1:])
    return table
