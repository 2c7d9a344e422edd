"""Looking new CMMS records up in QuickBooks by natural key before they are created (decision 6).

A record whose create answer was lost (timeout after commit, a worker killed after QuickBooks saved)
already exists in QuickBooks; so does one somebody typed there by hand. Before creating, the push
asks QuickBooks for the names it is about to send and links what exists instead of duplicating it.

The lookup is batched: one query with an ``IN`` list per chunk of up to :data:`LOOKUP_CHUNK` names
(and at most :data:`LOOKUP_MAX_CHARS` characters of list), so 3,000 new customers cost three
requests, not one per create batch or per record (requests are what QuickBooks meters). Intuit's
query reference sets no limit on the length of an ``IN`` list
(https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries);
the character cap keeps each statement a modest POST body all the same.

A chunk QuickBooks refuses (e.g. a 4000 parse error on an odd name) is split in halves until the
odd names are isolated: each of them fails its own record readably, the others are looked up as
usual. A part of two or more names that QuickBooks refuses name by name means the query itself is
the problem (not one name): its error stops the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.errors import FatalError
from qbo_sync.qbo.paging import quote
from qbo_sync.sync.record.recorder import RecordFailure

LOOKUP_CHUNK = 1000  # names per query: the answer then fits one page of 1000
LOOKUP_MAX_CHARS = 50_000  # characters of quoted names per query (about 50 KB of statement)


@dataclass
class Found:
    """What a lookup found: the QuickBooks objects carrying one of the names, and the names
    QuickBooks could not search for (with its answer)."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    refused: dict[str, FatalError] = field(default_factory=dict)


def chunks(
    names: Iterable[str], size: int | None = None, max_chars: int | None = None
) -> Iterator[list[str]]:
    """``names`` in lists of at most ``size`` names and ``max_chars`` quoted characters (default:
    :data:`LOOKUP_CHUNK` and :data:`LOOKUP_MAX_CHARS`, read when called)."""
    size = size or LOOKUP_CHUNK
    max_chars = max_chars or LOOKUP_MAX_CHARS
    chunk: list[str] = []
    chars = 0
    for name in names:
        width = len(quote(name)) + 2
        if chunk and (len(chunk) >= size or chars + width > max_chars):
            yield chunk
            chunk, chars = [], 0
        chunk.append(name)
        chars += width
    if chunk:
        yield chunk


def find_by_names(client: QBOClient, entity: str, qbo_field: str, names: Iterable[str]) -> Found:
    """Every ``entity`` (inactive ones too) whose ``qbo_field`` is one of ``names``."""
    found = Found()
    for chunk in chunks(sorted(set(names))):
        _search(client, entity, qbo_field, chunk, found)
    return found


def _search(client: QBOClient, entity: str, qbo_field: str, names: list[str], found: Found) -> None:
    try:
        found.objects.extend(_query(client, entity, qbo_field, names))
        return
    except FatalError as exc:
        if len(names) == 1:
            found.refused[names[0]] = exc
            return
        error = exc
    half = len(names) // 2
    before = len(found.refused)
    for part in (names[:half], names[half:]):
        _search(client, entity, qbo_field, part, found)
    if len(found.refused) - before == len(names):  # refused name by name: the query is the problem
        raise error


def where_in(qbo_field: str, names: Iterable[str]) -> str:
    """``field IN ('a', 'b', ...)`` with the names quoted for QuickBooks' query language."""
    return f"{qbo_field} IN ({', '.join(quote(n) for n in names)})"


def _query(client: QBOClient, entity: str, qbo_field: str, names: list[str]) -> list[dict[str, Any]]:
    where = where_in(qbo_field, names)
    return [obj for page in client.iter_pages(entity, where, include_inactive=True) for obj in page]


def lookup_failure(who: str, row: dict[str, Any], error: FatalError) -> RecordFailure:
    """A record that could not be looked up by name is not created (it might be a duplicate)."""
    said = (error.message or str(error)).rstrip(". ")
    return RecordFailure(
        message=(
            f"{who}: QuickBooks could not search for this name ({said}), so it was not "
            "created (it might already exist there). Check the name for unusual characters, "
            f"correct it in the CMMS and run the sync again."
        ),
        code=f"qbo_{error.code}" if error.code else "lookup_failed",
        cmms_id=row.get("id"),
        qb_id=row.get("qb_id"),
        detail=str(error),
        intuit_tid=error.intuit_tid,
    )
