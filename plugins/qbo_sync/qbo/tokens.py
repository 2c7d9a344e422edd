"""Token custody: one encrypted row per realm in ``qbo_tokens`` (design decision 3).

Airflow 3 tasks cannot write connections, so the tokens live in the integration's own table in the
CMMS database. :class:`TokenManager` is the transport's token provider:

- ``access_token()`` returns the stored access token while it is more than ``skew_seconds`` from
  expiry. Otherwise, in ONE transaction: lock the realm's row (``SELECT ... FOR UPDATE``; on SQLite
  ``BEGIN IMMEDIATE``), re-check (another worker may have refreshed meanwhile), call the token
  endpoint, write the rotated refresh token and the new access token, commit, and only then return
  the new access token. Concurrent workers queue on the row lock and find the fresh token, so one
  expiry costs exactly one refresh across the deployment.
- ``refresh(rejected)`` (after a 401) forces a refresh unless the stored token already differs from
  the rejected one.
- ``invalid_grant``: re-read the row; if another writer stored a newer refresh token, retry with it;
  otherwise mark the realm ``reconnect_needed`` and raise :class:`ReconnectNeeded`, whose message
  tells a person how to reconnect.
- A network error or 5xx from the token endpoint (:class:`RetriableError`) rolls the transaction
  back and is raised as is: the stored tokens stay valid, the realm stays ``connected``, and the
  transport retries the whole token fetch within its bounded retry loop.
- A refresh whose answer was lost (the connection dropped after QuickBooks rotated the token) leaves
  the stored refresh token superseded. Where Intuit keeps a superseded token valid for a grace
  period (UNCONFIRMED, qbo-api.md §8) the retry simply refreshes again. Where it does not, the retry
  gets ``invalid_grant`` and only a reconnect helps: the realm is marked ``reconnect_needed`` once,
  with the reason (the lost answer, when), which the QuickBooks page shows, and the run fails with
  :class:`ReconnectNeeded` (recorded on ``sync_runs`` and as the task's failure, never retried).

Every token read is registered with Airflow's secrets masker; tokens are encrypted at rest with the
Fernet key (:mod:`qbo_sync.qbo.crypto`) and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from qbo_sync.db.engine import SQLITE_BEGIN
from qbo_sync.db.schema import qbo_tokens  # the one definition of the table
from qbo_sync.qbo.crypto import TokenCipher, mask
from qbo_sync.qbo.errors import InvalidGrant, ReconnectNeeded, RetriableError
from qbo_sync.qbo.oauth import OAuthClient, TokenSet

log = logging.getLogger(__name__)

CONNECTED = "connected"
RECONNECT_NEEDED = "reconnect_needed"
RECONNECT_HOW = (
    "Reconnect it: in the Airflow UI open the QuickBooks page of the qbo_sync plugin (/qbo/) and click "
    "'Connect to QuickBooks' (/qbo/connect), i.e. run the OAuth connect flow for this realm again, then "
    "clear and re-run the failed task."
)


@dataclass(frozen=True)
class TokenStatus:
    """What the UI may show about a realm's tokens (no token values)."""

    realm_id: str
    status: str
    last_error: str | None
    access_token_expires_at: datetime | None
    refresh_token_expires_at: datetime | None
    refresh_count: int
    refreshed_at: datetime | None


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class TokenManager:
    """Token provider for one realm, backed by the ``qbo_tokens`` row."""

    def __init__(
        self,
        engine: Engine,
        realm_id: str,
        oauth: OAuthClient,
        *,
        skew_seconds: int = 300,
        cipher: TokenCipher | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.realm_id = str(realm_id)
        self.oauth = oauth
        self.skew = timedelta(seconds=skew_seconds)
        self._cipher = cipher or TokenCipher()
        self._now = clock or (lambda: datetime.now(UTC))
        self._unanswered_at: datetime | None = None  # when a refresh last got no answer

    def __repr__(self) -> str:
        return f"TokenManager(realm_id={self.realm_id!r})"

    # --- token provider ---------------------------------------------------------------------------

    def access_token(self) -> str:
        """A valid access token (refreshing under the row lock when near expiry)."""
        with self.engine.connect() as conn:
            row = self._select(conn, lock=False)
        self._require_connected(row)
        if not self._near_expiry(row):
            return self._decrypt(row.access_token)
        return self._refresh_locked(rejected=None)

    def refresh(self, rejected_token: str) -> str:
        """After a 401: refresh unless another worker already replaced ``rejected_token``."""
        return self._refresh_locked(rejected=rejected_token)

    def store(self, token_set: TokenSet) -> None:
        """Insert or replace the realm's tokens (the OAuth connect flow); status becomes connected."""
        now = self._now()
        values = self._token_values(token_set, now)
        values.update(realm_id=self.realm_id, refresh_count=0, created_at=now)
        with self._transaction() as conn:
            stmt = _upsert(conn, values, update={k: v for k, v in values.items() if k != "created_at"})
            conn.execute(stmt)
        mask(token_set.access_token)
        mask(token_set.refresh_token)
        log.info("stored new QuickBooks tokens for realm %s", self.realm_id)

    def status(self) -> TokenStatus | None:
        with self.engine.connect() as conn:
            row = self._select(conn, lock=False)
        if row is None:
            return None
        return TokenStatus(
            self.realm_id,
            row.status,
            row.last_error,
            _aware(row.access_token_expires_at),
            _aware(row.refresh_token_expires_at),
            row.refresh_count or 0,
            _aware(row.refreshed_at),
        )

    # --- the refresh protocol ---------------------------------------------------------------------

    def _refresh_locked(self, rejected: str | None) -> str:
        for _ in range(3):
            failed: tuple[str, InvalidGrant] | None = None
            with self._transaction(lock=True) as conn:
                row = self._select(conn, lock=True)
                self._require_connected(row)
                current = self._decrypt(row.access_token)
                if not self._near_expiry(row) and current != rejected:
                    return current
                refresh_token = self._decrypt(row.refresh_token)
                try:
                    token_set = self.oauth.refresh(refresh_token)
                except InvalidGrant as exc:
                    failed = (refresh_token, exc)
                except RetriableError:
                    # No answer: QuickBooks may have rotated the token anyway (see the docstring).
                    self._unanswered_at = self._now()
                    raise
                else:
                    self._persist(conn, token_set)
            if failed is None:
                mask(token_set.access_token)
                mask(token_set.refresh_token)
                log.info("refreshed the QuickBooks access token for realm %s", self.realm_id)
                return token_set.access_token
            if not self._rotated_since(failed[0]):
                self._mark_reconnect_needed(failed[1])
            rejected = None
        raise self._reconnect_error("the refresh token kept being rejected")

    def _rotated_since(self, failed_refresh_token: str) -> bool:
        """Re-read: did another writer store a different refresh token since ours failed?"""
        with self.engine.connect() as conn:
            row = self._select(conn, lock=False)
        self._require_connected(row)
        return self._decrypt(row.refresh_token) != failed_refresh_token

    def _mark_reconnect_needed(self, exc: InvalidGrant) -> None:
        now = self._now()
        lost = ""
        if self._unanswered_at is not None:
            lost = (
                f" right after a token refresh at {self._unanswered_at.isoformat(timespec='seconds')} "
                "got no answer: QuickBooks rotated the refresh token but the new one never arrived, "
                "and it no longer accepts the previous one"
            )
        reason = f"invalid_grant at {now.isoformat(timespec='seconds')}: the refresh token was rejected{lost}"
        if exc.intuit_tid:
            reason += f" (intuit_tid {exc.intuit_tid})"
        with self._transaction() as conn:
            conn.execute(
                qbo_tokens.update()
                .where(qbo_tokens.c.realm_id == self.realm_id)
                .values(status=RECONNECT_NEEDED, last_error=reason, updated_at=now)
            )
        log.error("QuickBooks realm %s needs reconnecting: %s", self.realm_id, reason)
        raise self._reconnect_error(f"its refresh token was rejected (invalid_grant){lost}") from None

    def _persist(self, conn: Connection, token_set: TokenSet) -> None:
        now = self._now()
        values = self._token_values(token_set, now)
        values.update(refresh_count=sa.func.coalesce(qbo_tokens.c.refresh_count, 0) + 1)
        if token_set.refresh_expires_at is None:
            values.pop("refresh_token_expires_at")
        conn.execute(qbo_tokens.update().where(qbo_tokens.c.realm_id == self.realm_id).values(**values))

    def _token_values(self, token_set: TokenSet, now: datetime) -> dict[str, Any]:
        return {
            "access_token": self._cipher.encrypt(token_set.access_token),
            "refresh_token": self._cipher.encrypt(token_set.refresh_token),
            "access_token_expires_at": token_set.expires_at,
            "refresh_token_expires_at": token_set.refresh_expires_at,
            "status": CONNECTED,
            "last_error": None,
            "refreshed_at": now,
            "updated_at": now,
        }

    # --- helpers -----------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, lock: bool = False) -> Iterator[Connection]:
        """One transaction; on SQLite a write lock is taken up front (``BEGIN IMMEDIATE``, through the
        product's engine, :func:`qbo_sync.db.engine.create_engine`)."""
        with self.engine.connect() as conn:
            if lock and conn.dialect.name == "sqlite":
                conn = conn.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _select(self, conn: Connection, *, lock: bool) -> Row[Any] | None:
        stmt = sa.select(qbo_tokens).where(qbo_tokens.c.realm_id == self.realm_id)
        if lock and conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        return conn.execute(stmt).first()

    def _require_connected(self, row: Row[Any] | None) -> None:
        if row is None or not row.access_token or not row.refresh_token:
            raise self._reconnect_error("no QuickBooks tokens are stored for it")
        if row.status == RECONNECT_NEEDED:
            raise self._reconnect_error(f"it was marked reconnect_needed ({row.last_error or 'no details'})")

    def _reconnect_error(self, why: str) -> ReconnectNeeded:
        return ReconnectNeeded(
            f"QuickBooks company {self.realm_id} must be reconnected: {why}. {RECONNECT_HOW}"
        )

    def _near_expiry(self, row: Row[Any]) -> bool:
        expires_at = _aware(row.access_token_expires_at)
        return expires_at is None or expires_at - self.skew <= self._now()

    def _decrypt(self, value: str) -> str:
        token = self._cipher.decrypt(value)
        mask(token)
        return token


def token_status(engine: Engine, realm_id: str) -> str | None:
    """One readable line about a realm's tokens for the UI (never a token value), or None."""
    manager = TokenManager.__new__(TokenManager)
    manager.engine, manager.realm_id = engine, str(realm_id)
    status = manager.status()
    if status is None:
        return None
    if status.status == RECONNECT_NEEDED:
        return f"reconnect needed: {status.last_error or 'refresh token rejected'}"
    expires = (
        status.access_token_expires_at.isoformat(timespec="seconds")
        if status.access_token_expires_at
        else "?"
    )
    return f"connected; access token expires {expires}; refreshed {status.refresh_count} time(s)"


def _upsert(conn: Connection, values: dict[str, Any], update: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT (realm_id) DO UPDATE for PostgreSQL and SQLite."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the product supports PostgreSQL (and SQLite for the embedded demo)
        raise NotImplementedError(f"qbo_tokens upsert is not implemented for {conn.dialect.name}")
    return insert(qbo_tokens).values(**values).on_conflict_do_update(index_elements=["realm_id"], set_=update)
