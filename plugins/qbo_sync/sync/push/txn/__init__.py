"""Transaction pushes (CMMS → QuickBooks): invoices, bills, and expenses as journal entries.

:class:`TransactionPush` runs any mapping with a ``transaction`` block; see :mod:`.push`."""

from __future__ import annotations

from qbo_sync.sync.push.txn.expense import SettingsMissing
from qbo_sync.sync.push.txn.push import TransactionPush
from qbo_sync.sync.push.txn.run import describe, outcome_counts

__all__ = ["SettingsMissing", "TransactionPush", "describe", "outcome_counts"]
