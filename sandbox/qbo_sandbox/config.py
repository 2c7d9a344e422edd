"""Configuration of the sandbox server (the QBO stand-in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qbo_sandbox.seed import SeedSpec

# The sandbox's one registered app. Documented, non-secret demo credentials: they only ever unlock
# this local stand-in, never a real QuickBooks company.
DEMO_CLIENT_ID = "sandbox-demo-client"
DEMO_CLIENT_SECRET = "sandbox-demo-secret"
DEFAULT_REALM_ID = "9341453050071234"
DEFAULT_REDIRECT_URIS: tuple[str, ...] = (
    "http://localhost:8080/qbo/oauth/callback",
    "http://127.0.0.1:8080/qbo/oauth/callback",
)


def _demo_seed() -> SeedSpec:
    from qbo_sandbox.seed import SeedSpec

    return SeedSpec.demo()


@dataclass
class SandboxConfig:
    """Everything a :class:`~qbo_sandbox.server.SandboxServer` needs.

    ``port=0`` picks a free ephemeral port (read it back from ``server.url``). Throttling at QBO's
    limits is off by default. ``timeout_sleep_s`` is how long a scripted ``timeout_after_commit``
    fault holds the connection before closing it unanswered (cut short when the server stops).
    """

    host: str = "127.0.0.1"
    port: int = 8765
    realm_id: str = DEFAULT_REALM_ID
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = field(default=DEMO_CLIENT_SECRET, repr=False)
    redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS
    throttle: bool = False
    latency_ms: int = 0
    seed: SeedSpec = field(default_factory=_demo_seed)
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 8726400
    code_ttl: int = 600
    timeout_sleep_s: float = 30.0
    qbo_version: str = "1944.190"
