"""Retention of the payment batches' Great Expectations Data Docs (see :mod:`.docs`).

A run every 30 minutes writes a validation result (and its page) per validated frame: about 300
pages a day. At the end of each payment run :func:`prune_data_docs` removes the validation results
older than the retention from the GX validations store (``gx/uncommitted/validations/``), then
rebuilds the site's index with GX's own index builder, which also deletes the pages whose results
are gone. The same results stay on ``payment_batches.validation`` in the CMMS database.

The retention is ``$QBO_GX_DOCS_RETENTION_DAYS`` whole days (default :data:`DEFAULT_DAYS`; ``0``
keeps everything). Like writing the docs, pruning them never fails a run: a problem is logged.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from qbo_sync.payments.docs import BATCH_PREFIX, SITE, docs_root, site_index

log = logging.getLogger("qbo_sync.payments")

RETENTION_ENV = "QBO_GX_DOCS_RETENTION_DAYS"
DEFAULT_DAYS = 14


def retention() -> timedelta | None:
    """How long validation results are kept (None: forever). An unreadable setting is logged and
    the default used."""
    raw = os.environ.get(RETENTION_ENV, "").strip()
    if not raw:
        return timedelta(days=DEFAULT_DAYS)
    if not raw.isdigit():
        log.warning(
            "payments: %s=%r is not a whole number of days (0 keeps every result); "
            "keeping Great Expectations Data Docs for %d days",
            RETENTION_ENV,
            raw,
            DEFAULT_DAYS,
        )
        return timedelta(days=DEFAULT_DAYS)
    days = int(raw)
    return timedelta(days=days) if days > 0 else None


@dataclass
class Pruned:
    removed: int
    kept: int
    cutoff: datetime
    index: str


def prune_data_docs(now: datetime | None = None) -> Pruned | None:
    """Remove validation results older than :func:`retention` and rebuild the index; None when
    there was nothing to do (no docs, retention off, nothing old) or it failed (logged)."""
    keep = retention()
    root = docs_root()
    if keep is None or not (root / "gx" / "uncommitted" / "validations").is_dir():
        return None
    cutoff = (now or datetime.now(UTC)) - keep
    try:
        pruned = _prune(root, cutoff)
    except Exception as exc:  # docs are a view of results kept elsewhere; never fail the run for them
        log.warning("payments: old Great Expectations Data Docs under %s not pruned: %s", root, exc)
        return None
    if pruned is not None:
        log.info(
            "payments: Great Expectations Data Docs: removed %d validation result(s) from before %s "
            "(kept %d days, %s=%s); %d kept; index rebuilt: %s",
            pruned.removed,
            cutoff.isoformat(timespec="seconds"),
            keep.days,
            RETENTION_ENV,
            os.environ.get(RETENTION_ENV) or f"unset, default {DEFAULT_DAYS}",
            pruned.kept,
            pruned.index,
        )
    return pruned


def _run_time(key: Any) -> datetime:
    when: datetime = key.run_id.run_time
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _remove_empty_dirs(base: Path) -> None:
    """The folders the removed results and pages leave empty (GX 1.x leaves them behind)."""
    if not base.is_dir():
        return
    folders = sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts))
    for folder in reversed(folders):  # the deepest first
        if not any(folder.iterdir()):
            folder.rmdir()


def _prune(root: Path, cutoff: datetime) -> Pruned | None:
    import great_expectations as gx
    from great_expectations.data_context.util import instantiate_class_from_config

    ctx = gx.get_context(mode="file", project_root_dir=str(root))
    store = ctx.validation_results_store
    keys = list(store.list_keys())
    # only this product's payment batches: the folder may be a GX project others store results in
    ours = [k for k in keys if str(getattr(k, "batch_identifier", "")).startswith(BATCH_PREFIX)]
    old = [k for k in ours if _run_time(k) < cutoff]
    if not old:
        return None
    for key in old:
        store.remove_key(key)
    # The index only: GX's index builder drops the pages of results no longer in the store.
    builder = instantiate_class_from_config(
        config=ctx.variables.data_docs_sites[SITE],
        runtime_environment={"data_context": ctx, "root_directory": ctx.root_directory, "site_name": SITE},
        config_defaults={
            "class_name": "SiteBuilder",
            "module_name": "great_expectations.render.renderer.site_builder",
        },
    )
    builder.site_index_builder.build()
    for base in (root / "gx" / "uncommitted" / "validations", site_index(root).parent / "validations"):
        _remove_empty_dirs(base)
    return Pruned(len(old), len(keys) - len(old), cutoff, str(site_index(root)))
