"""First-sync linking: matching a pulled QuickBooks object to an unlinked CMMS row by natural key.

The unlinked rows are read once per entity run into an index by normalized natural key (required
parts only). A link takes the row out of the index and marks it in ``ctx.linked_in_memory``; links
made inside a rolled-back transaction or savepoint are undone with :meth:`NaturalKeyLinks.rewind`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import comparable, get_path, matches_natural_key
from qbo_sync.mapping.keys import normalize_key
from qbo_sync.sync import store
from qbo_sync.sync.context import SyncContext

Key = tuple[str | None, ...]


class NaturalKeyLinks:
    """The unlinked CMMS rows of one entity run, by natural key, and the links made so far."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self._index: dict[Key, list[dict[str, Any]]] | None = None
        self._popped: list[tuple[Key, int, dict[str, Any]]] = []  # links made, in order

    def _key_of_obj(self, obj: dict[str, Any]) -> Key:
        parts = [p for p in self.ctx.mapping.natural_key if not p.optional]
        return tuple(normalize_key(p, get_path(obj, p.qbo)) for p in parts)

    def _key_of_row(self, row: dict[str, Any]) -> Key:
        parts = [p for p in self.ctx.mapping.natural_key if not p.optional]
        return tuple(normalize_key(p, row.get(p.cmms)) for p in parts)

    def candidate(self, conn: sa.Connection, obj: dict[str, Any]) -> dict[str, Any] | None:
        """The unlinked row ``obj`` links to (taken out of the index), or None."""
        mapping = self.ctx.mapping
        if not mapping.natural_key:
            return None
        if self._index is None:
            self._index = {}
            for row in store.unlinked_rows(conn, self.ctx.table):
                self._index.setdefault(self._key_of_row(row), []).append(row)
        key = self._key_of_obj(obj)
        if None in key:
            return None
        candidates = self._index.get(key, [])
        for i, row in enumerate(candidates):
            if matches_natural_key(mapping, row, obj):
                self.ctx.linked_in_memory.add(int(row["id"]))
                self._popped.append((key, i, row))
                return candidates.pop(i)
        return None

    def base(self, local: dict[str, Any]) -> dict[str, Any]:
        """The base of a first link: the natural key matched, so QuickBooks' spelling of it wins
        (``'acme '`` in the CMMS becomes ``'Acme'``) instead of looking like a conflict."""
        mapping = self.ctx.mapping
        current = comparable(mapping, local)
        return {p.cmms: current[p.cmms] for p in mapping.natural_key if p.cmms in current}

    def mark(self) -> int:
        """A point to :meth:`rewind` to (the number of links made so far)."""
        return len(self._popped)

    def rewind(self, mark: int) -> None:
        """Undo the links made after ``mark``: the rows go back into the index where they were."""
        while len(self._popped) > mark:
            key, i, row = self._popped.pop()
            self.ctx.linked_in_memory.discard(int(row["id"]))
            if self._index is not None:
                self._index.setdefault(key, []).insert(i, row)
