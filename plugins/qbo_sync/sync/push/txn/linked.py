"""Changes to transactions already in QuickBooks: an edit becomes a sparse update with the current
SyncToken that replaces the lines (5010: re-read the SyncToken, resend once: the CMMS owns its
transactions), and a voided CMMS invoice is voided in QuickBooks (refused in words when payments are
applied to it)."""

from __future__ import annotations

from typing import Any

from qbo_sync.qbo.client import BatchItem, request_id_for
from qbo_sync.qbo.errors import QBOError, RecordRejected, StaleObject
from qbo_sync.sync.push.txn import build as builder
from qbo_sync.sync.push.txn import source, write
from qbo_sync.sync.push.txn.run import TxnRun, lines_text
from qbo_sync.sync.record import messages
from qbo_sync.sync.record.recorder import RecordFailure


class LinkedWriter:
    """Updates and voids of linked transactions within one :class:`TxnRun`."""

    def __init__(self, run: TxnRun) -> None:
        self.ctx = run

    def send_updates(self, outs: list[builder.Outgoing]) -> None:
        items, outs[:] = list(outs), []
        if not items:
            return
        if self.ctx.dry_run:
            for o in items:
                self.ctx.counts.updated += 1
                self.ctx.recorder.said(
                    "updated in QuickBooks", f"{self.ctx.who(o)}: update in QuickBooks ({lines_text(o)})"
                )
            return
        bids = {o.cmms_id: o.bid(self.ctx.realm_id, self.ctx.entity, "update") for o in items}
        batch = [BatchItem(bids[o.cmms_id], "update", self.ctx.entity, self._update_body(o)) for o in items]
        content = "|".join(
            [self.ctx.run_key, *(o.request_id(self.ctx.realm_id, self.ctx.entity, "update") for o in items)]
        )
        outcomes = self.ctx.client.batch(
            batch, request_id=request_id_for(self.ctx.realm_id, self.ctx.entity, "update", content)
        )
        agreed = write.Agreed()
        for o in items:
            outcome = outcomes[bids[o.cmms_id]]
            obj = outcome.object if outcome.ok else None
            if isinstance(outcome.error, StaleObject):
                obj = self._retry_stale(o)
            elif not outcome.ok:
                self.ctx.fail(
                    self.ctx.rejected(o.record.row, outcome.error or QBOError("no answer"), "update")
                )
            if obj is not None:
                self.ctx.agree(
                    agreed,
                    o.record.row,
                    obj,
                    self.ctx.state(
                        o,
                        agreed_revision=builder.agreed_revision(self.ctx.mapping, o, obj),
                        sending_since=None,
                    ),
                )
                self.ctx.counts.updated += 1
                self.ctx.recorder.said(
                    "updated in QuickBooks", f"{self.ctx.who(o)}: updated in QuickBooks (lines replaced)"
                )
        self.ctx.commit(agreed)

    def _update_body(self, o: builder.Outgoing, sync_token: str | None = None) -> dict[str, Any]:
        row = o.record.row
        token = sync_token if sync_token is not None else row.get("qb_sync_token")
        return {**o.body, "Id": str(row["qb_id"]), "SyncToken": str(token), "sparse": True}

    def _retry_stale(self, o: builder.Outgoing) -> dict[str, Any] | None:
        """5010: someone saved it in QuickBooks meanwhile; the CMMS owns transactions, so resend once
        with the current SyncToken."""
        current = self.ctx.client.get(self.ctx.entity, str(o.record.row["qb_id"]))
        try:
            return self.ctx.client.update(
                self.ctx.entity, self._update_body(o, str(current.get("SyncToken"))), sparse=True
            )
        except RecordRejected as exc:
            self.ctx.fail(self.ctx.rejected(o.record.row, exc, "update"))
            return None

    def void_or_skip(self, rec: source.TxnRecord) -> None:
        row, state = rec.row, rec.state or {}
        if row.get("qb_id") is None:
            self.ctx.counts.skipped += 1  # voided before it was ever sent: nothing to do in QuickBooks
            return
        if state.get("voided"):
            self.ctx.counts.unchanged += 1
            return
        if self.ctx.dry_run:
            self.ctx.counts.updated += 1
            self.ctx.recorder.said(
                "updated in QuickBooks", f"{self.ctx.mapping.describe(row)}: void in QuickBooks"
            )
            return
        obj = self._void(row)
        if obj is None:
            with self.ctx.engine.begin() as conn:
                self.ctx.recorder.flush(conn, self.ctx.table, self.ctx.now)
            return
        agreed = write.Agreed()
        new_state = {**state, "cmms_id": int(row["id"]), "voided": True, "sending_since": None}
        self.ctx.agree(agreed, row, obj, new_state)
        self.ctx.counts.updated += 1
        self.ctx.recorder.said(
            "updated in QuickBooks", f"{self.ctx.mapping.describe(row)}: voided in QuickBooks"
        )
        self.ctx.commit(agreed)

    def _void(self, row: dict[str, Any]) -> dict[str, Any] | None:
        qb_id, token = str(row["qb_id"]), str(row.get("qb_sync_token"))
        rid = request_id_for(self.ctx.realm_id, self.ctx.entity, row["id"], f"void:{token}")
        try:
            try:
                return self.ctx.client.void(self.ctx.entity, qb_id, token, rid)
            except StaleObject:
                token = str(self.ctx.client.get(self.ctx.entity, qb_id).get("SyncToken"))
                return self.ctx.client.void(
                    self.ctx.entity,
                    qb_id,
                    token,
                    request_id_for(self.ctx.realm_id, self.ctx.entity, row["id"], f"void:{token}"),
                )
        except RecordRejected as exc:
            self.ctx.fail(self._void_refused(row, exc))
            return None

    def _void_refused(self, row: dict[str, Any], error: RecordRejected) -> RecordFailure:
        said = " ".join(filter(None, [error.message, error.detail]))
        who = self.ctx.mapping.describe(row)
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
