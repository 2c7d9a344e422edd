"""Alembic environment and revisions of the CMMS database (run through :mod:`qbo_sync.db.migrate`)."""
