"""Three-way merge of one record for two-way entities (customers, items, vendors).

``merge(mapping, base, local, remote)``: ``local`` is the CMMS row, ``remote`` the QuickBooks
object already mapped with ``qbo_to_row``, ``base`` the last agreed snapshot (the output of
``comparable``, as stored) or None before the first link. Values are compared in their
``comparable`` form; ``to_local``/``to_remote`` carry the winning side's own values, ready to
write into the CMMS / to pass as ``fields`` to ``row_to_qbo``.

Rules per field (in this order):

1. Direction. A field QuickBooks only feeds (``pull_only``, ``create_only`` after creation, or
   a ``pull`` mapping) takes the remote value when it differs. A field the CMMS only feeds
   (``push_only`` or a ``push`` mapping) is sent when it differs from the base (or there is none).
2. Equal on both sides: nothing to do (also when both changed to the same value).
3. With a base: changed on one side only → that side wins.
4. Without a base (first link), or changed on both sides differently:
   - without a base, an empty side is filled from the other (linking never blanks a value);
   - otherwise the field's ``owner`` decides: ``qbo`` → remote wins, ``cmms`` → local wins,
     ``conflict`` → reported in ``conflicts`` and left unchanged on both sides.

``MergeResult.snapshot`` is the new agreed snapshot to store once both writes succeeded; a
conflicting field keeps its old base value (or is absent without one), so it stays a conflict
until someone resolves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qbo_sync.mapping.apply import comparable
from qbo_sync.mapping.model import FieldMap, Mapping, Reference

_ABSENT = object()


@dataclass(frozen=True)
class Conflict:
    """A field both sides changed differently, with values in comparable form."""

    field: str
    base: Any
    local: Any
    remote: Any


@dataclass
class MergeResult:
    """What to write where after merging one record."""

    to_local: dict[str, Any] = field(default_factory=dict)
    to_remote: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    snapshot: dict[str, Any] = field(default_factory=dict)

    @property
    def in_sync(self) -> bool:
        return not (self.to_local or self.to_remote or self.conflicts)


def merge(
    mapping: Mapping,
    base: dict[str, Any] | None,
    local: dict[str, Any],
    remote: dict[str, Any],
) -> MergeResult:
    """Merge one record; see the module docstring for the rules."""
    result = MergeResult()
    cmp_local, cmp_remote = comparable(mapping, local), comparable(mapping, remote)
    for item in mapping.mapped:
        col = item.column
        b = base.get(col, _ABSENT) if base is not None else _ABSENT
        lo, re_ = cmp_local.get(col, _ABSENT), cmp_remote.get(col, _ABSENT)
        winner = _decide(mapping, item, b, lo, re_)
        if winner == "remote":
            result.to_local[col] = remote[col]
            result.snapshot[col] = re_
        elif winner == "local":
            result.to_remote[col] = local[col]
            result.snapshot[col] = lo
        elif winner == "conflict":
            result.conflicts.append(Conflict(col, None if b is _ABSENT else b, lo, re_))
            if b is not _ABSENT:
                result.snapshot[col] = b
        elif winner == "same":
            result.snapshot[col] = lo if lo is not _ABSENT else re_
    return result


def _decide(mapping: Mapping, item: FieldMap | Reference, b: Any, lo: Any, re_: Any) -> str:
    """``remote``, ``local``, ``conflict``, ``same`` or ``skip`` for one field."""
    if not mapping.pushes(item) or item.create_only:
        if re_ is _ABSENT:
            return "skip"
        return "same" if lo == re_ else "remote"
    if not mapping.pulls(item):
        if lo is _ABSENT:
            return "skip"
        return "same" if b is not _ABSENT and lo == b else "local"
    if lo is _ABSENT or re_ is _ABSENT:
        return "skip"
    if lo == re_:
        return "same"
    if b is not _ABSENT:
        if lo == b:
            return "remote"
        if re_ == b:
            return "local"
    else:
        if lo is None:
            return "remote"
        if re_ is None:
            return "local"
    owner = mapping.owner_of(item)
    return {"qbo": "remote", "cmms": "local"}.get(owner, "conflict")
