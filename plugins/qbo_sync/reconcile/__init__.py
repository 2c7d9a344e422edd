"""Reconciliation: prove that the CMMS and QuickBooks agree, to the cent, and say where they don't.

Flow (one run of ``qbo_reconcile``): **read** QuickBooks (linked transactions in pages of 1000,
plus the CustomerBalance, VendorBalance, AgedReceivables and TrialBalance reports) and the CMMS
tables → **compare** (:mod:`.compare`, pure: one :class:`~.compare.Drift` per difference, with
both values, the amount at stake and its likely cause) → **check** with Great Expectations
(:mod:`.checks`) → **record** into ``sync_drift`` (:mod:`.store`: a difference keeps its row and
first-seen time across runs; one no longer found is resolved).
"""
