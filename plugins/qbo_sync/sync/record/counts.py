"""What one entity sync did, as counts (what goes through XCom and into ``sync_runs``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class SyncCounts:
    """Per-entity counts of one run.

    ``pulled``: QuickBooks objects read. ``created``/``updated``: records written on either side
    (CMMS inserts/updates from a pull, QuickBooks creates/updates from a push; in a dry run, what
    would be written). ``linked``: existing records on both sides matched by natural key.
    ``failed``: records that could not be synced (listed in ``sync_record_errors``).
    ``conflicts``: records with a field changed on both sides that waits for a person.
    ``skipped``: QuickBooks objects deliberately not synced (e.g. item categories).
    ``unchanged``: pulled objects the CMMS already had (pushed transactions: already agreed).
    ``waiting``: transactions not sent because a customer, vendor, item or account they refer to
    is not in QuickBooks yet (sent by a later run once it is).
    """

    pulled: int = 0
    created: int = 0
    updated: int = 0
    linked: int = 0
    failed: int = 0
    conflicts: int = 0
    skipped: int = 0
    unchanged: int = 0
    waiting: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.as_dict().items())


# What a person reads: counts by direction and outcome. The actions are the ones the recorder
# tallies per record (``RunRecorder.said``): pulled records "created" / "updated" in the CMMS,
# pushed records "created in QuickBooks" / "updated in QuickBooks".
def by_direction(counts: SyncCounts, actions: dict[str, int]) -> dict[str, dict[str, int]]:
    """``{"from_quickbooks": {new, updated, unchanged}, "to_quickbooks": {created, updated,
    waiting, failed}}`` for one run."""
    return {
        "from_quickbooks": {
            "new": actions.get("created", 0),
            "updated": actions.get("updated", 0),
            "unchanged": counts.unchanged,
        },
        "to_quickbooks": {
            "created": actions.get("created in QuickBooks", 0),
            "updated": actions.get("updated in QuickBooks", 0),
            "waiting": int(getattr(counts, "waiting", 0)),
            "failed": counts.failed,
        },
    }


def describe_directions(outcomes: dict[str, dict[str, int]]) -> str:
    """``from QuickBooks: 3 new, 1 updated, 12 unchanged; to QuickBooks: 14 created, ...``."""
    parts = []
    for key, title, order in DIRECTIONS:
        figures = outcomes.get(key) or {}
        parts.append(f"{title}: " + ", ".join(f"{figures.get(what, 0)} {what}" for what in order))
    return "; ".join(parts)


DIRECTIONS = (
    ("from_quickbooks", "from QuickBooks", ("new", "updated", "unchanged")),
    ("to_quickbooks", "to QuickBooks", ("created", "updated", "waiting", "failed")),
)
