"""Facts that make a QuickBooks refusal readable: which record owns a clashing name (6240), which
field refers to what inactive account or item (610).

QuickBooks' own texts are generic ("Another customer, vendor or employee is already using this
name", "Something you're trying to use has been made inactive"). The push asks for the facts only
for records QuickBooks refused, so it costs a query per refused record, never per record sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from qbo_sync.db import schema
from qbo_sync.mapping import Reference
from qbo_sync.qbo.errors import QBOError
from qbo_sync.qbo.paging import quote
from qbo_sync.sync.context import SyncContext

log = logging.getLogger("qbo_sync.sync")

# Lists whose names QuickBooks keeps unique together (qbo-api.md: DisplayName across Customer,
# Vendor and Employee; item names among items).
PARTY_LISTS = ("Customer", "Vendor", "Employee")


@dataclass(frozen=True)
class Clash:
    """The QuickBooks record that already has a name."""

    entity: str  # Customer / Vendor / Employee / Item
    qb_id: str
    name: str
    active: bool

    def describe(self) -> str:
        state = "" if self.active else ", inactive"
        return f"{self.entity.lower()} '{self.name}' (QuickBooks Id {self.qb_id}{state})"


def name_lists(qbo_entity: str) -> tuple[str, ...]:
    """The QuickBooks lists a name of ``qbo_entity`` must be unique across."""
    return PARTY_LISTS if qbo_entity in PARTY_LISTS else (qbo_entity,)


def find_clash(ctx: SyncContext, row: dict[str, Any]) -> Clash | None:
    """The record in QuickBooks whose name clashes with ``row``'s (None when it cannot be told)."""
    name = row.get(ctx.mapping.title_column)
    if not isinstance(name, str) or not name.strip():
        return None
    for entity in name_lists(ctx.mapping.qbo_entity):
        field = "Name" if entity == "Item" else "DisplayName"
        where = f"{field} = {quote(' '.join(name.split()))}"
        try:
            found = [o for page in ctx.client.iter_pages(entity, where, include_inactive=True) for o in page]
        except QBOError as exc:  # the explanation must never stop the run
            log.info("could not look up the %s named %r: %s", entity, name, exc)
            continue
        for obj in found:
            if str(obj.get("Id")) != str(row.get("qb_id")):
                return Clash(
                    entity, str(obj.get("Id")), str(obj.get(field) or name), obj.get("Active") is not False
                )
    return None


def _reference_for(ctx: SyncContext, element: str) -> list[Reference]:
    refs = [r for r in ctx.mapping.references if ctx.mapping.pushes(r)]
    named = [r for r in refs if element and (r.qbo == element or r.qbo.split(".")[0] == element)]
    return named or refs


def inactive_references(ctx: SyncContext, row: dict[str, Any], element: str) -> list[str]:
    """``"income account (IncomeAccountRef) refers to 'Old Sales' (QuickBooks Id 79)"`` for each
    reference of ``row`` that is inactive (or the one QuickBooks named in ``element``)."""
    out: list[str] = []
    for ref in _reference_for(ctx, element):
        cmms_id = row.get(ref.column)
        if cmms_id is None:
            continue
        target = _target(ctx.engine, ref.table, int(cmms_id))
        if target is None or (target["active"] is not False and ref.qbo != element):
            continue
        name = target.get("name") or target.get("display_name") or f"#{cmms_id}"
        out.append(
            f"its {ref.human} ({ref.qbo}) refers to {ref.table.rstrip('s').replace('_', ' ')} '{name}' "
            f"(QuickBooks Id {target.get('qb_id') or '-'}), which QuickBooks reports as inactive"
        )
    return out


def _target(engine: sa.Engine, table_name: str, cmms_id: int) -> dict[str, Any] | None:
    table = schema.metadata.tables.get(table_name)
    if table is None:
        return None
    with engine.connect() as conn:
        row = conn.execute(sa.select(table).where(table.c.id == cmms_id)).first()
    if row is None:
        return None
    values = dict(row._mapping)
    values.setdefault("active", None)
    return values
