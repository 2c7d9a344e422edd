"""The QuickBooks page inside the Airflow UI: data readers (``entities``, ``payments``,
``conflicts``, ``settings_store``), the FastAPI routes (:mod:`qbo_sync.web`) and the page's
templates and static files (``templates/``, ``static/``)."""
