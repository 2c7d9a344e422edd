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

from qbo_sync.db import schema
from qbo_sync.mapping import Mapping
from qbo_sync.mapping.model import condition_holds
from qbo_sync.qbo.client import MAX_BATCH_ITEMS, BatchItem, QBOClient, request_id_for
from qbo_sync.qbo.errors import AmbiguousOutcome, DuplicateDocNumber, QBOError, RecordRejected, StaleObject
from qbo_sync.sync import messages
from qbo_sync.sync.counts import SyncCounts
from qbo_sync.sync.record import PARTIAL, RecordFailure, RunRecorder
from qbo_sync.sync.run_lock import entity_run_lock
from qbo_sync.sync.txn import build as builder
from qbo_sync.sync.txn import lookup, source, write
from qbo_sync.sync.txn.expense import SettingsMissing, check_settings

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
        self.mapping = mapping
        self.entity = mapping.qbo_entity
        self.client = client
        self.engine = engine
        self.realm_id = str(realm_id)
        self.run_key = run_key
        self.dry_run = dry_run
        self.now = now or datetime.now(UTC)
        self.counts = SyncCounts()
        self.recorder = RunRecorder(engine, mapping.entity, "push", run_key, dry_run)
        self.table = schema.metadata.tables[mapping.cmms_table]
        self._creates: list[builder.Outgoing] = []
        self._updates: list[builder.Outgoing] = []
        self._blocked: set[int] = set()

    def run(self) -> SyncCounts:
        """Push and return the counts (also in ``sync_runs``). Raises :class:`SettingsMissing`
        (expenses without their accounts), :class:`SyncAlreadyRunning`, or a transport error after
        recording what was done; per-record problems never stop the run."""
        if self.dry_run:
            return self._run()
        with entity_run_lock(self.engine, self.realm_id, self.mapping.entity):
            return self._run()

    def _run(self) -> SyncCounts:
        self.recorder.start(self.now)
        try:
            with self.engine.connect() as conn:
                look = source.load_lookups(conn, self.mapping)
            if self.mapping.transaction.build == "expense_journal_entry":  # type: ignore[union-attr]
                check_settings(look)
            if not self.dry_run:
                self._resolve_open_sends(look)
            for page in source.record_pages(self.engine, self.mapping):
                self._page(page, look)
            self._send_creates(self._creates)
            self._send_updates(self._updates)
        except Exception as exc:
            self._finish("failed", f"stopped: {exc}")
            raise
        problems = []
        if self.counts.failed:
            problems.append(f"{self.counts.failed} record(s) failed; see sync_record_errors")
        if self.counts.waiting:
            problems.append(f"{self.counts.waiting} record(s) waiting for a reference")
        self._finish(PARTIAL if problems else "success", "; ".join(problems) or None)
        return self.counts

    def _finish(self, status: str, message: str | None) -> None:
        self.recorder.log_overflow()
        self.recorder.finish(status, self.counts, datetime.now(UTC), message)
        line = f"{'[dry run] ' if self.dry_run else ''}{self.mapping.entity} (CMMS → QuickBooks): {describe(self.counts)}"
        (log.warning if message else log.info)("%s", line)

    # --- one page of records ----------------------------------------------------------------------

    def _page(self, page: list[source.TxnRecord], look: source.Lookups) -> None:
        waiting: dict[int, str] = {}
        corrected: list[int] = []
        for rec in page:
            cid = int(rec.row["id"])
            if cid in self._blocked:
                continue
            if self._is_void(rec):
                self._void_or_skip(rec)
                continue
            try:
                out = builder.build(self.mapping, rec, look)
            except builder.Invalid as exc:
                self._fail(self._invalid(rec.row, exc.problems))
                continue
            except builder.Waiting as exc:
                waiting[cid] = str(exc)
                self.counts.waiting += 1
                self.recorder.warn(str(exc))
                continue
            self._route(out, corrected)
        with self.engine.begin() as conn:
            if not self.dry_run:
                write.mark_waiting(conn, self.mapping, waiting)
                write.mark_synced(conn, self.mapping, corrected)
            self.recorder.flush(conn, self.table, self.now)

    def _route(self, out: builder.Outgoing, corrected: list[int]) -> None:
        row, state = out.record.row, out.record.state or {}
        if row.get("qb_id") is None:
            self._creates.append(out)
            if len(self._creates) >= MAX_BATCH_ITEMS:
                self._send_creates(self._creates)
        elif out.revision != state.get("agreed_revision"):
            self._updates.append(out)
            if len(self._updates) >= MAX_BATCH_ITEMS:
                self._send_updates(self._updates)
        else:
            self.counts.unchanged += 1
            if row.get("qb_status") == "error" and self._total_now_agrees(row):
                corrected.append(int(row["id"]))

    def _total_now_agrees(self, row: dict[str, Any]) -> bool:
        txn = self.mapping.transaction
        if txn is None or not txn.total or row.get("qb_total_amt") is None:
            return False
        return (
            write.total_mismatch(self.mapping, row, {"TotalAmt": row["qb_total_amt"], "Id": row["qb_id"]})
            is None
        )

    def _is_void(self, rec: source.TxnRecord) -> bool:
        txn = self.mapping.transaction
        return bool(txn and txn.void_when and condition_holds(txn.void_when, rec.row))

    # --- failures -----------------------------------------------------------------------------------

    def _fail(self, failure: RecordFailure) -> None:
        self.counts.failed += 1
        self.recorder.fail_record(failure)

    def _invalid(self, row: dict[str, Any], problems: list[str]) -> RecordFailure:
        return RecordFailure(
            message=f"{self.mapping.describe(row)}: {'; '.join(problems)}. Nothing was sent to QuickBooks. "
            f"{messages.FIX_AND_RERUN}",
            code="invalid",
            cmms_id=int(row["id"]),
            qb_id=row.get("qb_id"),
        )

    def _rejected(self, row: dict[str, Any], error: QBOError, action: str) -> RecordFailure:
        if isinstance(error, AmbiguousOutcome):
            return RecordFailure(
                message=f"{self.mapping.describe(row)}: QuickBooks did not confirm the {action}. The next "
                "sync looks it up by its number before sending it again, so no duplicate is created.",
                code="ambiguous",
                cmms_id=int(row["id"]),
                qb_id=row.get("qb_id"),
                detail=str(error),
                intuit_tid=error.intuit_tid,
            )
        return messages.rejected(self.mapping, row, error, action)

    # --- creates ------------------------------------------------------------------------------------

    def _send_creates(self, outs: list[builder.Outgoing]) -> None:
        items, outs[:] = list(outs), []
        if not items:
            return
        if self.dry_run:
            for o in items:
                self.counts.created += 1
                self.recorder.said(
                    "created in QuickBooks", f"{self._who(o)}: create in QuickBooks ({_lines(o)})"
                )
            return
        self._mark_sending(items)
        bids = {o.cmms_id: o.bid(self.realm_id, self.entity, "create") for o in items}
        batch = [BatchItem(bids[o.cmms_id], "create", self.entity, o.body) for o in items]
        # The run key makes a later run a new request: an open send is resolved by lookup instead.
        content = "|".join(
            [self.run_key, *(o.request_id(self.realm_id, self.entity, "create") for o in items)]
        )
        outcomes = self.client.batch(
            batch, request_id=request_id_for(self.realm_id, self.entity, "create", content)
        )
        agreed, duplicates = write.Agreed(), []
        for o in items:
            outcome = outcomes[bids[o.cmms_id]]
            if outcome.ok and outcome.object is not None:
                revision = builder.agreed_revision(self.mapping, o, outcome.object)
                self._agree(agreed, o.record.row, outcome.object, self._state(o, agreed_revision=revision))
                self.counts.created += 1
                self.recorder.said(
                    "created in QuickBooks",
                    f"{self._who(o)}: created in QuickBooks (Id {outcome.object.get('Id')})",
                )
            elif isinstance(outcome.error, DuplicateDocNumber):
                duplicates.append(o)
            elif isinstance(outcome.error, AmbiguousOutcome):  # stays "sending": resolved by lookup
                self._fail(self._rejected(o.record.row, outcome.error, "create"))
            else:
                self._fail(self._rejected(o.record.row, outcome.error or QBOError("no answer"), "create"))
                agreed.states.append(self._state(o, sending_since=None))
        self._adopt_or_clash(duplicates, agreed, {})
        self._commit(agreed)

    def _state(self, o: builder.Outgoing, **changes: Any) -> dict[str, Any]:
        old = o.record.state or {}
        state = {
            "cmms_id": o.cmms_id,
            "doc_number": o.doc_number,
            "agreed_revision": old.get("agreed_revision"),
            "sent_revision": o.revision,
            "request_id": o.request_id(self.realm_id, self.entity, "create"),
            "sending_since": old.get("sending_since"),
            "voided": bool(old.get("voided")),
        }
        state.update(changes)
        return state

    def _mark_sending(self, items: list[builder.Outgoing]) -> None:
        with self.engine.begin() as conn:
            source.save_states(
                conn, self.mapping.entity, [self._state(o, sending_since=self.now) for o in items]
            )

    def _agree(
        self, agreed: write.Agreed, row: dict[str, Any], obj: dict[str, Any], state: dict[str, Any], **kw: Any
    ) -> None:
        before = len(agreed.failures)
        write.agree(agreed, self.mapping, row, obj, state, self.now, **kw)
        for failure in agreed.failures[before:]:
            self._fail(failure)

    def _commit(self, agreed: write.Agreed) -> None:
        with self.engine.begin() as conn:
            write.write(conn, self.mapping, agreed)
            self.recorder.flush(conn, self.table, self.now)

    # --- open sends, duplicates: look up by DocNumber -------------------------------------------------

    def _resolve_open_sends(self, look: source.Lookups) -> None:
        with self.engine.connect() as conn:
            open_ = source.pending_states(conn, self.mapping.entity)
            rows = _rows_by_id(conn, self.table, list(open_))
        outs = []
        for cid, state in open_.items():
            row = rows.get(cid)
            if row is None or row.get("qb_id") is not None:
                continue
            rec = source.TxnRecord(row, [], state)
            party = builder.party_qb_id(self.mapping, row, look)
            key = self.mapping.transaction.private_note.format(**row)  # type: ignore[union-attr]
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
        self._commit(agreed)

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
        found = lookup.find_by_doc_numbers(self.client, self.entity, [o.doc_number for o in outs])
        for o in outs:
            ours, clash = lookup.choose(
                self.entity, found.get(o.doc_number.casefold(), []), o.party_qb_id, o.note_key
            )
            if ours is not None:
                self._adopt(o, ours, agreed, revisions.get(o.cmms_id), resolving)
            elif clash is not None:
                self._blocked.add(o.cmms_id)
                self._fail(self._clash(o, clash))
                agreed.states.append(self._state(o, sending_since=None))
            elif resolving:  # never reached QuickBooks: created as usual below
                agreed.states.append(self._state(o, sending_since=None))
            else:
                self._fail(
                    self._rejected(
                        o.record.row,
                        DuplicateDocNumber("Duplicate Document Number Error", code="6140"),
                        "create",
                    )
                )
                agreed.states.append(self._state(o, sending_since=None))

    def _adopt(
        self, o: builder.Outgoing, ours: dict[str, Any], agreed: write.Agreed, revision: Any, resolving: bool
    ) -> None:
        """Link the record to the object it created earlier. After an open send QuickBooks holds what
        was sent (``revision``); after a 6140 it holds an unknown earlier version, so the current one
        is sent as an update in this run."""
        state = self._state(o, agreed_revision=revision, sending_since=None)
        self._agree(agreed, o.record.row, ours, state, check_total=resolving)
        self.counts.linked += 1
        self.recorder.said("linked", f"{self._who(o)}: already in QuickBooks (Id {ours['Id']}), linked")
        if not resolving:
            row = {**o.record.row, "qb_id": str(ours["Id"]), "qb_sync_token": str(ours.get("SyncToken"))}
            record = source.TxnRecord(row, o.record.lines, state)
            self._updates.append(builder.Outgoing(record, o.body, o.revision, o.doc_number, o.note_key, o.party_qb_id))

    def _clash(self, o: builder.Outgoing, other: dict[str, Any]) -> RecordFailure:
        party = (other.get("CustomerRef") or other.get("VendorRef") or {}).get("name")
        whose = f" for '{party}'" if party else ""
        label = self.mapping.label.lower()
        return RecordFailure(
            message=(
                f"{self._who(o)}: QuickBooks already has {_article(label)} {label} numbered {o.doc_number}{whose} (QuickBooks Id "
                f"{other.get('Id')}) that this sync did not create, so this {label} was not sent (it would be a "
                f"second document with the same number). Give the CMMS {label} another number, or renumber or "
                "void the one in QuickBooks, then run the sync again."
            ),
            code="doc_number_clash",
            cmms_id=o.cmms_id,
            qb_id=str(other.get("Id")),
            detail=f"DocNumber {o.doc_number} is QuickBooks {self.entity} {other.get('Id')}",
        )

    def _who(self, o: builder.Outgoing) -> str:
        return self.mapping.describe(o.record.row)

    # --- updates and voids of linked records ---------------------------------------------------------

    def _send_updates(self, outs: list[builder.Outgoing]) -> None:
        items, outs[:] = list(outs), []
        if not items:
            return
        if self.dry_run:
            for o in items:
                self.counts.updated += 1
                self.recorder.said(
                    "updated in QuickBooks", f"{self._who(o)}: update in QuickBooks ({_lines(o)})"
                )
            return
        bids = {o.cmms_id: o.bid(self.realm_id, self.entity, "update") for o in items}
        batch = [BatchItem(bids[o.cmms_id], "update", self.entity, self._update_body(o)) for o in items]
        content = "|".join(
            [self.run_key, *(o.request_id(self.realm_id, self.entity, "update") for o in items)]
        )
        outcomes = self.client.batch(
            batch, request_id=request_id_for(self.realm_id, self.entity, "update", content)
        )
        agreed = write.Agreed()
        for o in items:
            outcome = outcomes[bids[o.cmms_id]]
            obj = outcome.object if outcome.ok else None
            if isinstance(outcome.error, StaleObject):
                obj = self._retry_stale(o)
            elif not outcome.ok:
                self._fail(self._rejected(o.record.row, outcome.error or QBOError("no answer"), "update"))
            if obj is not None:
                self._agree(
                    agreed, o.record.row, obj, self._state(o, agreed_revision=builder.agreed_revision(self.mapping, o, obj), sending_since=None)
                )
                self.counts.updated += 1
                self.recorder.said(
                    "updated in QuickBooks", f"{self._who(o)}: updated in QuickBooks (lines replaced)"
                )
        self._commit(agreed)

    def _update_body(self, o: builder.Outgoing, sync_token: str | None = None) -> dict[str, Any]:
        row = o.record.row
        token = sync_token if sync_token is not None else row.get("qb_sync_token")
        return {**o.body, "Id": str(row["qb_id"]), "SyncToken": str(token), "sparse": True}

    def _retry_stale(self, o: builder.Outgoing) -> dict[str, Any] | None:
        """5010: someone saved it in QuickBooks meanwhile; the CMMS owns transactions, so resend once
        with the current SyncToken."""
        current = self.client.get(self.entity, str(o.record.row["qb_id"]))
        try:
            return self.client.update(
                self.entity, self._update_body(o, str(current.get("SyncToken"))), sparse=True
            )
        except RecordRejected as exc:
            self._fail(self._rejected(o.record.row, exc, "update"))
            return None

    def _void_or_skip(self, rec: source.TxnRecord) -> None:
        row, state = rec.row, rec.state or {}
        if row.get("qb_id") is None:
            self.counts.skipped += 1  # voided before it was ever sent: nothing to do in QuickBooks
            return
        if state.get("voided"):
            self.counts.unchanged += 1
            return
        if self.dry_run:
            self.counts.updated += 1
            self.recorder.said("updated in QuickBooks", f"{self.mapping.describe(row)}: void in QuickBooks")
            return
        obj = self._void(row)
        if obj is None:
            with self.engine.begin() as conn:
                self.recorder.flush(conn, self.table, self.now)
            return
        agreed = write.Agreed()
        new_state = {**state, "cmms_id": int(row["id"]), "voided": True, "sending_since": None}
        self._agree(agreed, row, obj, new_state)
        self.counts.updated += 1
        self.recorder.said("updated in QuickBooks", f"{self.mapping.describe(row)}: voided in QuickBooks")
        self._commit(agreed)

    def _void(self, row: dict[str, Any]) -> dict[str, Any] | None:
        qb_id, token = str(row["qb_id"]), str(row.get("qb_sync_token"))
        rid = request_id_for(self.realm_id, self.entity, row["id"], f"void:{token}")
        try:
            try:
                return self.client.void(self.entity, qb_id, token, rid)
            except StaleObject:
                token = str(self.client.get(self.entity, qb_id).get("SyncToken"))
                return self.client.void(
                    self.entity,
                    qb_id,
                    token,
                    request_id_for(self.realm_id, self.entity, row["id"], f"void:{token}"),
                )
        except RecordRejected as exc:
            self._fail(self._void_refused(row, exc))
            return None

    def _void_refused(self, row: dict[str, Any], error: RecordRejected) -> RecordFailure:
        said = " ".join(filter(None, [error.message, error.detail]))
        who = self.mapping.describe(row)
        if "payment" in said.lower():
            text = (
                f"{who}: QuickBooks refuses to void it because payments are applied to it (QuickBooks said: "
                f"{said.rstrip('. ')}). Remove or void those payments in QuickBooks first; the invoice is "
                "voided by the next sync."
            )
        else:
            text = f"{who}: QuickBooks refused to void it: {said.rstrip('. ')}. {messages.FIX_AND_RERUN}"
        return RecordFailure(
            message=text,
            code=f"qbo_{error.code}" if error.code else "void_refused",
            cmms_id=int(row["id"]),
            qb_id=str(row["qb_id"]),
            detail=str(error),
            intuit_tid=error.intuit_tid,
        )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _lines(o: builder.Outgoing) -> str:
    body = o.body
    return f"DocNumber {o.doc_number}, {len(body.get('Line') or [])} line(s)"


def _rows_by_id(conn: sa.Connection, table: sa.Table, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    return {int(r.id): dict(r._mapping) for r in conn.execute(sa.select(table).where(table.c.id.in_(ids)))}


OUTCOMES = (
    ("created", "created in QuickBooks"),
    ("updated", "updated in QuickBooks"),
    ("linked", "already in QuickBooks, linked"),
    ("waiting", "waiting for a reference"),
    ("failed", "failed"),
    ("skipped", "voided before sending, not sent"),
    ("unchanged", "unchanged"),
)


def describe(counts: SyncCounts) -> str:
    """Counts in words, direction and outcome: "3 created in QuickBooks, 1 waiting for a reference"."""
    parts = [f"{getattr(counts, attr)} {words}" for attr, words in OUTCOMES if getattr(counts, attr)]
    return ", ".join(parts) or "nothing to send"


def outcome_counts(counts: SyncCounts) -> dict[str, int]:
    """What the task returns through XCom, keyed by direction and outcome."""
    return {words: getattr(counts, attr) for attr, words in OUTCOMES}
