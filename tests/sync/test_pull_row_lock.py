"""A CMMS edit made while a pulled page is being merged is kept (and pushed), not overwritten.

Deterministic: the CMMS edit is started on its own connection right after the page read its rows,
and the page goes on only once that edit has either committed (no lock: the edit is then lost) or
is seen waiting on a row lock in ``pg_locks`` (the page holds the row until it commits)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.sync import store
from tests.sync.sync_helpers import scalar


def _qbo_edit(sb: Any, qb_id: str, notes: str) -> None:
    current = sb.company.read("Customer", qb_id)
    sb.company.update(
        "Customer", {"Id": qb_id, "SyncToken": current["SyncToken"], "sparse": True, "Notes": notes}
    )


class CMMSEdit:
    """``UPDATE customers SET notes`` on a separate connection, in a thread."""

    def __init__(self, engine: sa.Engine, qb_id: str, notes: str) -> None:
        self.engine, self.qb_id, self.notes = engine, qb_id, notes
        self.pid: int | None = None
        self.started = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with self.engine.begin() as conn:
                self.pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
                self.started.set()
                conn.execute(
                    sa.text("UPDATE customers SET notes = :n WHERE qb_id = :q"),
                    {"n": self.notes, "q": self.qb_id},
                )
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.started.set()

    def start_and_wait_until_done_or_blocked(self) -> str:
        self.thread.start()
        assert self.started.wait(30)
        with self.engine.connect() as watch:
            for _ in range(3000):
                if not self.thread.is_alive():
                    return "committed"
                waiting = watch.execute(
                    sa.text("SELECT count(*) FROM pg_locks WHERE pid = :p AND NOT granted"), {"p": self.pid}
                ).scalar()
                if waiting:
                    return "blocked"
                time.sleep(0.01)
        raise AssertionError("the CMMS edit neither committed nor waited on a lock")


def test_cmms_edit_during_a_page_load_survives_and_is_pushed(
    sb: Any, engine: sa.Engine, run_sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_sync("customers")
    _qbo_edit(sb, "8", "From QuickBooks")
    edit = CMMSEdit(engine, "8", "From the CMMS")
    seen: list[str] = []
    original = store.snapshots

    def snapshots_then_edit(conn: sa.Connection, entity: str, ids: Any = None) -> Any:
        if not seen:  # the first page of the pull has just read its rows
            seen.append(edit.start_and_wait_until_done_or_blocked())
        return original(conn, entity, ids)

    monkeypatch.setattr(store, "snapshots", snapshots_then_edit)
    run_sync("customers")
    edit.thread.join(30)
    monkeypatch.setattr(store, "snapshots", original)

    assert edit.error is None and not edit.thread.is_alive()
    assert seen == ["blocked"]
    assert scalar(engine, "SELECT notes FROM customers WHERE qb_id = '8'") == "From the CMMS"

    counts = run_sync("customers")  # pushes the edit unless the first run's push already did

    assert counts["customers"].failed == 0 and counts["customers"].conflicts == 0
    assert sb.company.read("Customer", "8")["Notes"] == "From the CMMS"
    assert scalar(engine, "SELECT notes FROM customers WHERE qb_id = '8'") == "From the CMMS"
    assert scalar(engine, "SELECT count(*) FROM sync_conflicts") == 0
