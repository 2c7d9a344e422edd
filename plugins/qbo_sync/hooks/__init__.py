"""Airflow hooks of the qbo_sync provider."""
