"""Names: one spelling to send (NFC, whitespace), one key to compare (look-alikes), refusals."""

from __future__ import annotations

import pytest

from qbo_sync.mapping import Mapping, row_to_qbo, validate_for_push
from qbo_sync.mapping.keys import normalize_key
from qbo_sync.mapping.names import lookalike_problem, name_key, normalize_name, same_names


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("FQ Twin Name", "fq  twin   NAME"),
        ("Caf\u00e9", "Cafe\u0301"),
        ("Acme", "\uff21\uff43\uff4d\uff45"),
        ("ZeroWidth", "Zero\u200bWidth"),
        ("Non Breaking", "Non\u00a0Breaking"),
    ],
)
def test_look_alikes_share_one_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b) is not None


def test_the_sent_spelling_is_nfc_with_whitespace_collapsed() -> None:
    assert normalize_name("  fq  twin \t NAME ") == "fq twin NAME"
    assert normalize_name("Cafe\u0301") == "Caf\u00e9"
    assert normalize_name("   ") is None and normalize_name(None) is None


def test_customer_names_are_sent_and_compared_normalized(mappings: dict[str, Mapping]) -> None:
    m = mappings["customers"]
    body = row_to_qbo(m, {"id": 1, "display_name": "  Cafe\u0301   Hostile "}, refs=None)  # type: ignore[arg-type]
    assert body["DisplayName"] == "Caf\u00e9 Hostile"
    part = m.natural_key[0]
    assert normalize_key(part, "\uff21\uff43\uff4d\uff45") == normalize_key(part, "acme") == "acme"


def test_look_alike_names_are_refused_with_the_character_named(mappings: dict[str, Mapping]) -> None:
    assert lookalike_problem("display name", "Plain Name") is None
    problems = validate_for_push(mappings["customers"], {"id": 3, "display_name": "Zero\u200bWidth"}, {})
    assert problems == [
        "Customer 'Zero\u200bWidth': display name 'ZeroWidth' contains an invisible character (U+200B "
        "zero width space); QuickBooks would keep it and hold a name that looks like another. Retype the "
        "name."
    ]


def test_same_names_points_each_later_row_at_the_first() -> None:
    rows = [
        {"id": 1, "n": "FQ Twin Name"},
        {"id": 2, "n": "other"},
        {"id": 3, "n": "fq twin  name"},
        {"id": 4, "n": None},
    ]
    assert same_names(rows, "n") == {3: rows[0]}
