"""What the HTTP modules need from the server, as a protocol, so they never import it.

:class:`~qbo_sandbox.http.server.SandboxServer` satisfies :class:`ServerContext` structurally; the
handler, the data API, batch, OAuth routes and controls are typed against this protocol (imports
run one way: ``server`` → those modules → ``context``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from qbo_sandbox.clock import Clock
    from qbo_sandbox.config import SandboxConfig
    from qbo_sandbox.http.common import Request, Response
    from qbo_sandbox.http.replay import ReplayCache
    from qbo_sandbox.http.scripts import FaultRule, FaultScript
    from qbo_sandbox.model.company import Company
    from qbo_sandbox.oauth import OAuthServer


class ServerContext(Protocol):
    """The server as its HTTP modules see it."""

    config: SandboxConfig
    clock: Clock
    faults: FaultScript
    replay: ReplayCache
    oauth: OAuthServer

    @property
    def url(self) -> str: ...

    @property
    def realm_id(self) -> str: ...

    @property
    def company(self) -> Company: ...

    def dispatch(self, req: Request) -> Response: ...

    def hold_connection(self) -> None: ...

    def entity_name(self, segment: str) -> str | None: ...

    def count(self, kind: str, n: int = 1) -> None: ...

    def counters(self) -> dict[str, int]: ...

    def reset_counters(self) -> None: ...

    def reset(self, tokens: bool = False) -> None: ...

    def set_latency(self, ms: int) -> None: ...

    def set_replay_faults(self, enabled: bool) -> None: ...

    def set_throttle(self, enabled: bool, *, xml: bool | None = None) -> None: ...

    def add_fault(
        self, method: str, path_regex: str, kind: str | int, times: int = 1, xml: bool = False
    ) -> FaultRule: ...

    def release_holds(self) -> int: ...

    def advance_clock(self, seconds: float) -> None: ...

    def issue_tokens(self, scope: str = ...) -> dict[str, Any]: ...
