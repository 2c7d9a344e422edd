"""What every step of one entity run shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.mapping import AccountInfo, Conflict, Mapping, comparable
from qbo_sync.mapping.model import Condition, condition_holds
from qbo_sync.qbo.client import QBOClient
from qbo_sync.sync.record.counts import SyncCounts
from qbo_sync.sync.record.recorder import RunRecorder
from qbo_sync.sync.refs import RefMaps


@dataclass
class SyncContext:
    """One entity run: its mapping, both ends, the run's state and counters."""

    mapping: Mapping
    client: QBOClient
    engine: sa.Engine
    realm_id: str
    recorder: RunRecorder
    refs: RefMaps
    accounts: dict[int, AccountInfo]
    now: datetime
    dry_run: bool = False
    # A full refresh compares values, not only SyncTokens (an agreed snapshot may be wrong).
    full_refresh: bool = False
    counts: SyncCounts = field(default_factory=SyncCounts)
    # Dry run: CMMS ids a pull would have linked (so the push does not count them as creates).
    linked_in_memory: set[int] = field(default_factory=set)
    # The run's change check found no QuickBooks object named like the unlinked rows up to this id
    # that were not edited after this time (qbo_sync.sync.pull.changes): the push needs no lookup for them.
    names_absent: tuple[int, datetime] | None = None

    def known_absent(self, row: dict[str, Any]) -> bool:
        """Whether the change check already looked ``row``'s name up and QuickBooks had none."""
        if self.names_absent is None or row.get("updated_at") is None:
            return False
        upto, as_of = self.names_absent
        return int(row["id"]) <= upto and row["updated_at"] <= as_of

    @property
    def table(self) -> sa.Table:
        return schema.metadata.tables[self.mapping.cmms_table]

    @property
    def two_way(self) -> bool:
        return self.mapping.direction == "both"

    def who(self, row: dict[str, Any]) -> str:
        return self.mapping.describe(row)

    @cached_property
    def _agreed(self) -> tuple[tuple[str, Condition | None], ...]:
        """``(column, push_when)`` of the columns whose CMMS edits are sent to QuickBooks as updates
        (pushable, not create-only), worked out once per run."""
        m = self.mapping
        return tuple(
            (item.column, item.push_when) for item in m.mapped if m.pushes(item) and not item.create_only
        )

    def local_edits(self, row: dict[str, Any], snapshot: dict[str, Any], excluded: set[str]) -> list[str]:
        """Columns edited in the CMMS since the last agreed snapshot (compared, not by timestamps)."""
        current = comparable(self.mapping, row)
        return [
            col
            for col, push_when in self._agreed
            if col not in excluded
            and col in current
            and current[col] != snapshot.get(col)
            and condition_holds(push_when, row)
        ]

    def conflict_text(self, row: dict[str, Any], conflicts: list[Conflict]) -> str:
        parts = []
        by_col = self.mapping.by_column()
        for c in conflicts:
            name = by_col[c.field].human if c.field in by_col else c.field
            parts.append(f"{name} is {_shown(c.local)} in the CMMS but {_shown(c.remote)} in QuickBooks")
        return (
            f"{self.who(row)}: changed on both sides since the last sync: {'; '.join(parts)}. "
            "Choose the value to keep (sync conflicts queue) or make both sides the same; until then "
            "these fields are not synced."
        )


def _shown(value: Any) -> str:
    return "empty" if value in (None, "") else f"'{value}'"
