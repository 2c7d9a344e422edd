"""QBO sandbox: a faithful local stand-in for QuickBooks Online (OAuth + Accounting API v3).

Start one in-process::

    from qbo_sandbox import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(port=0)) as sandbox:
        tokens = sandbox.issue_tokens()
        ...  # talk to sandbox.url + "/v3/company/" + sandbox.realm_id

or out of process with ``python -m qbo_sandbox --port 8765`` (console script ``qbo-sandbox``).
The demo app's credentials are :data:`DEMO_CLIENT_ID` / :data:`DEMO_CLIENT_SECRET`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qbo_sandbox.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig

if TYPE_CHECKING:
    from qbo_sandbox.server import SandboxServer

__all__ = ["DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "SandboxConfig", "SandboxServer"]


def __getattr__(name: str) -> Any:
    # The server pulls in the whole model layer; import it only when asked for.
    if name == "SandboxServer":
        from qbo_sandbox.server import SandboxServer

        return SandboxServer
    raise AttributeError(f"module 'qbo_sandbox' has no attribute {name!r}")
