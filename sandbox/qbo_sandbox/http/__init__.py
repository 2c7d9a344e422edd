"""The HTTP layer: :mod:`.server` (the pipeline), :mod:`.handler` (sockets), :mod:`.api` (the data
API), :mod:`.batch`, :mod:`.oauth_routes`, :mod:`.controls` (``/_sandbox/``), :mod:`.replay`
(requestid), :mod:`.throttle`. Modules below the server see it only through
:class:`~qbo_sandbox.http.context.ServerContext`.
"""
