"""Who may use the QuickBooks page: Airflow's own authorization of connections.

``can_read`` (see the page) needs the right to read connections, ``can_edit`` (settings,
conflicts, Test Connection, Connect) the right to edit them: the same rights Admin → Connections
asks for. Tests replace these two dependencies through ``app.dependency_overrides``.
"""

from __future__ import annotations

from airflow.api_fastapi.core_api.security import requires_access_connection

can_read = requires_access_connection("GET")
can_edit = requires_access_connection("PUT")
