"""One transaction push run: what every step shares (the mapping, both ends, counts, the run's
record), and the per-record helpers (failures in words, push state, recording what QuickBooks
agreed to)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.mapping import Mapping
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.errors import AmbiguousOutcome, QBOError
from qbo_sync.sync.push.txn import build as builder
from qbo_sync.sync.push.txn import write
from qbo_sync.sync.record import messages
from qbo_sync.sync.record.counts import SyncCounts
from qbo_sync.sync.record.recorder import RecordFailure, RunRecorder


@dataclass
class TxnRun:
    """One push run of one transaction mapping."""

    mapping: Mapping
    client: QBOClient
    engine: sa.Engine
    realm_id: str
    run_key: str
    dry_run: bool
    now: datetime
    recorder: RunRecorder
    counts: SyncCounts = field(default_factory=SyncCounts)

    @property
    def entity(self) -> str:
        return self.mapping.qbo_entity

    @property
    def table(self) -> sa.Table:
        return schema.metadata.tables[self.mapping.cmms_table]

    def fail(self, failure: RecordFailure) -> None:
        self.counts.failed += 1
        self.recorder.fail_record(failure)

    def invalid(self, row: dict[str, Any], problems: list[str]) -> RecordFailure:
        return RecordFailure(
            message=f"{self.mapping.describe(row)}: {'; '.join(problems)}. Nothing was sent to QuickBooks. "
            f"{messages.FIX_AND_RERUN}",
            code="invalid",
            cmms_id=int(row["id"]),
            qb_id=row.get("qb_id"),
        )

    def rejected(self, row: dict[str, Any], error: QBOError, action: str) -> RecordFailure:
        if isinstance(error, AmbiguousOutcome):
            return RecordFailure(
                message=f"{self.mapping.describe(row)}: QuickBooks did not confirm the {action}. The next "
                "sync looks it up by its number before sending it again, so no duplicate is created.",
                code="ambiguous",
                cmms_id=int(row["id"]),
                qb_id=row.get("qb_id"),
                detail=str(error),
                intuit_tid=error.intuit_tid,
            )
        return messages.rejected(self.mapping, row, error, action)

    def state(self, o: builder.Outgoing, **changes: Any) -> dict[str, Any]:
        old = o.record.state or {}
        state = {
            "cmms_id": o.cmms_id,
            "doc_number": o.doc_number,
            "agreed_revision": old.get("agreed_revision"),
            "sent_revision": o.revision,
            "request_id": o.request_id(self.realm_id, self.entity, "create"),
            "sending_since": old.get("sending_since"),
            "voided": bool(old.get("voided")),
        }
        state.update(changes)
        return state

    def agree(
        self, agreed: write.Agreed, row: dict[str, Any], obj: dict[str, Any], state: dict[str, Any], **kw: Any
    ) -> None:
        before = len(agreed.failures)
        write.agree(agreed, self.mapping, row, obj, state, self.now, **kw)
        for failure in agreed.failures[before:]:
            self.fail(failure)

    def commit(self, agreed: write.Agreed) -> None:
        with self.engine.begin() as conn:
            write.write(conn, self.mapping, agreed)
            self.recorder.flush(conn, self.table, self.now)

    def who(self, o: builder.Outgoing) -> str:
        return self.mapping.describe(o.record.row)


def lines_text(o: builder.Outgoing) -> str:
    body = o.body
    return f"DocNumber {o.doc_number}, {len(body.get('Line') or [])} line(s)"


OUTCOMES = (
    ("created", "created in QuickBooks"),
    ("updated", "updated in QuickBooks"),
    ("linked", "already in QuickBooks, linked"),
    ("waiting", "waiting for a reference"),
    ("failed", "failed"),
    ("skipped", "voided before sending, not sent"),
    ("unchanged", "unchanged"),
)


def describe(counts: SyncCounts) -> str:
    """Counts in words, direction and outcome: "3 created in QuickBooks, 1 waiting for a reference"."""
    parts = [f"{getattr(counts, attr)} {words}" for attr, words in OUTCOMES if getattr(counts, attr)]
    return ", ".join(parts) or "nothing to send"


def outcome_counts(counts: SyncCounts) -> dict[str, int]:
    """What the task returns through XCom, keyed by direction and outcome."""
    return {words: getattr(counts, attr) for attr, words in OUTCOMES}
