"""The named transforms convert both ways, keep amounts as Decimal and compare sensibly."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from qbo_sync.mapping import TRANSFORMS, get_transform
from qbo_sync.mapping.transforms import SKIP, json_number


def test_str_strips_and_turns_empty_into_none() -> None:
    t = get_transform("str")
    assert t.to_cmms("  Amy's Bird Sanctuary ") == "Amy's Bird Sanctuary"
    assert t.to_cmms("   ") is None
    assert t.to_qbo(None) is None
    assert t.clear_value == ""
    with pytest.raises(ValueError, match="expected text"):
        t.to_cmms({"value": "1"})


def test_email_and_phone_compare_loosely() -> None:
    email, phone = get_transform("email"), get_transform("phone")
    assert email.to_cmms(" Birds@Intuit.com ") == "Birds@Intuit.com"
    assert email.comparable("Birds@Intuit.com") == email.comparable("birds@intuit.com ") == "birds@intuit.com"
    assert phone.to_cmms("(650)  555-3311") == "(650) 555-3311"
    assert phone.comparable("(650) 555-3311") == phone.comparable("650.555.3311") == "6505553311"
    assert phone.comparable("+1 650 555 3311") == "+16505553311"


def test_bool() -> None:
    t = get_transform("bool")
    assert t.to_cmms(True) is True
    assert t.to_cmms("false") is False
    assert t.to_cmms(None) is None
    with pytest.raises(ValueError, match="true or false"):
        t.to_cmms("yes")


def test_money_is_decimal_with_two_places_never_float() -> None:
    t = get_transform("money")
    assert t.to_cmms(639.0) == Decimal("639.00")
    assert isinstance(t.to_cmms(0.1), Decimal)
    assert t.to_cmms(0.1) == Decimal("0.10")
    assert t.to_cmms("241.235") == Decimal("241.24")  # half up
    assert t.comparable(Decimal("12.5")) == "12.50"
    assert t.to_qbo(Decimal("12.50")) == 12.5
    assert json.dumps(t.to_qbo(Decimal("1234567.89"))) == "1234567.89"
    assert t.to_qbo(Decimal("100.00")) == 100 and isinstance(t.to_qbo(Decimal("100.00")), int)
    with pytest.raises(ValueError, match="expected a number"):
        t.to_cmms("twelve")
    with pytest.raises(ValueError, match="expected a number"):
        t.to_cmms(True)


def test_qty_price_percent_keep_four_places() -> None:
    assert get_transform("qty").to_cmms(10) == Decimal("10.0000")
    assert get_transform("price").comparable("2.5") == "2.5000"
    assert get_transform("percent").to_cmms(8.25) == Decimal("8.2500")


def test_json_number_refuses_to_lose_digits() -> None:
    assert json_number(Decimal("0.07")) == 0.07
    with pytest.raises(ValueError, match="too many digits"):
        json_number(Decimal("12345678901234567.89"))


def test_date() -> None:
    t = get_transform("date")
    assert t.to_cmms("2024-06-01") == date(2024, 6, 1)
    assert t.to_cmms("2015-10-01-07:00") == date(2015, 10, 1)
    assert t.to_qbo(date(2024, 6, 1)) == "2024-06-01"
    assert t.comparable("2024-06-01") == "2024-06-01"
    with pytest.raises(ValueError, match="yyyy-MM-dd"):
        t.to_cmms("06/01/2024")
    with pytest.raises(ValueError, match="real calendar date"):
        t.to_cmms("2024-02-30")


def test_datetime_utc() -> None:
    t = get_transform("datetime_utc")
    moment = t.to_cmms("2020-09-29T06:02:35-07:00")
    assert moment == datetime(2020, 9, 29, 13, 2, 35, tzinfo=UTC)
    assert moment.tzinfo is UTC
    assert t.comparable("2020-09-29T06:02:35-07:00") == "2020-09-29T13:02:35+00:00"
    with pytest.raises(ValueError, match="offset"):
        t.to_cmms("2020-09-29T06:02:35")


def test_item_type() -> None:
    t = get_transform("item_type")
    assert [t.to_cmms(v) for v in ("Inventory", "NonInventory", "Service")] == [
        "inventory",
        "non_inventory",
        "service",
    ]
    assert t.to_cmms("Category") is SKIP
    assert t.to_qbo("non_inventory") == "NonInventory"
    with pytest.raises(ValueError, match="unknown item type"):
        t.to_qbo("widget")
    with pytest.raises(ValueError, match="unknown QuickBooks item type"):
        t.to_cmms("Bundle")


def test_account_name_drops_the_deleted_suffix() -> None:
    t = get_transform("account_name")
    assert t.to_cmms("Fees Billed (deleted)") == "Fees Billed"
    assert t.to_cmms("Fees Billed") == "Fees Billed"


def test_registry_declares_kinds() -> None:
    assert TRANSFORMS["money"].kinds == frozenset({"money"})
    assert "text" in TRANSFORMS["email"].kinds
