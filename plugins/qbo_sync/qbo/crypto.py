"""Encryption at rest and log masking for OAuth tokens.

Tokens are encrypted with Airflow's Fernet key (``AIRFLOW__CORE__FERNET_KEY``, else
``conf.get("core", "fernet_key")``); a comma-separated list is a :class:`MultiFernet` (first key
encrypts, all decrypt), as Airflow does for key rotation. Without a key nothing is stored: there is
no plaintext fallback.

:func:`mask` registers a secret with Airflow's secrets masker (``airflow.sdk.log.mask_secret``) so
that it is redacted from task logs. It does so whenever Airflow is loaded in the process (always the
case inside a task); elsewhere there is no Airflow log to redact and it does nothing.
"""

from __future__ import annotations

import logging
import os
import sys

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from qbo_sync.qbo.errors import FatalError

log = logging.getLogger(__name__)

NO_KEY_MESSAGE = (
    "no Fernet key configured: QuickBooks tokens are only stored encrypted. Set "
    'AIRFLOW__CORE__FERNET_KEY (generate one with: python -c "from cryptography.fernet import '
    'Fernet; print(Fernet.generate_key().decode())")'
)


class EncryptionKeyMissing(FatalError):
    """No Fernet key is configured, so tokens cannot be stored or read."""


def fernet_key() -> str:
    """The configured Fernet key(s), from the environment or Airflow's configuration."""
    key = os.environ.get("AIRFLOW__CORE__FERNET_KEY", "").strip()
    if key:
        return key
    try:
        from airflow.configuration import conf

        key = (conf.get("core", "fernet_key", fallback="") or "").strip()
    except Exception:  # Airflow absent or not configured: no key
        key = ""
    if not key:
        raise EncryptionKeyMissing(NO_KEY_MESSAGE)
    return key


class TokenCipher:
    """Fernet/MultiFernet encryption of token strings."""

    def __init__(self, keys: str | None = None) -> None:
        raw = keys if keys is not None else fernet_key()
        parts = [k.strip() for k in raw.split(",") if k.strip()]
        if not parts:
            raise EncryptionKeyMissing(NO_KEY_MESSAGE)
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except (ValueError, TypeError) as exc:
            raise FatalError("the configured Fernet key is not a valid Fernet key") from exc

    def __repr__(self) -> str:
        return "TokenCipher(***)"

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, value: str) -> str:
        try:
            return self._fernet.decrypt(value.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as exc:
            raise FatalError(
                "stored QuickBooks tokens cannot be decrypted with the configured Fernet key",
                hint="restore the previous key (AIRFLOW__CORE__FERNET_KEY accepts 'new,old') or reconnect",
            ) from exc


def mask(secret: str | None) -> None:
    """Tell Airflow's secrets masker about ``secret`` (no-op when Airflow is not loaded)."""
    if not secret or "airflow" not in sys.modules:
        return
    try:
        from airflow.sdk.log import mask_secret
    except Exception:  # no task SDK: nothing to mask in
        return
    try:
        mask_secret(secret)
    except Exception:  # masking must never break a token read
        log.debug("could not register a token with the secrets masker")
