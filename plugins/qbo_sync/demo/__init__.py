"""The demo of the embedded default (``make run`` / ``make demo``): CMMS data a maintenance team
typed in (:mod:`.seed`, :mod:`.data`) and the partial payment a bookkeeper records in QuickBooks
(:mod:`.payment`)."""

from qbo_sync.demo.seed import SeedResult, missing_reference_data, seed_demo

__all__ = ["SeedResult", "missing_reference_data", "seed_demo"]
