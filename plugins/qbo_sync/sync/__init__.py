"""The generic sync engine: one :class:`EntitySync` runs every mapping in ``include/mappings``.

Flow per entity: **extract** (QuickBooks pages, CDC or CMMS rows) → **map** (the mapping file) →
**validate** → **load** (bulk writes into the CMMS, batch writes into QuickBooks) → **record**
(per-record status, ``sync_runs`` counts, watermark after commit). See ``runner.py``.

The stages are subpackages: ``pull/`` (QuickBooks → CMMS), ``push/`` (CMMS → QuickBooks, with
``push/txn/`` for invoices, bills and expenses) and ``record/`` (what a run did); the run-level
parts (runner, context, Airflow task layer, run lock, reference maps, CMMS store) stay here.
"""

from __future__ import annotations

from qbo_sync.sync.record.counts import SyncCounts
from qbo_sync.sync.run_lock import SyncAlreadyRunning
from qbo_sync.sync.runner import EntitySync

__all__ = ["EntitySync", "SyncAlreadyRunning", "SyncCounts"]
