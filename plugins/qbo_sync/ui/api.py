"""JSON routes of the QuickBooks page (mounted at ``/qbo/api``); see :mod:`qbo_sync.web`.

Errors a person can act on answer 400/404/409 with ``{"detail": "..."}`` naming what is wrong.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException

from qbo_sync.ui.guards import can_edit, can_read

router = APIRouter()


def _engine():
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    return QuickBooksHook().cmms_engine


@router.get("/summary", dependencies=[Depends(can_read)])
def summary() -> dict[str, Any]:
    from qbo_sync.reconcile.store import drift_overview
    from qbo_sync.ui.entities import summary as read
    from qbo_sync.ui.settings_store import read_settings

    engine = _engine()
    drift = drift_overview(engine, limit=0)
    return {"entities": read(engine), "settings": read_settings(engine), "reconciliation": drift}


@router.get("/records/{entity}", dependencies=[Depends(can_read)])
def records(
    entity: str, status: str = "all", search: str = "", page: int = 1, page_size: int = 50
) -> dict[str, Any]:
    from qbo_sync.ui.entities import RecordQuery, UnknownEntity
    from qbo_sync.ui.entities import records as read

    try:
        query = RecordQuery(status=status, search=search, page=page, page_size=page_size)
        return read(_engine(), entity, query)
    except UnknownEntity as exc:
        raise HTTPException(404, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/records/{entity}/{record_id}/overwrites", dependencies=[Depends(can_read)])
def overwrites(entity: str, record_id: int) -> dict[str, Any]:
    from qbo_sync.sync.record.overwrites import read_overwrites

    return {"overwrites": read_overwrites(_engine(), entity, record_id)}


@router.get("/conflicts", dependencies=[Depends(can_read)])
def conflicts() -> dict[str, Any]:
    from qbo_sync.ui.conflicts import open_conflicts

    return {"conflicts": open_conflicts(_engine())}


@router.post("/conflicts/{conflict_id}", dependencies=[Depends(can_edit)])
def resolve_conflict(conflict_id: int, winner: Annotated[str, Body(embed=True)]) -> dict[str, Any]:
    from qbo_sync.ui.conflicts import ConflictNotOpen, resolve

    try:
        return resolve(_engine(), conflict_id, winner)
    except ConflictNotOpen as exc:
        raise HTTPException(409, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/payments", dependencies=[Depends(can_read)])
def payments(page: int = 1, page_size: int = 50) -> dict[str, Any]:
    from qbo_sync.ui.payments import payment_log

    if page < 1 or not 1 <= page_size <= 200:
        raise HTTPException(400, "page must be >= 1 and page_size between 1 and 200")
    return payment_log(_engine(), page=page, page_size=page_size)


@router.get("/settings", dependencies=[Depends(can_read)])
def get_settings() -> dict[str, Any]:
    from qbo_sync.ui.settings_store import accounts, read_settings

    engine = _engine()
    return {"settings": read_settings(engine), "accounts": accounts(engine)}


@router.put("/settings", dependencies=[Depends(can_edit)])
def put_settings(changes: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    from qbo_sync.ui.settings_store import SettingsError, save_settings

    try:
        return {"settings": save_settings(_engine(), changes)}
    except SettingsError as exc:
        raise HTTPException(400, str(exc)) from None


@router.post("/test", dependencies=[Depends(can_edit)])
def test_connection() -> dict[str, Any]:
    from qbo_sync.hooks.quickbooks import QuickBooksHook

    ok, message = QuickBooksHook().test_connection()
    return {"ok": ok, "message": message}
