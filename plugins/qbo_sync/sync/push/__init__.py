"""Push stage: CMMS → QuickBooks.

``pusher`` (creates and edits of two-way masters, in batches) with ``lookup`` (batched natural-key
lookups before creates), ``outbox`` (the send journal for exactly-once), ``agreed`` (what both sides
agree on after a write) and ``explain`` (facts that make a refusal readable); ``txn/`` pushes the
transactions (invoices, bills, expenses as journal entries) with the same parts.
"""
