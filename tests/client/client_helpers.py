"""Shared helpers of the client tests (fake clock, OAuth against the sandbox, ready-made clients)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests

from qbo_sync.qbo.budget import RequestBudget
from qbo_sync.qbo.client import QBOClient
from qbo_sync.qbo.oauth import OAuthClient, TokenSet, endpoints_for
from qbo_sync.qbo.transport import Transport


class FakeClock:
    """Monotonic time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def oauth_for(sandbox: object) -> OAuthClient:
    from qbo_sandbox.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    ep = endpoints_for("local", sandbox.url)
    return OAuthClient.for_endpoints(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, ep)


def connect(sandbox: object, oauth: OAuthClient | None = None) -> TokenSet:
    """The browser's part of the connect flow: authorize (auto-approved), follow the redirect's code."""
    from qbo_sandbox.config import DEFAULT_REDIRECT_URIS

    oauth = oauth or oauth_for(sandbox)
    redirect = DEFAULT_REDIRECT_URIS[0]
    resp = requests.get(oauth.authorization_url(redirect, "state-xyz"), allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["state"] == ["state-xyz"] and query["realmId"] == [sandbox.realm_id]
    return oauth.exchange_code(query["code"][0], redirect)


@dataclass
class MemoryTokens:
    """A token provider holding one token set in memory; refreshes for real over HTTP."""

    oauth: OAuthClient
    tokens: TokenSet
    refreshes: list[str] = field(default_factory=list)

    def access_token(self) -> str:
        return self.tokens.access_token

    def refresh(self, rejected_token: str) -> str:
        self.refreshes.append(rejected_token)
        self.tokens = self.oauth.refresh(self.tokens.refresh_token)
        return self.tokens.access_token


@dataclass
class Rig:
    client: QBOClient
    transport: Transport
    tokens: MemoryTokens
    clock: FakeClock
    sleeps: list[float]


def make_rig(sandbox: object, **transport_kw: object) -> Rig:
    oauth = oauth_for(sandbox)
    tokens = MemoryTokens(oauth, connect(sandbox, oauth))
    clock = FakeClock()
    sleeps: list[float] = []
    kw: dict[str, object] = {
        "sleep": sleeps.append,
        "budget": RequestBudget(clock=clock, sleep=clock.sleep),
        "rng": lambda: 0.5,
        "timeout": (2, 10),
    }
    kw.update(transport_kw)
    transport = Transport(sandbox.url, sandbox.realm_id, tokens, **kw)
    return Rig(QBOClient(transport), transport, tokens, clock, sleeps)


def token_worker(db_url: str, realm_id: str, base_url: str, barrier: object, results: object) -> None:
    """One OS process: build a TokenManager, wait for the others, take a token, make one API call."""
    import sqlalchemy as sa

    from qbo_sync.qbo.tokens import TokenManager

    engine = sa.create_engine(db_url)

    class _Sandbox:
        url = base_url

    manager = TokenManager(engine, realm_id, oauth_for(_Sandbox()))
    barrier.wait(30)
    try:
        token = manager.access_token()
        clock = FakeClock()
        budget = RequestBudget(clock=clock, sleep=clock.sleep)
        transport = Transport(base_url, realm_id, manager, budget=budget, max_attempts=1)
        name = QBOClient(transport).company_info()["CompanyName"]
        results.put(("ok", token, name))
    except Exception as exc:
        results.put(("error", type(exc).__name__, str(exc)))
    finally:
        engine.dispose()
