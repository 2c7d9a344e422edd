"""The change log behind CDC: when each object last changed, which were deleted, and the answer.

CDC cap (UNCONFIRMED in QBO whether per entity or per response): at most 1000 objects per response
in total, filled in the order the entities were requested, oldest change first within an entity
(live objects before deletions). A client that shrinks its window on a saturated response works
under either reading.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from qbo_sandbox import faults
from qbo_sandbox import query as qmod
from qbo_sandbox.clock import PACIFIC, format_meta
from qbo_sandbox.model.entities import SPECS, canonical
from qbo_sandbox.model.store import Store

CDC_MAX_AGE = timedelta(days=30)
CDC_MAX_OBJECTS = 1000


class ChangeLog:
    """Answers CDC from the store's change times and deletions, under the company lock."""

    def __init__(self, store: Store, lock: threading.RLock, now: Callable[[], datetime]) -> None:
        self._lock = lock
        self._objs, self._mtime, self._deleted = store.objs, store.mtime, store.deleted
        self.now = now

    def cdc(self, entities: list[str], changed_since: datetime) -> list[dict[str, Any]]:
        """``CDCResponse`` content for objects changed at or after ``changed_since``."""
        names = [self._cdc_entity(e) for e in entities]
        if not names:
            raise faults.required_param("entities")
        since = changed_since if changed_since.tzinfo else changed_since.replace(tzinfo=PACIFIC)
        with self._lock:
            if since < self.now() - CDC_MAX_AGE:
                raise faults.cdc_too_old(format_meta(since))
            budget, out = CDC_MAX_OBJECTS, []
            for name in dict.fromkeys(names):
                items = self._changes(name, since)[:budget]
                budget -= len(items)
                if items:
                    out.append({name: items, "startPosition": 1, "maxResults": len(items)})
            return [{"QueryResponse": out or [{}]}]

    def _cdc_entity(self, entity: str) -> str:
        name = canonical(entity)
        if name is None:
            raise faults.unknown_entity(entity)
        if not SPECS[name].cdc:
            raise faults.QBOFault(
                400, "4001", "Invalid query", f"QueryValidationError: CDC is not supported for entity {name}"
            )
        return name

    def _changes(self, name: str, since: datetime) -> list[dict[str, Any]]:
        """One entity's changes since ``since``: live objects, then deletions, oldest first."""
        mtimes = self._mtime[name]
        live = sorted((t, qmod.id_sort_key(i), i) for i, t in mtimes.items() if t >= since)
        items = [copy.deepcopy(self._objs[name][i]) for _, _, i in live]
        gone = sorted((t, qmod.id_sort_key(i), i) for i, t in self._deleted[name].items() if t >= since)
        for when, _, obj_id in gone:
            items.append(
                {
                    "status": "Deleted",
                    "domain": "QBO",
                    "Id": obj_id,
                    "MetaData": {"LastUpdatedTime": format_meta(when)},
                }
            )
        return items
