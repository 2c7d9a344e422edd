"""Recording what a run did: the ``sync_runs`` row, per-record errors and per-record log lines.

Per-record problems go to ``sync_record_errors`` (which record, what QuickBooks said, what to do)
and onto the record itself (``qb_status='error'``, ``qb_error``), so the CMMS screens show them.
In a dry run the CMMS rows are left alone; the run and its errors are still recorded (they are the
integration's own tables) so the dry-run report can be read afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.mapping import Mapping, get_path
from qbo_sync.sync import store
from qbo_sync.sync.pull.extract import last_updated
from qbo_sync.sync.record.counts import SyncCounts, by_direction, describe_directions

log = logging.getLogger("qbo_sync.sync")

LOG_FIRST = 25  # per-record success lines logged per action; the rest are summarised


@dataclass(frozen=True)
class RecordFailure:
    """One record that could not be synced, in words a bookkeeper understands."""

    message: str
    code: str
    cmms_id: int | None = None
    qb_id: str | None = None
    detail: str | None = None
    intuit_tid: str | None = None


# A run where some records failed but the rest synced (no transport failure).
PARTIAL = "partial"


class RunRecorder:
    """The ``sync_runs`` row of one entity run, its record errors, and the per-record log."""

    def __init__(self, engine: sa.Engine, entity: str, direction: str, run_key: str, dry_run: bool) -> None:
        self.engine = engine
        self.entity = entity
        self.direction = direction
        self.run_key = run_key
        self.dry_run = dry_run
        self.run_id: int | None = None
        self._pending: list[RecordFailure] = []
        self._logged: dict[str, int] = {}

    def start(self, started_at: datetime) -> int:
        """Insert the ``running`` row. A real run (it holds the entity's run lock) first marks the
        runs of the entity still ``running`` as ``abandoned``: their worker is gone with its lock."""
        if not self.dry_run:
            abandoned = mark_abandoned(self.engine, self.entity, self.run_key, started_at)
            for line in abandoned:
                log.warning("%s", line)
        t = schema.sync_runs
        values = {
            "run_key": self.run_key,
            "entity": self.entity,
            "direction": self.direction,
            "started_at": started_at,
            "status": "running",
            "dry_run": self.dry_run,
        }
        with self.engine.begin() as conn:
            self.run_id = int(conn.execute(sa.insert(t).values(values).returning(t.c.id)).scalar_one())
        return self.run_id

    def fail_record(self, failure: RecordFailure) -> None:
        """Queue one record failure (written by :meth:`flush`) and log it."""
        self._pending.append(failure)
        log.warning("%s%s", "[dry run] " if self.dry_run else "", failure.message)

    def flush(self, conn: sa.Connection, table: sa.Table, now: datetime) -> None:
        """Write queued failures: ``sync_record_errors`` rows, and the records' status."""
        if not self._pending:
            return
        failures, self._pending = self._pending, []
        conn.execute(
            sa.insert(schema.sync_record_errors),
            [
                {
                    "run_id": self.run_id,
                    "entity": self.entity,
                    "cmms_id": f.cmms_id,
                    "qb_id": f.qb_id,
                    "code": f.code,
                    "message": f.message,
                    "detail": f.detail,
                    "intuit_tid": f.intuit_tid,
                    "created_at": now,
                }
                for f in failures
            ],
        )
        marked = [f for f in failures if f.cmms_id is not None]
        if marked and not self.dry_run:
            stmt = (
                sa.update(table)
                .where(table.c.id == sa.bindparam("b_id"))
                .values(qb_status="error", qb_error=sa.bindparam("b_error"))
            )
            conn.execute(stmt, [{"b_id": f.cmms_id, "b_error": f.message} for f in marked])

    def checkpoint(self) -> tuple[list[RecordFailure], dict[str, int]]:
        """What :meth:`rewind` returns to (queued failures, per-action log counts)."""
        return list(self._pending), dict(self._logged)

    def rewind(self, mark: tuple[list[RecordFailure], dict[str, int]]) -> None:
        """Forget failures queued since ``mark`` (their transaction was rolled back)."""
        self._pending, self._logged = list(mark[0]), dict(mark[1])

    def warn(self, text: str) -> None:
        """Log a per-record problem that is not a failure (e.g. a conflict waiting for a person)."""
        log.warning("%s%s", "[dry run] " if self.dry_run else "", text)

    def said(self, action: str, text: str) -> None:
        """Log what happened to one record (the first few per action; the rest are counted)."""
        seen = self._logged.get(action, 0) + 1
        self._logged[action] = seen
        if seen <= LOG_FIRST:
            log.info("%s%s", "[dry run] would have: " if self.dry_run else "", text)

    def log_overflow(self) -> None:
        for action, seen in sorted(self._logged.items()):
            if seen > LOG_FIRST:
                log.info("%s: ... and %d more record(s) %s", self.entity, seen - LOG_FIRST, action)

    def finish(self, status: str, counts: SyncCounts, finished_at: datetime, message: str | None) -> None:
        t = schema.sync_runs
        values: dict[str, Any] = {"status": status, "finished_at": finished_at, "message": message}
        values.update(counts.as_dict())
        values["outcomes"] = by_direction(counts, self._logged)
        log.info("%s: %s", self.entity, describe_directions(values["outcomes"]))
        with self.engine.begin() as conn:
            conn.execute(sa.update(t).where(t.c.id == self.run_id).values(values))


def db_reason(exc: BaseException) -> str:
    """The database's own first line (never SQLAlchemy's text, which carries the parameters)."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else exc.__class__.__name__


def db_rejected(
    mapping: Mapping, table: sa.Table, remote: dict[str, Any], cmms_id: int | None, exc: BaseException
) -> RecordFailure:
    """A pulled record the CMMS database refused (a value too large or too long for its column,
    a CHECK constraint), naming the field when it can be told."""
    reason = db_reason(exc)
    what = "one of its values"
    misfit = store.misfit(table, remote)
    if misfit is not None:
        field = next((f for f in mapping.fields if f.column == misfit[0]), None)
        label = field.label if field and field.label else misfit[0].replace("_", " ")
        what = f"its {label} ({misfit[1]}{f', QuickBooks {field.qbo}' if field else ''})"
    qb_id = remote.get("qb_id")
    return RecordFailure(
        message=(
            f"{mapping.describe(remote)} (QuickBooks Id {qb_id}): the CMMS database refused {what} "
            f"({reason}). It was not loaded into the CMMS; the other records were. Correct the value "
            "in QuickBooks (or ask for the CMMS column to be widened) and run the sync again."
        ),
        code="db_rejected",
        cmms_id=cmms_id,
        qb_id=qb_id,
        detail=reason,
    )


def unreadable(mapping: Mapping, obj: dict[str, Any], cmms_id: int | None, exc: Exception) -> RecordFailure:
    """A pulled object with a value the mapping could not convert and did not wrap in a
    FieldValueError itself (e.g. a malformed ``MetaData.LastUpdatedTime``)."""
    what = "a value"
    raw_time = get_path(obj, "MetaData.LastUpdatedTime")
    if raw_time is not None and last_updated(obj) is None:
        what = f"MetaData.LastUpdatedTime {raw_time!r}"
    title = next((get_path(obj, f.qbo) for f in mapping.fields if f.column == mapping.title_column), None)
    who = mapping.describe({mapping.title_column: title}) if isinstance(title, str) else mapping.label
    reason = str(exc) or exc.__class__.__name__
    return RecordFailure(
        message=(
            f"{who} (QuickBooks Id {obj.get('Id')}): QuickBooks sent {what} that cannot be read "
            f"({reason}). It was not loaded into the CMMS; the other records were. Check the record in "
            "QuickBooks (saving it again there rewrites it) and run the sync again."
        ),
        code="invalid_value",
        cmms_id=cmms_id,
        qb_id=str(obj.get("Id")),
        detail=reason,
    )


def mark_abandoned(engine: sa.Engine, entity: str, found_by: str, now: datetime) -> list[str]:
    """Mark the real runs of ``entity`` left ``running`` as ``abandoned`` and return their messages.

    Called by a run that holds the entity's run lock (:mod:`.run_lock`), so no other real run of the
    entity can be alive: a ``running`` row is one whose worker died (``kill -9``, a lost node) before
    it could record its end. The message says when it started, who found it, and what is known: the
    record errors it wrote and its sends to QuickBooks that were never answered (the finding run
    resolves those by what was sent, :mod:`.outbox`)."""
    t, e, s = schema.sync_runs, schema.sync_record_errors.c, schema.sync_sends.c
    with engine.begin() as conn:
        stale = conn.execute(
            sa.select(t.c.id, t.c.run_key, t.c.started_at)
            .where(t.c.entity == entity, t.c.status == "running", t.c.dry_run.is_(False))
            .order_by(t.c.id)
        ).all()
        messages: list[str] = []
        for run in stale:
            errors = conn.execute(sa.select(sa.func.count()).where(e.run_id == run.id)).scalar_one()
            unanswered = conn.execute(
                sa.select(sa.func.count()).where(
                    s.run_key == run.run_key, s.entity == entity, s.status == "sent"
                )
            ).scalar_one()
            started = run.started_at.isoformat(timespec="seconds") if run.started_at else "?"
            message = (
                f"abandoned: the {entity} run {run.run_key} (started {started}) stopped without "
                f"recording its end (its worker was killed or lost its database session; its run lock "
                f"was gone). Found by run {found_by} at {now.isoformat(timespec='seconds')}. It had "
                f"recorded {errors} record error(s) and left {unanswered} send(s) to QuickBooks "
                "unanswered, which the finding run resolves by what was sent. Its counts were never "
                "recorded; the finding run's counts include what it left."
            )
            conn.execute(
                sa.update(t)
                .where(t.c.id == run.id, t.c.status == "running")
                .values(status="abandoned", finished_at=now, message=message)
            )
            messages.append(message)
    return messages
