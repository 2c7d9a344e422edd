"""Great Expectations Data Docs of the payment batches: GX's own site (index + one page per
validation) under ``$QBO_GX_DOCS_DIR``, named by the quarantine report."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from tests.payments.conftest import OK, World, q, run_payments

pytestmark = pytest.mark.usefixtures("airflow_db")


def _row_of(html: str, text: str) -> str:
    """The table row of a Data Docs validation page that holds ``text``."""
    rows = [row for row in re.split(r"<tr\b", html) if text in row]
    assert len(rows) == 1, f"{text!r} is in {len(rows)} rows of the page"
    return rows[0]


def test_a_quarantined_batch_has_a_data_docs_page_naming_the_failed_expectation(
    world: World, _gx_docs_dir: Path
) -> None:
    assert run_payments() == OK
    _, a_qb = world.invoice("100.00")
    good = world.pay("40.00", {a_qb: "40.00"}, "CHK-DOCS")
    world.load_corrupt(good, a_qb)

    assert run_payments()["audit"] == "failed"
    batch = q(world.engine, "SELECT id, status, report FROM payment_batches ORDER BY id DESC LIMIT 1")[0]
    assert batch.status == "quarantined"
    index = _gx_docs_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert f"Great Expectations Data Docs: {index}\n" in batch.report
    pages = re.findall(r"    this batch: (.+\.html)", batch.report)
    run_dir = f"payment batch {batch.id} before publishing"
    frames = ("applications", "invoices", "payments")  # one page per validated frame
    assert sorted(Path(p).relative_to(index.parent).parts[:4] for p in pages) == [
        ("validations", "payments_batch", frame, run_dir) for frame in frames
    ]
    by_frame = {Path(p).parts[-4]: Path(p).read_text() for p in pages}
    failed = "fas fa-times text-danger"
    row = _row_of(by_frame["invoices"], "applications never exceed the invoice's total")
    assert failed in row and "ExpectColumnPairValuesAToBeGreaterThanB" in row
    row = _row_of(by_frame["payments"], "total_amount is not negative (ExpectColumnValuesToBeBetween)")
    assert failed in row
    passed = _row_of(by_frame["payments"], "QuickBooks payment ids are unique in the batch")
    assert failed not in passed and "fa-check-circle" in passed
    assert run_dir in index.read_text()  # the site's index lists the batch's validations

    # the batch fixed in QuickBooks: the next run publishes, and its validations join the same site
    world.sandbox.company.delete("Payment", {"Id": "990001", "SyncToken": "0"})
    assert run_payments() == OK
    docs = q(
        world.engine, "SELECT validation->'data_docs' AS docs FROM payment_batches ORDER BY id DESC LIMIT 1"
    )[0].docs
    assert docs["index"] == str(index)
    assert [Path(p).parts[-3] for p in docs["pages"]] == [
        f"payment batch {batch.id + 1} after publishing"
    ]  # the invoices re-derived and compared with QuickBooks' Balance, after publishing
    assert f"payment batch {batch.id + 1} before publishing" in index.read_text()
    assert run_dir in index.read_text()  # the quarantined batch's pages stay


def test_docs_that_cannot_be_written_do_not_fail_the_run(
    world: World, sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("QBO_GX_DOCS_DIR", str(blocker / "docs"))
    assert run_payments() == OK
    _, a_qb = world.invoice("100.00")
    world.load_corrupt(world.pay("40.00", {a_qb: "40.00"}, "CHK-NODOCS"), a_qb)
    assert run_payments()["audit"] == "failed"
    report = q(world.engine, "SELECT report FROM payment_batches ORDER BY id DESC LIMIT 1")[0].report
    assert "Great Expectations Data Docs: not written (see the task log)" in report
    assert "payment = 990001, total_amount = -25.00" in report


def _old_docs(batch_id: int, age: timedelta) -> dict[str, Any]:
    """Great Expectations Data Docs of a batch validated ``age`` ago (a real validation)."""
    from qbo_sync.payments.audit import validate
    from qbo_sync.payments.docs import write_data_docs
    from qbo_sync.payments.frames import batch_frames
    from qbo_sync.payments.parse import PaymentRecord
    from qbo_sync.payments.prepare import PreparedBatch
    from qbo_sync.payments.suites import BATCH_CHECKS

    rec = PaymentRecord("77", "0", "active", total_amount=D("10.00"), unapplied_amount=D("10.00"))
    audit = validate(batch_frames(PreparedBatch(payments=[rec])), BATCH_CHECKS, "payments_batch")
    docs = write_data_docs(batch_id, "before publishing", audit, datetime.now(UTC) - age)
    assert docs is not None and docs["pages"]
    return docs


def _stored_results(root: Path, batch_id: int) -> list[Path]:
    return list((root / "gx" / "uncommitted" / "validations").rglob(f"payment batch {batch_id} *"))


def test_data_docs_older_than_the_retention_go_at_the_end_of_a_run(world: World, _gx_docs_dir: Path) -> None:
    old = _old_docs(9001, timedelta(days=15))
    recent = _old_docs(9002, timedelta(days=13))
    index = Path(old["index"])
    assert "payment batch 9001 before publishing" in index.read_text()
    (stored,) = _stored_results(_gx_docs_dir, 9001)
    # a result someone else keeps in the same GX store, as old: not this product's to delete
    (ours,) = stored.rglob("*.json")
    theirs = stored.parent / "team orders nightly" / ours.parent.name / "team-orders-1.json"
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(ours.read_bytes())

    _, a_qb = world.invoice("100.00")
    world.pay("40.00", {a_qb: "40.00"}, "CHK-RETAIN")
    assert run_payments() == OK  # the default retention: 14 days
    batch = q(world.engine, "SELECT id FROM payment_batches ORDER BY id DESC LIMIT 1")[0].id

    text = index.read_text()
    assert "payment batch 9001" not in text  # gone from the index, the pages and the store
    assert not any(Path(p).exists() for p in old["pages"]) and not _stored_results(_gx_docs_dir, 9001)
    assert "payment batch 9002 before publishing" in text  # 13 days old: kept
    assert all(Path(p).exists() for p in recent["pages"]) and _stored_results(_gx_docs_dir, 9002)
    assert f"payment batch {batch} before publishing" in text and f"payment batch {batch} after" in text
    assert theirs.exists()


def test_the_retention_setting(_gx_docs_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    from qbo_sync.payments.docs_retention import prune_data_docs

    assert prune_data_docs() is None  # no docs yet: nothing to do
    _old_docs(9101, timedelta(days=5))
    _old_docs(9102, timedelta(days=2))
    monkeypatch.setenv("QBO_GX_DOCS_RETENTION_DAYS", "0")  # keeps everything
    assert prune_data_docs() is None and _stored_results(_gx_docs_dir, 9101)
    monkeypatch.setenv("QBO_GX_DOCS_RETENTION_DAYS", "two weeks")
    caplog.set_level(logging.WARNING, logger="qbo_sync.payments")
    assert prune_data_docs() is None  # the default, 14 days: nothing that old
    assert (
        "payments: QBO_GX_DOCS_RETENTION_DAYS='two weeks' is not a whole number of days "
        "(0 keeps every result); keeping Great Expectations Data Docs for 14 days"
    ) in caplog.messages
    monkeypatch.setenv("QBO_GX_DOCS_RETENTION_DAYS", "3")
    pruned = prune_data_docs()
    assert pruned is not None and (pruned.removed, pruned.kept) == (1, 1)  # one frame validated each
    assert not _stored_results(_gx_docs_dir, 9101) and _stored_results(_gx_docs_dir, 9102)
    text = Path(pruned.index).read_text()
    assert "payment batch 9101" not in text and "payment batch 9102 before publishing" in text
