"""Pure parts of transaction mappings: load-time checks, line bodies, named transforms."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from qbo_sync.mapping import MappingConfigError, UnresolvedReference, load_mapping
from qbo_sync.mapping.lines import line_problems, lines_to_qbo
from qbo_sync.mapping.txn_transforms import (
    Parties,
    Posting,
    TransformProblem,
    balance_problems,
    expense_journal_entry,
    us_sales_tax,
)

SHIPPED = Path(__file__).resolve().parents[2] / "include" / "mappings"


class Refs:
    def __init__(self, linked: dict[str, dict[int, str]]) -> None:
        self.linked = linked

    def to_qb_id(self, table: str, cmms_id: int) -> str | None:
        return self.linked.get(table, {}).get(int(cmms_id))

    def to_cmms_id(self, table: str, qb_id: str) -> int | None:
        return None


def test_a_line_column_typo_names_the_file_and_the_field(tmp_path: Path) -> None:
    text = (
        (SHIPPED / "invoices.yaml").read_text().replace("column: unit_price, qbo", "column: unit_prize, qbo")
    )
    (tmp_path / "invoices.yaml").write_text(text)
    with pytest.raises(MappingConfigError) as caught:
        load_mapping(tmp_path / "invoices.yaml")
    assert str(caught.value) == (
        "mapping `invoices.yaml`: transaction.lines `SalesItemLineDetail`: field "
        "`SalesItemLineDetail.UnitPrice` refers to unknown column `unit_prize`"
    )


def test_bill_lines_map_by_kind_and_unlinked_references_are_all_named() -> None:
    bills = load_mapping(SHIPPED / "bills.yaml")
    lines = [
        {"id": 1, "line_no": 1, "item_id": 5, "account_id": None, "quantity_received": Decimal("2"),
         "unit_cost": Decimal("3.5"), "amount": Decimal("7.00"), "description": "filters"},
        {"id": 2, "line_no": 2, "item_id": None, "account_id": 9, "amount": Decimal("4.10"),
         "description": None},
    ]  # fmt: skip
    body = lines_to_qbo(bills, "Bill 'X'", lines, Refs({"items": {5: "3"}, "accounts": {9: "22"}}))
    assert body == [
        {"Amount": 7, "Description": "filters", "DetailType": "ItemBasedExpenseLineDetail",
         "ItemBasedExpenseLineDetail": {"Qty": 2, "UnitPrice": 3.5, "ItemRef": {"value": "3"}}},
        {"Amount": 4.1, "DetailType": "AccountBasedExpenseLineDetail",
         "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "22"}}},
    ]  # fmt: skip
    with pytest.raises(UnresolvedReference) as caught:
        lines_to_qbo(bills, "Bill 'X'", lines, Refs({}))
    assert [m.column for m in caught.value.missing] == ["item_id", "account_id"]
    assert line_problems(bills, []) == ["it has no lines; QuickBooks needs at least one"]


def test_us_sales_tax_moves_the_rate_to_the_transaction() -> None:
    body = {"Line": [
        {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"TaxCodeRef": {"value": "3"}}},
        {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"TaxCodeRef": {"value": "NON"}}},
    ]}  # fmt: skip
    us_sales_tax(body)
    assert body["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "3"}}
    assert [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in body["Line"]] == ["TAX", "NON"]
    two = {"Line": [
        {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"TaxCodeRef": {"value": "2"}}},
        {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"TaxCodeRef": {"value": "4"}}},
    ]}  # fmt: skip
    with pytest.raises(TransformProblem, match="different sales tax rates"):
        us_sales_tax(two)


def test_expense_journal_entry_names_the_party_an_ap_or_ar_line_needs() -> None:
    supplies = Posting("18", "Expense", "Supplies & Materials")
    payable = Posting("7", "Accounts Payable", "Accounts Payable (A/P)")
    receivable = Posting("3", "Accounts Receivable", "Accounts Receivable (A/R)")
    lines = expense_journal_entry(Decimal("12.30"), supplies, payable, Parties("28", None), "Gloves")
    assert [ln["JournalEntryLineDetail"]["PostingType"] for ln in lines] == ["Debit", "Credit"]
    assert lines[1]["JournalEntryLineDetail"]["Entity"] == {"Type": "Vendor", "EntityRef": {"value": "28"}}
    assert balance_problems(lines) == []
    billed = expense_journal_entry(Decimal("5"), receivable, payable, Parties("28", "13"), "Rebill")
    assert billed[0]["JournalEntryLineDetail"]["Entity"] == {"Type": "Customer", "EntityRef": {"value": "13"}}
    with pytest.raises(
        TransformProblem, match="Accounts Payable, which QuickBooks only accepts with a vendor"
    ):
        expense_journal_entry(Decimal("1"), supplies, payable, Parties(None, None), "x")
    with pytest.raises(TransformProblem, match="must be more than zero"):
        expense_journal_entry(Decimal("0"), supplies, payable, Parties("28", None), "x")
    lines[1]["Amount"] = 12.31
    assert balance_problems(lines) == ["debits 12.30 do not equal credits 12.31"]
    assert balance_problems(lines[:1]) == ["a journal entry needs at least two lines (it has 1)"]
