"""Two runs of one entity never overlap: the second fails readably, having written nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from qbo_sync.sync import SyncAlreadyRunning
from qbo_sync.sync.run_lock import run_lock_key
from tests.sync.sync_helpers import execute, scalar


def test_a_run_fails_while_another_holds_the_lock_and_runs_after_release(
    sb: Any, engine: sa.Engine, run_sync
) -> None:
    started = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    execute(
        engine,
        "INSERT INTO sync_runs (run_key, entity, direction, started_at, status) "
        "VALUES ('other/run/customers', 'customers', 'both', :at, 'running')",
        at=started,
    )
    other = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    key = run_lock_key(sb.realm_id, "customers")
    try:
        assert other.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        holder = other.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        sb.reset_counters()

        with pytest.raises(SyncAlreadyRunning) as caught:
            run_sync("customers")

        text = str(caught.value)
        assert f"another sync of customers for realm {sb.realm_id} is running" in text
        assert "started 2026-06-01T09:30:00+00:00" in text and f"pid {holder}" in text
        assert text.endswith("wait for it or stop it")
        assert sb.counters()["total"] == 0
        assert scalar(engine, "SELECT count(*) FROM sync_runs") == 1
        assert scalar(engine, "SELECT count(*) FROM customers") == 0
        assert scalar(engine, "SELECT count(*) FROM sync_watermarks") == 0
        # another entity of the realm is not held up
        assert run_sync("accounts")["accounts"].created > 0
    finally:
        other.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        other.close()

    counts = run_sync("customers")

    assert counts["customers"].created == 25 and counts["customers"].failed == 0
    assert scalar(engine, "SELECT count(*) FROM customers") == 25
    # the run let go of its lock: another session can take it now
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})


def test_the_lock_is_released_when_a_run_fails(sb: Any, engine: sa.Engine, run_sync) -> None:
    sb.add_fault("*", "query", 500, times=50)

    with pytest.raises(Exception) as caught:
        run_sync("customers")
    assert not isinstance(caught.value, SyncAlreadyRunning)
    assert scalar(engine, "SELECT status FROM sync_runs WHERE entity = 'customers'") == "failed"

    sb.reset()
    assert run_sync("customers")["customers"].created == 25
