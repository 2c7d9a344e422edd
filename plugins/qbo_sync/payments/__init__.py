"""Payments recorded in QuickBooks, pulled into the CMMS every 30 minutes (design decisions 8, 9).

A run is **write, audit, publish**:

1. :mod:`~qbo_sync.payments.window` decides which changes the run reads: a scheduled run its data
   interval (from the stored watermark when earlier runs were missed), a backfill exactly its
   data interval, a manual run ("click Sync") from the watermark to now.
2. :mod:`~qbo_sync.payments.extract` reads the changed payments (voided and deleted ones too) and
   the invoices whose balances moved: by CDC while the window is younger than 29 days and the
   answer not saturated, else by ``LastUpdatedTime`` queries.
3. :mod:`~qbo_sync.payments.store` stages the raw objects (``sync_staging``) under one
   ``payment_batches`` row.
4. :mod:`~qbo_sync.payments.audit` validates the staged batch with Great Expectations; the
   expectations are listed in :mod:`~qbo_sync.payments.suites`.
5. :mod:`~qbo_sync.payments.publish` applies the batch in one transaction (payments, applications,
   invoice paid amount / balance / status re-derived from applications), validates the published
   invoices against QuickBooks' balances, and commits, or rolls back and quarantines the batch
   with the report of :mod:`~qbo_sync.payments.report`.

:mod:`~qbo_sync.payments.tasks` is what the ``qbo_payments`` DAG calls.
"""
