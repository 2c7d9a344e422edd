"""Request counters and scripted faults (the state behind ``/_sandbox/``; see :mod:`.controls`)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

FAULT_KINDS = frozenset({"429", "500", "503", "timeout_after_commit", "drop_after_commit", "drop", "hold"})
AFTER_COMMIT = frozenset({"timeout_after_commit", "drop_after_commit"})
BASE_KINDS = ("query", "cdc", "batch", "write", "read", "token", "revoke", "throttled", "replayed", "total")


class Counters:
    """Thread-safe request counters by kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def incr(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._counts[kind] += n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            counts = dict.fromkeys(BASE_KINDS, 0)
            counts.update(self._counts)
            return counts

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


@dataclass
class FaultRule:
    """One scripted fault: for requests whose method matches and whose target (path + query) the
    regex finds, answer with ``kind`` the next ``times`` times."""

    method: str
    pattern: re.Pattern[str]
    kind: str
    times: int
    xml: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path_regex": self.pattern.pattern,
            "kind": self.kind,
            "times": self.times,
            "xml": self.xml,
        }


class FaultScript:
    """Scripted faults, consumed first-added first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._gate = threading.Event()  # the gate ``hold`` requests wait on (a new one per release)
        self._held = 0

    def add(self, method: str, path_regex: str, kind: str, times: int = 1, xml: bool = False) -> FaultRule:
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        rule = FaultRule(method.upper(), re.compile(path_regex), kind, times, xml)
        with self._lock:
            self._rules.append(rule)
        return rule

    def take(self, method: str, target: str) -> FaultRule | None:
        """The first matching rule (one use consumed), or None."""
        with self._lock:
            for rule in self._rules:
                if rule.method in (method.upper(), "*") and rule.pattern.search(target):
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def clear(self) -> None:
        """Forget the scripted faults and let held requests go on."""
        with self._lock:
            self._rules.clear()
        self.release_holds()

    def hold(self) -> None:
        """Block the calling request thread until :meth:`release_holds`."""
        with self._lock:
            gate = self._gate
            self._held += 1
        try:
            gate.wait()
        finally:
            with self._lock:
                self._held -= 1

    def held(self) -> int:
        """How many requests are held right now."""
        with self._lock:
            return self._held

    def release_holds(self) -> int:
        """Let every held request go on (later ``hold`` requests wait again); returns how many."""
        with self._lock:
            gate, self._gate = self._gate, threading.Event()
            count = self._held
        gate.set()
        return count


# --- HTTP face ------------------------------------------------------------------------------------
