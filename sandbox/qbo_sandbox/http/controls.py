"""Test controls of the sandbox: request counters, scripted faults, and their HTTP face (``/_sandbox/``).

Counter kinds (see :class:`Counters`): ``total`` (every request except ``/_sandbox/`` controls),
``query`` (GET/POST query), ``cdc``, ``batch``, ``write`` (create/update/delete/void requests),
``read`` (GET entity / companyinfo), ``token`` (token endpoint), ``revoke``, ``throttled`` (429s,
real or scripted), ``replayed`` (writes/batches answered from the requestid cache) and
``write:<Entity>`` (write operations executed per entity, batch items included, replays excluded),
``fault:<code>`` (each ``Error[]`` code the data API answered, batch items included).
A request is counted under its kind when it arrives, whatever its outcome.

Fault kinds (:class:`FaultScript`): ``429``, ``500``, ``503`` (QBO-shaped bodies),
``drop_after_commit`` (the request is executed, then the connection is closed at once without an
answer: a connection dropped mid-response), ``timeout_after_commit`` (the request is executed, then
the connection is held and closed unanswered), ``drop`` (closed without an answer, nothing
executed), ``hold`` (the request is admitted like any other, counted in flight, then waits until
:meth:`FaultScript.release_holds`, the ``POST /_sandbox/release-holds`` control, a reset or the
server's stop lets it go on; it is then answered normally). ``hold`` makes "N requests inside the
server at once" a state a test can wait for (``GET /_sandbox/faults`` reports ``held``) instead of
a race against a latency.

``GET``/``POST /_sandbox/replay-faults`` (``{"enabled": false}``) reads/sets
``SandboxConfig.replay_faults`` at run time (see :mod:`qbo_sandbox.http.replay`); ``reset`` restores
the configured value. ``POST /_sandbox/refresh-grace`` (``{"seconds": 86400}``) sets how long a
superseded refresh token still refreshes (0 = strict; ``reset`` restores the configured value).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qbo_sandbox.http.context import ServerContext


def handle_control(
    server: ServerContext, method: str, name: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Serve ``/_sandbox/<name>``; returns (status, JSON body). Errors are ``{"error": ...}``."""
    route = (method, name)
    try:
        if route == ("GET", "counters"):
            return 200, server.counters()
        if route == ("POST", "reset-counters"):
            server.reset_counters()
            return 200, server.counters()
        if route == ("POST", "reset"):
            server.reset(tokens=bool(body.get("tokens", False)))
            return 200, {"reset": True}
        if route == ("POST", "latency"):
            server.set_latency(int(body["ms"]))
            return 200, {"latency_ms": int(body["ms"])}
        if route == ("POST", "refresh-grace"):
            server.set_refresh_grace(float(body["seconds"]))
            return 200, {"refresh_grace_s": server.oauth.refresh_grace_s}
        if route == ("POST", "throttle"):
            xml = _flag(body["xml"]) if "xml" in body else None
            server.set_throttle(bool(body["enabled"]), xml=xml)
            return 200, {"throttle": bool(body["enabled"])}
        if route == ("GET", "replay-faults"):
            return 200, {"replay_faults": server.replay.replay_faults}
        if route == ("POST", "replay-faults"):
            server.set_replay_faults(_flag(body["enabled"]))
            return 200, {"replay_faults": server.replay.replay_faults}
        if route == ("GET", "faults"):
            return 200, {"faults": server.faults.pending(), "held": server.faults.held()}
        if route == ("POST", "release-holds"):
            return 200, {"released": server.faults.release_holds()}
        if route == ("POST", "faults"):
            rule = server.add_fault(
                str(body["method"]),
                str(body["path_regex"]),
                str(body["kind"]),
                times=int(body.get("times", 1)),
                xml=bool(body.get("xml", False)),
            )
            return 200, rule.describe()
        if route == ("DELETE", "faults"):
            server.faults.clear()
            return 200, {"faults": []}
        if route == ("POST", "clock/advance"):
            server.advance_clock(float(body["seconds"]))
            return 200, {"now": server.clock.now().isoformat()}
    except (KeyError, TypeError, ValueError, re.error) as exc:
        return 400, {"error": f"bad control request: {exc.__class__.__name__}: {exc}"}
    return 404, {"error": f"no sandbox control {method} /_sandbox/{name}"}


def _flag(value: Any) -> bool:
    """A JSON boolean (``true``/``false``); anything else is a bad control request."""
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value
