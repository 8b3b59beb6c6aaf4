"""Read models over HTTP: county workspaces, case search, case timelines. Every view read takes
`wait_for=<position>` (read-your-writes)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import CurrentOfficer, LimitQuery, OffsetQuery, ServicesDep
from api.errors import ApiProblem, problems
from api.offload import OffloadedRoute
from api.present import event_public, search_page
from api.schemas import NO_NUL, IsoDateTime
from api.schemas.cases import CasePagePublic, WorkspacePublic
from api.schemas.events import CaseEventsPublic
from api.visible import VisibleCaseId
from api.waiting import WaitFor, await_views
from domain.access import case_list_scope, case_list_visibility, require_workspace_reader
from projections.cases import RELEVANCE, SORTABLE
from projections.search_text import MATCH_CAP
from projections.workspace import county_workspace

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["views"])
County = Annotated[str | None, Query(pattern=r"^\d{6}$")]


@router.get("/workspace", response_model=WorkspacePublic, responses=problems(401, 403, 422, 503))
def workspace(
    services: ServicesDep,
    officer: CurrentOfficer,
    county: County = None,
    include_done: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    wait_for: WaitFor = None,
) -> object:
    """What a county has to act on, soonest deadline first, with deadlines; `overdue` is
    computed against now. `open`/`overdue` count every open item; `items` at most `limit`."""
    county = county or officer.county
    require_workspace_reader(officer.actor, county)
    views = services.views
    await_views(services, [views.workspace, views.case_search], wait_for)
    return county_workspace(
        views.workspace, views.case_search, county, services.clock(), include_done, limit
    )


@router.get("/cases", response_model=CasePagePublic, responses=problems(401, 422, 503))
def search_cases(
    services: ServicesDep,
    officer: CurrentOfficer,
    county: County = None,
    status: Literal["open", "closed", "merged"] | None = None,
    case_type: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    opened_from: IsoDateTime | None = None,
    opened_to: IsoDateTime | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="Free text: title, summary, number. Words apart (whitespace) must each"
            " be found; Chinese matched by characters, plates and numbers by any part.",
        ),
    ] = None,
    sort: Annotated[
        Literal["relevance", "recorded_at", "opened_at", "modified_at", "number", "value"] | None,
        Query(
            description="Default: relevance with `q` (best match first when at most"
            f" {MATCH_CAP:,} match, else newest first: `more`), else recorded_at."
        ),
    ] = None,
    order: Literal["asc", "desc"] = "desc",
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    wait_for: WaitFor = None,
) -> object:
    """Search the cases this officer may see: filter, free text, sort, page. A case the officer
    sees only as its summary (`access` = `summary`) shows only the summary's fields."""
    if sort is not None and sort != RELEVANCE and sort not in SORTABLE:
        raise ApiProblem(422, f"cannot sort by {sort}", "invalid-input")
    await_views(services, [services.views.case_search], wait_for)
    total, rows = services.views.case_search.search(
        county=county,
        visible_to=case_list_scope(officer.actor),
        status=status,
        case_type=case_type,
        since=opened_from,
        until=opened_to,
        text=q,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
        most=case_list_visibility(officer.actor),
    )
    return search_page(total, rows, q, limit, offset)


@router.get(
    "/cases/{case_id:uuid}/timeline",
    response_model=CaseEventsPublic,
    responses=problems(401, 404, 422, 503),
)
def case_timeline(
    case_id: VisibleCaseId, services: ServicesDep, officer: CurrentOfficer, wait_for: WaitFor = None
) -> CaseEventsPublic:
    """Every event of the case and of the cases merged into it, in log order, with actor, time
    and reason; an un-merge shows as MergeReversed / AbsorbedCaseReleased."""
    await_views(services, [services.views.audit], wait_for)
    rows = services.views.audit.timeline(case_id, visible_to=case_list_scope(officer.actor))
    events = [event_public(row) for row in rows]
    return CaseEventsPublic(case_id=case_id, events=events)
