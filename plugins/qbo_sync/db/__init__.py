"""The CMMS database layer: table definitions (:mod:`.schema`), migrations (:mod:`.migrate`),
engines from the ``cmms_db`` connection (:mod:`.engine`) and set-based writes (:mod:`.upsert`).

Import the submodules you need; this package imports nothing heavy itself.
"""
