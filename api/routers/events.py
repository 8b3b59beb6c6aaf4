"""/v1/events: the global event log by position, for auditors (informant data never included)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentOfficer, ServicesDep, require_roles
from api.jsonresp import JSONResponse
from api.present import event_out
from domain.values import Role

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/events")
def event_log(
    services: ServicesDep,
    officer: CurrentOfficer,
    after: Annotated[int, Query(ge=0, le=2**62, description="Last position seen.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    """Events after a position, oldest first. Page with `after=<next_after>`; positions can have
    gaps, so never page by counting."""
    require_roles(officer, Role.AUDITOR, Role.ADMIN)
    app = services.app
    notifications = app.recorder.select_notifications(
        start=after, limit=limit, inclusive_of_start=False
    )
    items = [event_out(app.mapper.to_domain_event(n), n.id) for n in notifications]
    next_after = notifications[-1].id if notifications else after
    return JSONResponse(
        {
            "items": items,
            "next_after": next_after,
            "last_position": app.recorder.max_notification_id() or 0,
        }
    )
