"""Joint meetings (联席会议): recorded by the hosting county, read by those who attended."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api.deps import CurrentOfficer, LimitQuery, OffsetQuery, ServicesDep, WriteDep
from api.errors import problems
from api.offload import OffloadedRoute
from api.present import search_page
from api.schemas import WriteResult
from api.schemas.meetings import MeetingCreate, MeetingList
from api.waiting import WaitFor, await_views

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["joint meetings"])


@router.post(
    "/joint-meetings",
    status_code=201,
    response_model=WriteResult,
    responses=problems(401, 403, 409, 412, 422),
)
def record_meeting(body: MeetingCreate, w: WriteDep) -> Response:
    """Record a joint meeting hosted by the officer's county."""
    return w.run(
        lambda: w.services.app.record_meeting(
            w.ctx,
            held_on=body.held_on,
            attendees=body.attendees,
            minutes=body.minutes,
            decisions=body.decisions,
        ),
        status=201,
    )


@router.get("/joint-meetings", response_model=MeetingList, responses=problems(401, 422, 503))
def list_meetings(
    services: ServicesDep,
    officer: CurrentOfficer,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    wait_for: WaitFor = None,
) -> object:
    """The meetings the officer's county attended (all, for the committee and auditors),
    latest first, a page at a time."""
    await_views(services, [services.views.meetings], wait_for)
    total, rows = services.views.meetings.list_for(officer.actor, limit=limit, offset=offset)
    return search_page(total, rows, None, limit, offset)
