"""qbo_sync: keeps a CMMS database and QuickBooks Online in step, as Airflow pipelines."""
