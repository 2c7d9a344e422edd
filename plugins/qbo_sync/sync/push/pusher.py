"""Pushing CMMS creates and edits of two-way entities to QuickBooks (design decision 6).

Creates: rows without ``qb_id`` are validated before anything is sent, looked up in QuickBooks by
natural key (:mod:`qbo_sync.sync.push.lookup`: one ``IN (...)`` query per 1000 names, never one per
row or per batch) so an existing record is linked instead of duplicated, then created in batches of
≤ 30, each item with a deterministic id derived from (realm, entity, CMMS id, revision = hash of the
payload) and correlated by ``bId``. A record whose name QuickBooks cannot search for gets a
per-record error while the others are pushed.

The batch ``requestid`` hashes the run key with the items: the transport's retries inside one run
resend the same id (QuickBooks answers a repeat with the original answer, so nothing is written
twice), while a later run is a new request, so a fault QuickBooks already returned (a name clash the
bookkeeper has since fixed) is not replayed forever. Duplicates across runs after an unanswered
create are prevented by the natural-key lookup before create, not by the requestid.

Updates: rows whose comparable values differ from the last agreed snapshot are sent as sparse
updates of exactly those fields with the current SyncToken. An update with no field to send is never
sent; a field QuickBooks cannot clear fails the record readably (see
:func:`qbo_sync.mapping.apply.row_to_qbo`) and its snapshot keeps the old agreed value. A 5010
(stale SyncToken) re-reads the object, merges it like a pull and retries once.

Every record ends with ``qb_id``, ``qb_sync_token``, ``qb_status``, ``qb_error``, ``qb_synced_at``
and ``qb_last_updated_at`` set, and its snapshot updated, in one transaction per batch. What
QuickBooks answered is what is stored (row and snapshot): its defaults for fields not sent
(``Taxable``, ``PurchaseCost``) and its spelling of those sent. Creates are written to the send
journal before they are sent (:mod:`.outbox`); names are sent normalized and new records with the
same name are sent once (:mod:`qbo_sync.mapping.names`); refusals name the clashing record or the
inactive reference (:mod:`.explain`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from qbo_sync.mapping import RecordError, get_path, row_to_qbo, validate_for_push
from qbo_sync.mapping.names import same_names
from qbo_sync.qbo.client import MAX_BATCH_ITEMS, BatchItem, request_id_for
from qbo_sync.qbo.errors import DuplicateName, QBOError, RecordRejected, StaleObject
from qbo_sync.sync import store
from qbo_sync.sync.context import SyncContext
from qbo_sync.sync.pull.load import PullLoader
from qbo_sync.sync.push import explain, outbox
from qbo_sync.sync.push.agreed import after_write
from qbo_sync.sync.push.lookup import find_by_names, lookup_failure
from qbo_sync.sync.record import messages
from qbo_sync.sync.record.recorder import RecordFailure

# Body keys that are not fields: an update carrying only these would change nothing but SyncToken.
_NOT_FIELDS = frozenset({"Id", "SyncToken", "sparse"})


@dataclass
class Outgoing:
    """One record on its way to QuickBooks."""

    row: dict[str, Any]
    body: dict[str, Any]
    fields: list[str]  # CMMS columns sent (all pushable ones on create)
    request_id: str
    bid: str


def _revision(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _sent(o: Outgoing, part: Any) -> str:
    """The natural key as sent (normalized), which is what QuickBooks is searched for."""
    return str(get_path(o.body, part.qbo) or o.row.get(part.cmms) or "").strip()


def _chunks(items: list[Outgoing], size: int = MAX_BATCH_ITEMS) -> Iterator[list[Outgoing]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Pusher:
    """The push half of one two-way entity run."""

    def __init__(
        self, ctx: SyncContext, loader: PullLoader, *, pulled_everything: bool, page_size: int = store.CHUNK
    ) -> None:
        self.ctx = ctx
        self.loader = loader
        self.pulled_everything = pulled_everything
        self.page_size = page_size  # linked rows read at a time when looking for CMMS edits

    def run(self) -> None:
        self.push_creates()
        self.push_updates()

    # --- shared --------------------------------------------------------------------------------

    def _outgoing(self, row: dict[str, Any], fields: list[str] | None) -> Outgoing | None:
        """Validate and map one row; a problem fails the record without calling QuickBooks."""
        ctx = self.ctx
        problems = validate_for_push(ctx.mapping, row, ctx.accounts)
        if problems:
            self._fail(messages.invalid(ctx.mapping, row, problems))
            return None
        try:
            body = row_to_qbo(ctx.mapping, row, ctx.refs, fields=fields)
        except RecordError as exc:
            self._fail(messages.unmappable(ctx.mapping, exc, row.get("id"), row.get("qb_id"), push=True))
            return None
        if fields is not None and not set(body) - _NOT_FIELDS:
            return None  # nothing QuickBooks would receive: never send an empty (no-op) update
        sent = (
            fields if fields is not None else [i.column for i in ctx.mapping.mapped if ctx.mapping.pushes(i)]
        )
        rid = request_id_for(ctx.realm_id, ctx.mapping.qbo_entity, row["id"], _revision(body))
        return Outgoing(row, body, list(sent), rid, rid.replace("-", "")[:10])

    def _rejected(self, row: dict[str, Any], error: QBOError, action: str) -> RecordFailure:
        """QuickBooks refused ``row``: the message names the clashing record or the inactive
        reference when QuickBooks' own words do not (see :mod:`.explain`)."""
        ctx = self.ctx
        if isinstance(error, DuplicateName):
            clash = explain.find_clash(ctx, row)
            return messages.rejected(
                ctx.mapping, row, error, action, clash=clash.describe() if clash else None
            )
        if error.code == "610":
            inactive = explain.inactive_references(ctx, row, error.element)
            return messages.rejected(ctx.mapping, row, error, action, inactive=inactive)
        return messages.rejected(ctx.mapping, row, error, action)

    def _fail(self, failure: messages.RecordFailure) -> None:
        self.ctx.counts.failed += 1
        self.ctx.recorder.fail_record(failure)

    def _batch(self, operation: str, items: list[Outgoing]) -> dict[str, Any]:
        ctx = self.ctx
        batch = [BatchItem(o.bid, operation, ctx.mapping.qbo_entity, o.body) for o in items]
        # The run key makes a later run a new request (see the module docstring).
        content = "|".join([ctx.recorder.run_key, *(o.request_id for o in items)])
        rid = request_id_for(ctx.realm_id, ctx.mapping.qbo_entity, operation, content)
        return ctx.client.batch(batch, request_id=rid)

    def _flush_failures(self) -> None:
        with self.ctx.engine.begin() as conn:
            self.ctx.recorder.flush(conn, self.ctx.table, self.ctx.now)

    # --- creates -------------------------------------------------------------------------------

    def push_creates(self) -> None:
        ctx = self.ctx
        with ctx.engine.connect() as conn:
            rows = [
                r for r in store.unlinked_rows(conn, ctx.table) if int(r["id"]) not in ctx.linked_in_memory
            ]
        ready = self._one_per_name([o for o in (self._outgoing(r, None) for r in rows) if o is not None])
        if ready and not self.pulled_everything:
            unsure = self._link_existing(ready)
            ready = [
                o for o in ready if int(o.row["id"]) not in ctx.linked_in_memory and o.row["id"] not in unsure
            ]
        if ctx.dry_run:
            for o in ready:
                ctx.counts.created += 1
                ctx.recorder.said("created in QuickBooks", f"{ctx.who(o.row)}: create in QuickBooks")
        else:
            for chunk in _chunks(ready):
                self._create_batch(chunk)
        self._flush_failures()

    def _one_per_name(self, ready: list[Outgoing]) -> list[Outgoing]:
        """Of new records with the same name (as QuickBooks and a person see it), only the first is
        sent; the others fail readably instead of becoming a duplicate or a 6240."""
        m = self.ctx.mapping
        twins = same_names((o.row for o in ready), m.title_column)
        for o in ready:
            first = twins.get(int(o.row["id"]))
            if first is not None:
                self._fail(messages.same_name(m, o.row, first))
        return [o for o in ready if int(o.row["id"]) not in twins]

    def _link_existing(self, ready: list[Outgoing]) -> set[Any]:
        """Look the new records up in QuickBooks by natural key (batched, see
        :mod:`qbo_sync.sync.push.lookup`) and link what already exists.

        Returns the CMMS ids of records whose lookup failed (they failed readably, not created)."""
        ctx = self.ctx
        parts = [p for p in ctx.mapping.natural_key if not p.optional]
        if not parts:
            return set()
        part = parts[0]
        ready = [o for o in ready if not ctx.known_absent(o.row)]  # looked up by the change check
        # looked up by the name as sent (normalized), which is what QuickBooks holds
        names = {_sent(o, part) for o in ready if o.row.get(part.cmms)}
        found = find_by_names(ctx.client, ctx.mapping.qbo_entity, part.qbo, names)
        if found.objects:
            self.loader.load_page(found.objects)
        unsure = [o for o in ready if o.row.get(part.cmms) and _sent(o, part) in found.refused]
        for o in unsure:
            self._fail(lookup_failure(ctx.who(o.row), o.row, found.refused[_sent(o, part)]))
        return {o.row["id"] for o in unsure}

    def _create_batch(self, items: list[Outgoing]) -> None:
        sends = [outbox.Send(o.row, o.body, o.request_id) for o in items]
        outbox.record_sends(self.ctx, sends)  # committed before sending (see sync.outbox)
        outcomes = self._batch("create", items)
        done: list[tuple[Outgoing, dict[str, Any]]] = []
        for o in items:
            outcome = outcomes[o.bid]
            if outcome.ok and outcome.object is not None:
                done.append((o, outcome.object))
                self.ctx.counts.created += 1
                self.ctx.recorder.said(
                    "created in QuickBooks",
                    f"{self.ctx.who(o.row)}: created in QuickBooks (Id {outcome.object.get('Id')})",
                )
            else:
                self._fail(self._rejected(o.row, outcome.error or QBOError("no answer"), "create"))
        self._record_success(done, {})
        outbox.mark_answered(self.ctx, sends)

    # --- updates -------------------------------------------------------------------------------

    def push_updates(self) -> None:
        """Send CMMS edits of linked records, reading the table a page at a time (bounded memory);
        batches keep the same records in the same order as reading everything first would."""
        ctx = self.ctx
        pending: list[Outgoing] = []
        snaps: dict[int, dict] = {}
        open_: dict[int, set[str]] = {}
        for page, page_open in self._linked_pages():
            for row, snap in page:
                if snap is None:  # never agreed on (not linked by the engine): nothing to compare
                    continue
                cid = int(row["id"])
                fields = ctx.local_edits(row, snap, page_open.get(cid, set()))
                out = self._outgoing(row, fields) if fields else None
                if out is not None:
                    pending.append(out)
                    snaps[cid] = snap
                    if cid in page_open:
                        open_[cid] = page_open[cid]
            while len(pending) >= MAX_BATCH_ITEMS:
                self._send_updates(pending[:MAX_BATCH_ITEMS], snaps, open_)
                del pending[:MAX_BATCH_ITEMS]
        if pending:
            self._send_updates(pending, snaps, open_)
        self._flush_failures()

    def _linked_pages(
        self,
    ) -> Iterator[tuple[list[tuple[dict[str, Any], dict | None]], dict[int, set[str]]]]:
        """Linked rows with their snapshots, and their open conflicts, one keyset page at a time."""
        ctx = self.ctx
        after: int | None = None
        while True:
            with ctx.engine.connect() as conn:
                page = store.linked_rows_with_snapshots(
                    conn, ctx.table, ctx.mapping.entity, after, self.page_size
                )
                ids = [int(row["id"]) for row, _ in page]
                page_open = store.open_conflicts(conn, ctx.mapping.entity, ids) if ids else {}
            if not page:
                return
            yield page, page_open
            after = ids[-1]

    def _send_updates(
        self, items: list[Outgoing], snaps: dict[int, dict], open_: dict[int, set[str]]
    ) -> None:
        """One batch of updates (in a dry run: only counted); forgets the items' snapshots after."""
        ctx = self.ctx
        if ctx.dry_run:
            for o in items:
                ctx.counts.updated += 1
                ctx.recorder.said(
                    "updated in QuickBooks", f"{ctx.who(o.row)}: update {', '.join(o.fields)} in QuickBooks"
                )
        else:
            self._update_batch(items, snaps, open_)
        for o in items:
            snaps.pop(int(o.row["id"]), None)
            open_.pop(int(o.row["id"]), None)

    def _update_batch(
        self, items: list[Outgoing], snaps: dict[int, dict], open_: dict[int, set[str]]
    ) -> None:
        outcomes = self._batch("update", items)
        done: list[tuple[Outgoing, dict[str, Any]]] = []
        for o in items:
            outcome = outcomes[o.bid]
            if outcome.ok and outcome.object is not None:
                done.append((o, outcome.object))
                self._said_updated(o)
            elif isinstance(outcome.error, StaleObject):
                self._retry_stale(o)
            else:
                self._fail(self._rejected(o.row, outcome.error or QBOError("no answer"), "update"))
        self._record_success(done, snaps, open_)

    def _said_updated(self, o: Outgoing) -> None:
        self.ctx.counts.updated += 1
        self.ctx.recorder.said(
            "updated in QuickBooks", f"{self.ctx.who(o.row)}: {', '.join(o.fields)} sent to QuickBooks"
        )

    def _retry_stale(self, o: Outgoing) -> None:
        """5010: re-read the object, merge it like a pull, and send what is still ours once more."""
        ctx = self.ctx
        qb_id = str(o.row["qb_id"])
        ctx.recorder.warn(
            f"{ctx.who(o.row)}: changed in QuickBooks since it was read (SyncToken "
            f"{o.row.get('qb_sync_token')} is stale, QuickBooks 5010); re-reading it, merging, and "
            "sending the CMMS changes once more"
        )
        self.loader.load_page([ctx.client.get(ctx.mapping.qbo_entity, qb_id)])
        with ctx.engine.connect() as conn:
            row = store.rows_by_id(conn, ctx.table, [int(o.row["id"])])[int(o.row["id"])]
            snaps = store.snapshots(conn, ctx.mapping.entity, [int(row["id"])])
            open_ = store.open_conflicts(conn, ctx.mapping.entity, [int(row["id"])])
        fields = ctx.local_edits(row, snaps.get(int(row["id"]), {}), open_.get(int(row["id"]), set()))
        retry = self._outgoing(row, fields) if fields else None
        if retry is None:
            return
        try:
            obj = ctx.client.update(ctx.mapping.qbo_entity, retry.body, sparse=True)
        except RecordRejected as exc:
            self._fail(self._rejected(row, exc, "update"))
            return
        self._said_updated(retry)
        self._record_success([(retry, obj)], snaps, open_)

    # --- recording success ---------------------------------------------------------------------

    def _record_success(
        self,
        done: list[tuple[Outgoing, dict[str, Any]]],
        snaps: dict[int, dict],
        open_: dict[int, set[str]] | None = None,
    ) -> None:
        ctx = self.ctx
        updates, snapshots = [], []
        for o, obj in done:
            cid = int(o.row["id"])
            still_open = (open_ or {}).get(cid, set())
            update, snap = after_write(ctx, o.row, o.fields, obj, snaps.get(cid, {}), still_open)
            updates.append(update)
            snapshots.append((cid, update["qb_id"], update["qb_sync_token"], snap))
        with ctx.engine.begin() as conn:
            store.update_rows(conn, ctx.table, updates)
            store.save_snapshots(conn, ctx.mapping.entity, snapshots)
            ctx.recorder.flush(conn, ctx.table, ctx.now)
