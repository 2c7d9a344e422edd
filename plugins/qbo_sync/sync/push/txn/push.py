"""Pushing CMMS transactions (invoices, bills, expenses) to QuickBooks, exactly once.

One pusher for every transaction mapping (``include/mappings/{invoices,bills,expenses}.yaml``):

1. **Open sends first.** A create marks the record "sending" (``sync_txn_state.sending_since``, committed
   before the request leaves) and the mark is cleared in the transaction that records the answer. A
   mark still set at the start of a run (timeout, dropped connection, worker killed after QuickBooks
   saved but before the CMMS committed) means the object may exist: it is looked up by DocNumber
   (batched ``IN`` lists, :mod:`.lookup`) and adopted when it is ours; otherwise created as usual. In
   the normal path no lookup is made.
2. **Each record, a page at a time**: built and checked (:mod:`.build`); invalid ones fail readably,
   ones whose references are not linked yet wait with a status naming the reference; new ones are
   created in batches of ≤ 30 (``bId`` correlation, deterministic ids); linked ones whose body changed
   since QuickBooks last agreed (a revision hash) become sparse updates with the current SyncToken
   that replace the lines (5010: re-read the SyncToken, retry once); voided invoices are voided.
3. **6140** (duplicate document number) on a create: look up by DocNumber, adopt it when it is ours,
   else report the clash in words.

Every record ends with QB status, QB ID, QuickBooks' totals (:mod:`.write`). A dry run reads both
sides and reports what would be created, updated or voided, and writes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from qbo_sync.mapping import Mapping
from qbo_sync.mapping.model import condition_holds
from qbo_sync.qbo.client import MAX_BATCH_ITEMS, BatchItem, QBOClient, request_id_for
from qbo_sync.qbo.errors import AmbiguousOutcome, DuplicateDocNumber, QBOError
from qbo_sync.sync.push.txn import build as builder
from qbo_sync.sync.push.txn import lookup, source, write
from qbo_sync.sync.push.txn.expense import check_settings
from qbo_sync.sync.push.txn.linked import LinkedWriter
from qbo_sync.sync.push.txn.run import TxnRun, describe, lines_text
from qbo_sync.sync.record.counts import SyncCounts
from qbo_sync.sync.record.recorder import PARTIAL, RecordFailure, RunRecorder
from qbo_sync.sync.run_lock import entity_run_lock

log = logging.getLogger("qbo_sync.sync")


class TransactionPush:
    """Push one transaction mapping's records to one QuickBooks company."""

    def __init__(
        self,
        mapping: Mapping,
        client: QBOClient,
        engine: sa.Engine,
        *,
        realm_id: str,
        run_key: str,
        dry_run: bool = False,
        now: datetime | None = None,
    ) -> None:
        if mapping.transaction is None:
            raise ValueError(f"mapping `{mapping.source}` has no `transaction` block")
        recorder = RunRecorder(engine, mapping.entity, "push", run_key, dry_run)
        self.ctx = TxnRun(
            mapping, client, engine, str(realm_id), run_key, dry_run, now or datetime.now(UTC), recorder
        )
        self.linked = LinkedWriter(self.ctx)
        self._creates: list[builder.Outgoing] = []
        self._updates: list[builder.Outgoing] = []
        self._blocked: set[int] = set()

    def run(self) -> SyncCounts:
        """Push and return the counts (also in ``sync_runs``). Raises :class:`SettingsMissing`
        (expenses without their accounts), :class:`SyncAlreadyRunning`, or a transport error after
        recording what was done; per-record problems never stop the run."""
        if self.ctx.dry_run:
            return self._run()
        with entity_run_lock(self.ctx.engine, self.ctx.realm_id, self.ctx.mapping.entity):
            return self._run()

    def _run(self) -> SyncCounts:
        self.ctx.recorder.start(self.ctx.now)
        try:
            with self.ctx.engine.connect() as conn:
                look = source.load_lookups(conn, self.ctx.mapping)
            if self.ctx.mapping.transaction.build == "expense_journal_entry" and self._any_record():  # type: ignore[union-attr]
                check_settings(look)  # only when there is something to post
            if not self.ctx.dry_run:
                self._resolve_open_sends(look)
            for page in source.record_pages(self.ctx.engine, self.ctx.mapping):
                self._page(page, look)
            self._send_creates(self._creates)
            self.linked.send_updates(self._updates)
        except Exception as exc:
            self._finish("failed", f"stopped: {exc}")
            raise
        problems = []
        if self.ctx.counts.failed:
            problems.append(f"{self.ctx.counts.failed} record(s) failed; see sync_record_errors")
        if self.ctx.counts.waiting:
            problems.append(f"{self.ctx.counts.waiting} record(s) waiting for a reference")
        self._finish(PARTIAL if problems else "success", "; ".join(problems) or None)
        return self.ctx.counts

    def _any_record(self) -> bool:
        with self.ctx.engine.connect() as conn:
            return conn.execute(sa.select(self.ctx.table.c.id).limit(1)).first() is not None

    def _finish(self, status: str, message: str | None) -> None:
        self.ctx.recorder.log_overflow()
        self.ctx.recorder.finish(status, self.ctx.counts, datetime.now(UTC), message)
        prefix = "[dry run] " if self.ctx.dry_run else ""
        line = f"{prefix}{self.ctx.mapping.entity} (CMMS → QuickBooks): {describe(self.ctx.counts)}"
        (log.warning if message else log.info)("%s", line)

    def _page(self, page: list[source.TxnRecord], look: source.Lookups) -> None:
        waiting: dict[int, str] = {}
        corrected: list[int] = []
        for rec in page:
            cid = int(rec.row["id"])
            if cid in self._blocked:
                continue
            if self._is_void(rec):
                self.linked.void_or_skip(rec)
                continue
            try:
                out = builder.build(self.ctx.mapping, rec, look)
            except builder.Invalid as exc:
                self.ctx.fail(self.ctx.invalid(rec.row, exc.problems))
                continue
            except builder.Waiting as exc:
                waiting[cid] = str(exc)
                self.ctx.counts.waiting += 1
                self.ctx.recorder.warn(str(exc))
                continue
            self._route(out, corrected)
        with self.ctx.engine.begin() as conn:
            if not self.ctx.dry_run:
                write.mark_waiting(conn, self.ctx.mapping, waiting)
                write.mark_synced(conn, self.ctx.mapping, corrected)
            self.ctx.recorder.flush(conn, self.ctx.table, self.ctx.now)

    def _route(self, out: builder.Outgoing, corrected: list[int]) -> None:
        row, state = out.record.row, out.record.state or {}
        if row.get("qb_id") is None:
            self._creates.append(out)
            if len(self._creates) >= MAX_BATCH_ITEMS:
                self._send_creates(self._creates)
        elif out.revision != state.get("agreed_revision"):
            self._updates.append(out)
            if len(self._updates) >= MAX_BATCH_ITEMS:
                self.linked.send_updates(self._updates)
        else:
            self.ctx.counts.unchanged += 1
            if row.get("qb_status") == "error" and self._total_now_agrees(row):
                corrected.append(int(row["id"]))

    def _total_now_agrees(self, row: dict[str, Any]) -> bool:
        txn = self.ctx.mapping.transaction
        if txn is None or not txn.total or row.get("qb_total_amt") is None:
            return False
        return (
            write.total_mismatch(self.ctx.mapping, row, {"TotalAmt": row["qb_total_amt"], "Id": row["qb_id"]})
            is None
        )

    def _is_void(self, rec: source.TxnRecord) -> bool:
        txn = self.ctx.mapping.transaction
        return bool(txn and txn.void_when and condition_holds(txn.void_when, rec.row))

    def _send_creates(self, outs: list[builder.Outgoing]) -> None:
        items, outs[:] = list(outs), []
        if not items:
            return
        if self.ctx.dry_run:
            for o in items:
                self.ctx.counts.created += 1
                self.ctx.recorder.said(
                    "created in QuickBooks", f"{self.ctx.who(o)}: create in QuickBooks ({lines_text(o)})"
                )
            return
        self._mark_sending(items)
        bids = {o.cmms_id: o.bid(self.ctx.realm_id, self.ctx.entity, "create") for o in items}
        batch = [BatchItem(bids[o.cmms_id], "create", self.ctx.entity, o.body) for o in items]
        # The run key makes a later run a new request: an open send is resolved by lookup instead.
        content = "|".join(
            [self.ctx.run_key, *(o.request_id(self.ctx.realm_id, self.ctx.entity, "create") for o in items)]
        )
        outcomes = self.ctx.client.batch(
            batch, request_id=request_id_for(self.ctx.realm_id, self.ctx.entity, "create", content)
        )
        agreed, duplicates = write.Agreed(), []
        for o in items:
            outcome = outcomes[bids[o.cmms_id]]
            if outcome.ok and outcome.object is not None:
                revision = builder.agreed_revision(self.ctx.mapping, o, outcome.object)
                self.ctx.agree(
                    agreed, o.record.row, outcome.object, self.ctx.state(o, agreed_revision=revision)
                )
                self.ctx.counts.created += 1
                self.ctx.recorder.said(
                    "created in QuickBooks",
                    f"{self.ctx.who(o)}: created in QuickBooks (Id {outcome.object.get('Id')})",
                )
            elif isinstance(outcome.error, DuplicateDocNumber):
                duplicates.append(o)
            elif isinstance(outcome.error, AmbiguousOutcome):  # stays "sending": resolved by lookup
                self.ctx.fail(self.ctx.rejected(o.record.row, outcome.error, "create"))
            else:
                self.ctx.fail(
                    self.ctx.rejected(o.record.row, outcome.error or QBOError("no answer"), "create")
                )
                agreed.states.append(self.ctx.state(o, sending_since=None))
        self._adopt_or_clash(duplicates, agreed, {})
        self.ctx.commit(agreed)

    def _mark_sending(self, items: list[builder.Outgoing]) -> None:
        with self.ctx.engine.begin() as conn:
            source.save_states(
                conn, self.ctx.mapping.entity, [self.ctx.state(o, sending_since=self.ctx.now) for o in items]
            )

    def _resolve_open_sends(self, look: source.Lookups) -> None:
        with self.ctx.engine.connect() as conn:
            open_ = source.pending_states(conn, self.ctx.mapping.entity)
            rows = _rows_by_id(conn, self.ctx.table, list(open_))
        outs = []
        for cid, state in open_.items():
            row = rows.get(cid)
            if row is None or row.get("qb_id") is not None:
                continue
            rec = source.TxnRecord(row, [], state)
            party = builder.party_qb_id(self.ctx.mapping, row, look)
            key = self.ctx.mapping.transaction.private_note.format(**row)  # type: ignore[union-attr]
            outs.append(
                builder.Outgoing(
                    rec, {}, state.get("sent_revision") or "", state.get("doc_number") or "", key, party
                )
            )
        if not outs:
            return
        agreed = write.Agreed()
        self._adopt_or_clash(
            outs, agreed, {o.cmms_id: o.record.state.get("sent_revision") for o in outs}, resolving=True
        )  # type: ignore[union-attr]
        self.ctx.commit(agreed)

    def _adopt_or_clash(
        self,
        outs: list[builder.Outgoing],
        agreed: write.Agreed,
        revisions: dict[int, Any],
        resolving: bool = False,
    ) -> None:
        """Adopt ours among objects with the same DocNumber; report another's as a clash."""
        if not outs:
            return
        found = lookup.find_by_doc_numbers(self.ctx.client, self.ctx.entity, [o.doc_number for o in outs])
        for o in outs:
            ours, clash = lookup.choose(
                self.ctx.entity, found.get(o.doc_number.casefold(), []), o.party_qb_id, o.note_key
            )
            if ours is not None:
                self._adopt(o, ours, agreed, revisions.get(o.cmms_id), resolving)
            elif clash is not None:
                self._blocked.add(o.cmms_id)
                self.ctx.fail(self._clash(o, clash))
                agreed.states.append(self.ctx.state(o, sending_since=None))
            elif resolving:  # never reached QuickBooks: created as usual below
                agreed.states.append(self.ctx.state(o, sending_since=None))
            else:
                self.ctx.fail(
                    self.ctx.rejected(
                        o.record.row,
                        DuplicateDocNumber("Duplicate Document Number Error", code="6140"),
                        "create",
                    )
                )
                agreed.states.append(self.ctx.state(o, sending_since=None))

    def _adopt(
        self, o: builder.Outgoing, ours: dict[str, Any], agreed: write.Agreed, revision: Any, resolving: bool
    ) -> None:
        """Link the record to the object it created earlier. After an open send QuickBooks holds what
        was sent (``revision``); after a 6140 it holds an unknown earlier version, so the current one
        is sent as an update in this run."""
        state = self.ctx.state(o, agreed_revision=revision, sending_since=None)
        self.ctx.agree(agreed, o.record.row, ours, state, check_total=resolving)
        self.ctx.counts.linked += 1
        self.ctx.recorder.said(
            "linked", f"{self.ctx.who(o)}: already in QuickBooks (Id {ours['Id']}), linked"
        )
        if not resolving:
            row = {**o.record.row, "qb_id": str(ours["Id"]), "qb_sync_token": str(ours.get("SyncToken"))}
            record = source.TxnRecord(row, o.record.lines, state)
            self._updates.append(
                builder.Outgoing(record, o.body, o.revision, o.doc_number, o.note_key, o.party_qb_id)
            )

    def _clash(self, o: builder.Outgoing, other: dict[str, Any]) -> RecordFailure:
        party = (other.get("CustomerRef") or other.get("VendorRef") or {}).get("name")
        whose = f" for '{party}'" if party else ""
        label = self.ctx.mapping.label.lower()
        return RecordFailure(
            message=(
                f"{self.ctx.who(o)}: QuickBooks already has {_article(label)} {label} numbered "
                f"{o.doc_number}{whose} (QuickBooks Id "
                f"{other.get('Id')}) that this sync did not create, so this {label} was not sent "
                "(it would be a "
                f"second document with the same number). Give the CMMS {label} another number, or "
                "renumber or "
                "void the one in QuickBooks, then run the sync again."
            ),
            code="doc_number_clash",
            cmms_id=o.cmms_id,
            qb_id=str(other.get("Id")),
            detail=f"DocNumber {o.doc_number} is QuickBooks {self.ctx.entity} {other.get('Id')}",
        )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _rows_by_id(conn: sa.Connection, table: sa.Table, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    return {int(r.id): dict(r._mapping) for r in conn.execute(sa.select(table).where(table.c.id.in_(ids)))}
