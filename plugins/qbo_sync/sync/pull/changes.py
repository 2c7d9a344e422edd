"""One change check for every entity of a run: is there anything to read at all? (issue 11)

QuickBooks meters reads, and a quiet company should cost next to nothing. Before the entity runs,
one check asks QuickBooks, for every selected entity whose watermark is fresh (under CDC's 30 days):

1. one ``/batch`` request (only when needed) with ``Query`` items: the full list of each entity CDC
   does not cover (TaxCode, TaxRate: a handful of objects); for an entity into which this product
   itself wrote many objects since its watermark (a big push), a ``COUNT(*)`` of the objects changed
   between the watermark and the latest of those writes; and the lookup before creates of every
   entity the run will push (``IN`` lists of the unlinked CMMS rows' names, :mod:`.lookup`);
2. one CDC request over all the CDC entities (CDC takes several entities in one call).

An entity is *quiet* when every object QuickBooks returns for it (changed at or after its
watermark) is already in the CMMS with the same SyncToken: the product's own writes and what it
already pulled. A quiet entity's run reads nothing and moves its watermark to the check's time
(QuickBooks' server time), so a quiet ``qbo_full_sync`` costs one or two requests in total.

The product's own writes never saturate the check: when the CMMS holds many objects written since
an entity's watermark (:data:`OWN_WRITES_COUNTED`), the CDC starts after the latest of them, and the
batch counts, per CDC entity, the objects QuickBooks changed between its watermark and there; where
the count equals what the CMMS holds for that span, nothing else changed in it. The limit of a count
(said here so nobody relies on more): an object this product wrote and somebody else edited again
*before the end of that span* counts once either way; that edit is read when the object next
changes, or by a ``full_refresh``.

When none of the names of the unlinked rows exists in QuickBooks, the verdict says so (up to which
CMMS id, for rows not edited after which time), and the push creates those rows without a lookup
of its own; rows added or renamed after the check, or names that were found, are looked up by the
push as usual. So the lookups of a whole run cost a few items of one batch request.

Anything the check cannot vouch for (a saturated CDC answer, a count that differs, a full list
page, an object the CMMS does not hold with that SyncToken, a deletion) leaves the entity to read
its changes itself, as without the check. The check writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.mapping import Mapping
from qbo_sync.qbo.client import MAX_BATCH_ITEMS, BatchItem, BatchOutcomes, CDCResult, QBOClient
from qbo_sync.qbo.paging import MAX_PAGE_SIZE, NOT_IN_CDC, format_datetime, page_statement, with_active
from qbo_sync.sync import store
from qbo_sync.sync.pull.extract import CDC_MAX_AGE, last_updated
from qbo_sync.sync.push.lookup import chunks, where_in

log = logging.getLogger("qbo_sync.sync")

# Own writes since the watermark from which they are counted instead of re-read by CDC.
OWN_WRITES_COUNTED = 100


@dataclass(frozen=True)
class Verdict:
    """What the change check found for one entity (passed to its run through XCom, as text)."""

    quiet_since: datetime | None = None  # nothing changed in QuickBooks up to this server time
    absent_upto_id: int | None = None  # unlinked CMMS rows up to this id ...
    absent_as_of: datetime | None = None  # ... not edited after this: their names are not in QBO

    def as_xcom(self) -> dict[str, Any]:
        return {
            "quiet_since": self.quiet_since.isoformat() if self.quiet_since else None,
            "absent_upto_id": self.absent_upto_id,
            "absent_as_of": self.absent_as_of.isoformat() if self.absent_as_of else None,
        }

    @classmethod
    def from_xcom(cls, raw: Any) -> Verdict | None:
        if not isinstance(raw, dict):
            return None
        quiet, upto, as_of = raw.get("quiet_since"), raw.get("absent_upto_id"), raw.get("absent_as_of")
        return cls(
            quiet_since=datetime.fromisoformat(quiet) if isinstance(quiet, str) else None,
            absent_upto_id=int(upto) if isinstance(upto, int) else None,
            absent_as_of=datetime.fromisoformat(as_of) if isinstance(as_of, str) else None,
        )


@dataclass
class NameCheck:
    """The lookup before creates of one entity, made by the check for the whole run."""

    name: str
    qbo_entity: str
    qbo_field: str
    chunks: list[list[str]]
    upto_id: int
    as_of: datetime
    bids: list[str] = field(default_factory=list)


@dataclass
class Candidate:
    """One entity of the check: where its changes start and what the CMMS holds since then."""

    name: str
    mapping: Mapping
    since: datetime  # the watermark; after a matching count, the end of the counted span
    held: int  # CMMS rows QuickBooks changed at or after the watermark (pulled or written)
    latest: datetime | None  # the latest of their times
    count_until: datetime | None = None  # count the span [since, count_until] in the batch

    @property
    def qbo_entity(self) -> str:
        return self.mapping.qbo_entity

    @property
    def by_cdc(self) -> bool:
        return self.qbo_entity not in NOT_IN_CDC


def check_changes(
    mappings: dict[str, Mapping],
    client: QBOClient,
    engine: sa.Engine,
    *,
    realm_id: str,
    entities: list[str],
    now: datetime,
) -> dict[str, Verdict]:
    """The verdict per entity of ``entities`` (entities the check can say nothing about are left out)."""
    candidates = _candidates(mappings, engine, realm_id, entities, now)
    _plan_counts(engine, candidates)
    names = _name_checks(mappings, engine, realm_id, entities)
    batched = [c for c in candidates if _needs_batch(c)]
    quiet: dict[str, datetime] = {}
    counted: dict[str, bool] = {}
    absent: dict[str, NameCheck] = {}
    if batched or names:
        outcomes = client.batch(_batch_items(batched, names))
        quiet, counted = _read_lists_and_counts(engine, batched, outcomes)
        absent = {n.name: n for n in names if _all_absent(n, outcomes)}
    cdc = [c for c in candidates if c.by_cdc and counted.get(c.name, True)]
    if cdc:
        quiet.update(_cdc(client, engine, cdc))
    log.info(
        "change check: nothing changed in %s; %s read their changes; no name to create exists yet in %s",
        ", ".join(sorted(quiet)) or "none",
        ", ".join(c.name for c in candidates if c.name not in quiet) or "none",
        ", ".join(sorted(absent)) or "none",
    )
    verdicts = {}
    for name in dict.fromkeys([*quiet, *absent]):
        n = absent.get(name)
        verdicts[name] = Verdict(quiet.get(name), n.upto_id if n else None, n.as_of if n else None)
    return verdicts


def _candidates(
    mappings: dict[str, Mapping], engine: sa.Engine, realm_id: str, entities: list[str], now: datetime
) -> list[Candidate]:
    out = []
    with engine.connect() as conn:
        for name in entities:
            mapping = mappings.get(name)
            if mapping is None or mapping.direction == "push":
                continue
            mark = store.watermark(conn, realm_id, name)
            if mark is None or now - mark >= CDC_MAX_AGE:
                continue
            held, latest = _held_since(conn, schema.metadata.tables[mapping.cmms_table], mark)
            out.append(Candidate(name, mapping, mark, held, latest))
    return out


def _held_since(
    conn: sa.Connection, table: sa.Table, mark: datetime, until: datetime | None = None
) -> tuple[int, datetime | None]:
    t = table.c
    where = [t.qb_id.is_not(None), t.qb_last_updated_at >= mark]
    if until is not None:
        where.append(t.qb_last_updated_at <= until)
    held, latest = conn.execute(
        sa.select(sa.func.count(), sa.func.max(t.qb_last_updated_at)).where(*where)
    ).one()
    return int(held), latest


def _plan_counts(engine: sa.Engine, candidates: list[Candidate]) -> None:
    """One CDC call has one ``changedSince`` for all its entities. When an entity holds many own
    writes, the CDC must start after the latest of them for *every* entity, so each CDC entity's
    span from its watermark up to there is counted (and compared with what the CMMS holds)."""
    cdc = [c for c in candidates if c.by_cdc]
    big = [c.latest for c in cdc if c.held >= OWN_WRITES_COUNTED and c.latest is not None]
    if not big:
        return
    until = max(big)
    with engine.connect() as conn:
        for c in cdc:
            if c.since < until:
                table = schema.metadata.tables[c.mapping.cmms_table]
                c.held, _ = _held_since(conn, table, c.since, until)
                c.count_until = until


def _needs_batch(c: Candidate) -> bool:
    return not c.by_cdc or c.count_until is not None


def _batch_items(candidates: list[Candidate], names: list[NameCheck]) -> list[BatchItem]:
    """The lists and counts first; then whole entities' lookups while they fit in one batch."""
    items = [BatchItem(f"c{i}", query=_statement(c)) for i, c in enumerate(candidates)]
    for n in names:
        if len(items) + len(n.chunks) > MAX_BATCH_ITEMS:
            continue  # that entity's push looks its names up itself
        for chunk in n.chunks:
            bid = f"n{len(items)}"
            where = where_in(n.qbo_field, chunk)
            items.append(
                BatchItem(bid, query=page_statement(n.qbo_entity, where, 1, MAX_PAGE_SIZE, "Id", True))
            )
            n.bids.append(bid)
    return items


def _read_lists_and_counts(
    engine: sa.Engine, candidates: list[Candidate], outcomes: BatchOutcomes
) -> tuple[dict[str, datetime], dict[str, bool]]:
    """Quiet non-CDC entities (their whole list is held), and whether each count matched (a match
    moves the candidate's ``since`` to its latest own write)."""
    quiet: dict[str, datetime] = {}
    counted: dict[str, bool] = {}
    for i, c in enumerate(candidates):
        outcome = outcomes[f"c{i}"]
        answer = outcome.query_response if outcome.ok else None
        if answer is None:
            counted[c.name] = False
            continue
        if c.by_cdc:
            counted[c.name] = int(answer.get("totalCount", -1)) == c.held
            if counted[c.name] and c.count_until is not None:
                c.since = c.count_until
        elif outcomes.server_time is not None and _all_held(engine, c, _rows(answer), whole=True):
            quiet[c.name] = outcomes.server_time
    return quiet, counted


def _all_absent(n: NameCheck, outcomes: BatchOutcomes) -> bool:
    """Every chunk of the entity's names was asked for, and QuickBooks found none of them."""
    if not n.bids:
        return False
    answers = [outcomes[bid].query_response if outcomes[bid].ok else None for bid in n.bids]
    return all(a is not None and not _rows(a) for a in answers)


def _name_checks(
    mappings: dict[str, Mapping], engine: sa.Engine, realm_id: str, entities: list[str]
) -> list[NameCheck]:
    """The lookups before creates of the entities the run pushes (with a watermark: the first run
    reads everything and needs no lookup)."""
    out = []
    with engine.connect() as conn:
        for name in entities:
            mapping = mappings.get(name)
            parts = [p for p in mapping.natural_key if not p.optional] if mapping else []
            if mapping is None or mapping.direction == "pull" or not parts:
                continue
            if store.watermark(conn, realm_id, name) is None:
                continue
            t = schema.metadata.tables[mapping.cmms_table].c
            stmt = sa.select(t.id, t[parts[0].cmms], t.updated_at).where(t.qb_id.is_(None))
            found = conn.execute(stmt).all()
            values = sorted({str(r[1]).strip() for r in found if r[1] is not None and str(r[1]).strip()})
            if values:
                upto, as_of = max(int(r[0]) for r in found), max(r[2] for r in found)
                out.append(
                    NameCheck(name, mapping.qbo_entity, parts[0].qbo, list(chunks(values)), upto, as_of)
                )
    return out


def _statement(c: Candidate) -> str:
    if not c.by_cdc:
        return page_statement(c.qbo_entity, None, 1, MAX_PAGE_SIZE, "Id", c.mapping.pull_inactive)
    assert c.count_until is not None
    where = (
        f"Metadata.LastUpdatedTime >= '{format_datetime(c.since)}' "
        f"AND Metadata.LastUpdatedTime <= '{format_datetime(c.count_until)}'"
    )
    return f"SELECT COUNT(*) FROM {c.qbo_entity} WHERE {with_active(c.qbo_entity, where, True)}"


def _rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return next((v for v in answer.values() if isinstance(v, list)), [])


def _cdc(client: QBOClient, engine: sa.Engine, candidates: list[Candidate]) -> dict[str, datetime]:
    entities = list(dict.fromkeys(c.qbo_entity for c in candidates))
    result = client.cdc(entities, min(c.since for c in candidates))
    if result.saturated or result.time is None:
        return {}
    return {c.name: result.time for c in candidates if _cdc_quiet(engine, c, result)}


def _cdc_quiet(engine: sa.Engine, c: Candidate, result: CDCResult) -> bool:
    if result.deleted.get(c.qbo_entity):
        return False
    objects = result.changes.get(c.qbo_entity) or []
    return _all_held(engine, c, objects, whole=False)


def _all_held(engine: sa.Engine, c: Candidate, objects: list[dict[str, Any]], *, whole: bool) -> bool:
    """Every object changed at or after ``c.since`` (all of them when ``whole``) is in the CMMS
    with the same SyncToken. A full page of a whole list may hide more: not quiet."""
    if whole and len(objects) >= MAX_PAGE_SIZE:
        return False
    if not whole:
        objects = [o for o in objects if (last_updated(o) or c.since) >= c.since]
    if not objects:
        return True
    table = schema.metadata.tables[c.mapping.cmms_table]
    with engine.connect() as conn:
        held = store.rows_by_qb_id(conn, table, [str(o.get("Id")) for o in objects], lock=False)
    tokens = {qb_id: str(row.get("qb_sync_token")) for qb_id, row in held.items()}
    return all(tokens.get(str(o.get("Id"))) == str(o.get("SyncToken")) for o in objects)
