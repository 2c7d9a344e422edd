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

import importlib
from typing import TYPE_CHECKING, Any

from qbo_sandbox.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig

if TYPE_CHECKING:
    from qbo_sandbox.clock import PACIFIC, Clock
    from qbo_sandbox.faults import QBOFault
    from qbo_sandbox.http.server import SandboxServer
    from qbo_sandbox.model.company import Company
    from qbo_sandbox.model.seed import SeedSpec, seed_company

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "PACIFIC",
    "Clock",
    "Company",
    "QBOFault",
    "SandboxConfig",
    "SandboxServer",
    "SeedSpec",
    "seed_company",
]

# The one place other code imports the sandbox from, wherever the modules live. Loaded lazily: the
# server pulls in the whole model layer.
_LAZY = {
    "SandboxServer": "qbo_sandbox.http.server",
    "Company": "qbo_sandbox.model.company",
    "SeedSpec": "qbo_sandbox.model.seed",
    "seed_company": "qbo_sandbox.model.seed",
    "Clock": "qbo_sandbox.clock",
    "PACIFIC": "qbo_sandbox.clock",
    "QBOFault": "qbo_sandbox.faults",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qbo_sandbox' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
