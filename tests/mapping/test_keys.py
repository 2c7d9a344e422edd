"""Natural keys link a CMMS row to a QuickBooks object the first time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qbo_sync.mapping import Mapping, matches_natural_key, natural_key_filter


def test_customers_match_display_name_case_insensitively(
    mappings: dict[str, Mapping], recorded: Callable[[str, str], list[dict[str, Any]]]
) -> None:
    amy = recorded("all__customers.json", "Customer")[0]
    m = mappings["customers"]
    assert matches_natural_key(m, {"display_name": "  amy's bird   SANCTUARY "}, amy)
    assert not matches_natural_key(m, {"display_name": "Amy's Birds"}, amy)
    assert not matches_natural_key(m, {"display_name": None}, amy)
    assert natural_key_filter(m, {"display_name": "Amy's Bird Sanctuary"}) == (
        "DisplayName = 'Amy\\'s Bird Sanctuary'"
    )
    assert natural_key_filter(m, {"display_name": " "}) is None


def test_items_match_name_and_sku_when_both_have_one(mappings: dict[str, Mapping]) -> None:
    m = mappings["items"]
    obj = {"Name": "Hex Bolt M8", "Sku": "HB-M8", "Type": "Inventory"}
    assert matches_natural_key(m, {"name": "hex bolt m8", "sku": "hb-m8"}, obj)
    assert matches_natural_key(m, {"name": "Hex Bolt M8", "sku": None}, obj)
    assert matches_natural_key(m, {"name": "Hex Bolt M8", "sku": "X"}, {"Name": "Hex Bolt M8"})
    assert not matches_natural_key(m, {"name": "Hex Bolt M8", "sku": "HB-M10"}, obj)
    assert natural_key_filter(m, {"name": "Hex Bolt M8", "sku": "HB-M8"}) == "Name = 'Hex Bolt M8'"


def test_accounts_link_by_id_only(mappings: dict[str, Mapping]) -> None:
    m = mappings["accounts"]
    assert not matches_natural_key(m, {"name": "Checking"}, {"Name": "Checking"})
    assert natural_key_filter(m, {"name": "Checking"}) is None
