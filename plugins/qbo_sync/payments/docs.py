"""Great Expectations Data Docs of the payment batches: an HTML site the data team can open.

Every validation of a batch (before publishing, and inside the publish transaction) is stored in a
Great Expectations *file* data context rooted at :func:`docs_root` (``$QBO_GX_DOCS_DIR``, else
``$AIRFLOW_HOME/gx_data_docs``): the suites in ``gx/expectations/``, the validation results in
``gx/uncommitted/validations/``, and GX's own site builder renders them to
``gx/uncommitted/data_docs/local_site/`` (``index.html``; one page per validation, under
``validations/<suite>/payment batch <id> <stage>/<time>/``). Each expectation carries its check's
name as its description, so a page says which check failed in the words of the quarantine report.

Writing the docs never fails a run: the same results stay on ``payment_batches.validation``; a
failure to write is logged and the report says the docs are missing. Results older than the
retention (``$QBO_GX_DOCS_RETENTION_DAYS``, default 14 days) are removed at the end of every
payment run by :mod:`~qbo_sync.payments.docs_retention`.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qbo_sync.payments.audit import AuditResult

log = logging.getLogger("qbo_sync.payments")

DOCS_ENV = "QBO_GX_DOCS_DIR"
SITE = "local_site"
# Every result this product stores is named for its batch; the retention prunes only those.
BATCH_PREFIX = "payment-batch-"


def docs_root() -> Path:
    """The Great Expectations project folder the docs are written under."""
    configured = os.environ.get(DOCS_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path(os.environ.get("AIRFLOW_HOME") or "~/airflow").expanduser() / "gx_data_docs"


def site_index(root: Path | None = None) -> Path:
    """The Data Docs site's ``index.html`` under ``root`` (default :func:`docs_root`)."""
    return (root or docs_root()) / "gx" / "uncommitted" / "data_docs" / SITE / "index.html"


def write_data_docs(
    batch_id: int, stage: str, audit: AuditResult, run_time: datetime | None = None
) -> dict[str, Any] | None:
    """Store ``audit``'s validation results (dated ``run_time``, default now) and build their
    pages; returns ``{"index": ..., "pages": [...]}`` (file paths), or None when nothing was
    validated or the docs could not be written (logged)."""
    if not audit.validations:
        return None
    root = docs_root()
    try:
        return _write(root, batch_id, stage, audit, run_time or datetime.now(UTC))
    except Exception as exc:  # docs are a view of results kept elsewhere; never fail the run for them
        log.warning("payments: Great Expectations Data Docs not written under %s: %s", root, exc)
        return None


def _write(root: Path, batch_id: int, stage: str, audit: AuditResult, run_time: datetime) -> dict[str, Any]:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(root))
    run_id = RunIdentifier(run_name=f"payment batch {batch_id} {stage}", run_time=run_time)
    keys = []
    for suite, result in audit.validations.items():
        ctx.suites.add_or_update(audit.suites[suite])
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite),
            run_id=run_id,
            batch_identifier=f"{BATCH_PREFIX}{batch_id}",
        )
        ctx.validation_results_store.set(key, result)
        keys.append(key)
    ctx.build_data_docs(site_names=[SITE], resource_identifiers=keys)
    site = site_index(root).parent
    pages = [
        str(page)
        for suite in audit.validations
        for page in site.joinpath("validations", *suite.split("."), run_id.run_name).glob(
            f"*/{BATCH_PREFIX}{batch_id}.html"
        )
    ]
    return {"index": str(site_index(root)), "pages": sorted(pages)}
