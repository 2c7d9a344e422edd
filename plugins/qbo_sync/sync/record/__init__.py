"""Record stage: what a run did.

``recorder`` (the ``sync_runs`` row, per-record errors and log lines), ``counts`` (directional
counts), ``messages`` (per-record words for a bookkeeper), ``overwrites`` (values the two-way merge
replaced, kept for people).
"""
