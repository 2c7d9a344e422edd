"""Names as QuickBooks and a person see them: one spelling to send, one key to compare.

- :func:`normalize_name` is what is sent and compared: Unicode NFC (``Café`` typed with a combining
  accent becomes the one-character ``é``) and whitespace collapsed (``fq  twin   NAME`` becomes
  ``fq twin NAME``, which QuickBooks, comparing names case-insensitively, already holds as
  ``FQ Twin Name``).
- :func:`name_key` is how two names are recognised as the same: NFKC (a full-width "Acme" is
  ``Acme``), invisible format characters (zero-width spaces) removed, whitespace collapsed, case
  folded. The natural-key linking (:mod:`.keys`) and the push's check for two new records with the
  same name use it.
- :func:`lookalike_problem` refuses a name that only *looks* like another: QuickBooks would store
  the invisible or full-width characters and hold two names a person cannot tell apart.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any


def normalize_name(value: Any) -> str | None:
    """NFC with whitespace collapsed and trimmed; None when nothing is left."""
    if value is None:
        return None
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return text or None


def _visible(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def name_key(value: Any) -> str | None:
    """The form in which two names are the same name (see the module docstring)."""
    if value is None:
        return None
    text = " ".join(_visible(unicodedata.normalize("NFKC", str(value))).split()).casefold()
    return text or None


def _char(ch: str) -> str:
    name = unicodedata.name(ch, "").lower() or "an unnamed character"
    return f"U+{ord(ch):04X} {name}"


def lookalike_problem(label: str, value: str) -> str | None:
    """Why ``value`` would look like another name in QuickBooks, or None."""
    hidden = [ch for ch in value if unicodedata.category(ch) == "Cf"]
    if hidden:
        return (
            f"{label} '{_visible(value)}' contains an invisible character ({_char(hidden[0])}); "
            "QuickBooks would keep it and hold a name that looks like another. Retype the name"
        )
    wide = [ch for ch in value if unicodedata.east_asian_width(ch) == "F"]
    if wide:
        plain = unicodedata.normalize("NFKC", value)
        return (
            f"{label} '{value}' is typed in full-width characters ({_char(wide[0])}); QuickBooks "
            f"would hold it as a different name from '{plain}'. Type it as '{plain}'"
        )
    return None


def same_names(rows: Iterable[dict[str, Any]], column: str) -> dict[int, dict[str, Any]]:
    """``{id: earlier row}`` for each row whose name is the same name as an earlier row's."""
    first: dict[str, dict[str, Any]] = {}
    later: dict[int, dict[str, Any]] = {}
    for row in rows:
        key = name_key(row.get(column))
        if key is None:
            continue
        if key in first:
            later[int(row["id"])] = first[key]
        else:
            first[key] = row
    return later
