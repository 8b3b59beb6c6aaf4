"""Accountability findings (问责): the committee's scan for missed deadlines, the findings with
their evidence, and the committee's decision on each."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from api.deps import (
    CurrentOfficer,
    LimitQuery,
    OffsetQuery,
    RequestContext,
    ServicesDep,
    WriteDep,
    etag,
)
from api.errors import problems
from api.offload import OffloadedRoute
from api.present import search_page
from api.schemas import WriteResult
from api.schemas.findings import DecisionCreate, FindingList, FindingPublic, ScanPublic
from api.waiting import WaitFor, await_views

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["findings"])


@router.post("/findings/scan", response_model=ScanPublic, responses=problems(401, 403, 409))
def scan_findings(services: ServicesDep, ctx: RequestContext) -> object:
    """Record a finding for each missed deadline not recorded before (committee)."""
    scan = services.app.scan_for_breaches(ctx)
    return {
        "scanned_at_position": scan.scanned_at_position,
        "breaches": scan.breaches,
        "recorded": [written.id for written in scan.recorded],
        "position": scan.position,
    }


@router.get("/findings", response_model=FindingList, responses=problems(401, 403, 422, 503))
def list_findings(
    services: ServicesDep,
    officer: CurrentOfficer,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    undecided: bool = False,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    wait_for: WaitFor = None,
) -> object:
    """The findings, latest first, a page at a time (a county reads its own; the committee and
    auditors any county's)."""
    await_views(services, [services.views.findings], wait_for)
    total, rows = services.views.findings.list_for(
        officer.actor, county, undecided, limit=limit, offset=offset
    )
    return search_page(total, rows, None, limit, offset)


@router.get(
    "/findings/{finding_id:uuid}", response_model=FindingPublic, responses=problems(401, 404, 422)
)
def get_finding(
    finding_id: UUID, services: ServicesDep, officer: CurrentOfficer, response: Response
) -> object:
    finding = services.app.get_finding(finding_id, viewer=officer.actor)
    response.headers["ETag"] = etag(finding.version)
    return finding.public_state()


@router.post(
    "/findings/{finding_id:uuid}/decision",
    response_model=WriteResult,
    responses=problems(401, 403, 404, 409, 412, 422),
)
def decide(finding_id: UUID, body: DecisionCreate, w: WriteDep) -> Response:
    """Record the committee's decision on a finding (once)."""
    return w.run(
        lambda: w.services.app.decide_finding(
            finding_id, body.decision, body.reason, w.ctx, w.expected_version
        )
    )
