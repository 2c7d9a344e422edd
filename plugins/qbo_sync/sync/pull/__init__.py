"""Pull stage: QuickBooks → CMMS.

``changes`` (one change check for the whole run) → ``extract`` (pages, CDC) → ``load`` (a page per
transaction: ``load_plan`` plans and writes it, ``load_redo`` redoes a refused page one record per
savepoint) with ``linking`` (first-sync matching by natural key).
"""
