"""``requestid`` replay (qbo-api.md §1): a write seen before for the realm gets its original answer.

Keys are ``(realm, requestid)`` for entity writes and ``(realm, requestid, sorted bIds)`` for
batches (same requestid with other bIds is a different request). Only successful (HTTP 200)
answers are remembered: a rejected write changed nothing, so retrying it runs it again. Concurrent
requests with one key run one at a time, so a retry racing the original never writes twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from qbo_sandbox import faults
from qbo_sandbox.http_common import Response

MAX_REQUESTID = 50
MAX_BATCH_REQUESTID = 36
MAX_BATCH_BID = 10


class ReplayCache:
    """Original answers by requestid key. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._answers: dict[Hashable, Response] = {}

    def run(self, key: Hashable, execute: Callable[[], Response]) -> tuple[Response, bool]:
        """The remembered answer for ``key`` (and True), or ``execute()``'s (and False)."""
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            cached = self._answers.get(key)
            if cached is not None:
                return cached, True
            answer = execute()
            if answer.status == 200 and answer.action is None:
                self._answers[key] = answer
            return answer, False

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._key_locks.clear()


def requestid_too_long(length: int, limit: int = MAX_REQUESTID) -> faults.QBOFault:
    """6000 with the length message QBO gives for an over-long requestid."""
    return faults.business_validation(
        f"You cannot enter more than {limit} characters in the request_id field. "
        f"The current request_id field contains {length} characters.",
        "request_id",
    )
