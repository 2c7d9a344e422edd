"""The model layer: one realm's books in memory (no HTTP).

:mod:`.company` (the store and its write/read/query API), :mod:`.entities` (QBO's rules per
entity), :mod:`.ledger` (balances), :mod:`.cdc` (change log), :mod:`.name_index` (unique names),
:mod:`.info` (CompanyInfo), :mod:`.seed` (the demo company). Imports run one way: ``http`` →
``model`` → ``query`` → ``clock``/``faults``; entity rules see the company only through the
:class:`~qbo_sandbox.model.entities.books.Books` protocol.
"""
