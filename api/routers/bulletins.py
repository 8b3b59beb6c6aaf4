"""Quarterly bulletins (季度通报): every county reports to its neighbours, so any officer reads
any bulletin, as JSON or as an HTML page; a county issues its own, once per quarter."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from api.bulletin_page import bulletin_html
from api.deps import CurrentOfficer, ServicesDep, WriteDep
from api.errors import problems
from api.offload import OffloadedRoute
from api.schemas.bulletins import BulletinIssued, BulletinPublic

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["bulletins"])
Year = Annotated[int, Path(ge=2000, le=2100)]
QuarterNumber = Annotated[int, Path(ge=1, le=4)]
_HTML = {"text/html": {"schema": {"type": "string", "description": "The bulletin as a page."}}}


@router.get(
    "/bulletins/{county}/{year:int}/{quarter:int}",
    response_model=BulletinPublic,
    responses={200: {"content": _HTML}, **problems(401, 422)},
)
def get_bulletin(
    county: Annotated[str, Path(pattern=r"^\d{6}$")],
    year: Year,
    quarter: QuarterNumber,
    services: ServicesDep,
    officer: CurrentOfficer,
    as_of_position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    format: Literal["json", "html"] = "json",
) -> Response:
    """The county's bulletin for a quarter as of a log position (default: the issued one's
    position, else the audit trail's current position). The same position gives the same bytes:
    `format=json` (the default) is the canonical JSON, `format=html` a readable page."""
    bulletin = services.app.bulletin(county, year, quarter, as_of_position)
    headers = {"X-Bulletin-SHA256": bulletin.sha256, "ETag": f'"{bulletin.sha256[:16]}"'}
    if format == "html":
        page = bulletin_html(bulletin.figures, bulletin.unit_name)
        return Response(page, media_type="text/html; charset=utf-8", headers=headers)
    return Response(bulletin.content, media_type="application/json", headers=headers)


@router.post(
    "/bulletins/{year}/{quarter}/issue",
    status_code=201,
    response_model=BulletinIssued,
    responses=problems(401, 403, 409, 412, 422),
)
def issue_bulletin(year: Year, quarter: QuarterNumber, w: WriteDep) -> Response:
    """Issue the officer's county's bulletin for the quarter, fixed at the audit trail's
    current position; the digest of its JSON is recorded."""
    return w.run(lambda: w.services.app.issue_bulletin(year, quarter, w.ctx), status=201)
