"""``requestid`` replay (qbo-api.md §1): a write seen before for the realm gets its original answer.

Keys are ``(realm, requestid)`` for entity writes and ``(realm, requestid, sorted bIds)`` for
batches (same requestid with other bIds is a different request). Concurrent requests with one key
run one at a time, so a retry racing the original never writes twice.

What is remembered: every HTTP 200 answer. A rejected single write (HTTP 400 fault) is not: it
changed nothing, so retrying it runs it again. A batch is answered HTTP 200 even when some or all of
its items faulted, and whether QBO replays those faulted items for the same requestid is
UNCONFIRMED (qbo-api.md §1). :attr:`ReplayCache.replay_faults` picks the reading:

- ``True`` (default, the harsher one): the whole remembered batch answer is replayed, faulted items
  included, so a client that retries faulted items under the *same* requestid gets the same faults
  back and never makes progress; clients must use a new requestid (or new bIds) for a retry.
- ``False``: on a repeat, the items that faulted are executed again (the items that succeeded are
  replayed, never re-run) and the remembered answer is updated with the new outcomes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from qbo_sandbox import faults
from qbo_sandbox.http.common import Response

MAX_REQUESTID = 50
MAX_BATCH_REQUESTID = 36
MAX_BATCH_BID = 10


class ReplayCache:
    """Original answers by requestid key. Thread-safe."""

    def __init__(self, replay_faults: bool = True) -> None:
        self.replay_faults = replay_faults
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._answers: dict[Hashable, Response] = {}

    def run(
        self,
        key: Hashable,
        execute: Callable[[], Response],
        refresh: Callable[[Response], Response] | None = None,
    ) -> tuple[Response, bool]:
        """The remembered answer for ``key`` (and True), or ``execute()``'s (and False).

        ``refresh`` (batches with ``replay_faults`` off) turns a remembered answer into the one to
        give now (re-running its faulted items); the result is remembered in its place.
        """
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            cached = self._answers.get(key)
            if cached is not None:
                if refresh is not None:
                    cached = self._answers[key] = refresh(cached)
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
