"""The company's storage: objects per entity by Id, their Id order, change times and deletions.

Shared (by composition) by :class:`~qbo_sandbox.model.company.Company` and the parts it is made of:
the ledger (:mod:`.ledger`), the change log (:mod:`.cdc`). Callers hold the company lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from qbo_sandbox.clock import format_meta
from qbo_sandbox.query.views import QueryViews


class Store:
    """Stored objects (replaced, never mutated, on every change) and their bookkeeping."""

    def __init__(self, entities: Iterable[str]) -> None:
        names = list(entities)
        self.objs: dict[str, dict[str, dict[str, Any]]] = {e: {} for e in names}
        self.ids: dict[str, list[str]] = {e: [] for e in names}
        self.mtime: dict[str, dict[str, datetime]] = {e: {} for e in names}
        self.deleted: dict[str, dict[str, datetime]] = {e: {} for e in names}
        self.views = QueryViews()

    def touch(self, entity: str, obj_id: str, now: datetime, *, bump_token: bool, **changes: Any) -> None:
        """Replace a stored object with ``changes`` applied and a new LastUpdatedTime."""
        old = self.objs[entity][obj_id]
        new = {**old, **changes}
        new["MetaData"] = {**old["MetaData"], "LastUpdatedTime": format_meta(now)}
        if bump_token:
            new["SyncToken"] = str(int(old["SyncToken"]) + 1)
        self.objs[entity][obj_id] = new
        self.mtime[entity][obj_id] = now
        self.views.changed(entity)
