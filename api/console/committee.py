"""Pages every county and the committee share: the quarterly bulletins (季度通报) with their
chart, printable, and issuing one's own county's bulletin. The same use cases as
`api/routers/bulletins.py`. (The committee's reward, findings, operations, meetings and price
inspection pages are not built yet: the API serves them.)"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from api.bulletin_page import bulletin_html
from api.console.web import Page, SignedInForm, SignedInPage, go, visible, wait_for
from domain.errors import DomainError

router = APIRouter(include_in_schema=False)
County = Annotated[str, Path(pattern=r"^\d{6}$")]
Year = Annotated[int, Path(ge=2000, le=2100)]
Quarter = Annotated[int, Path(ge=1, le=4)]


def _this_quarter(p: Page) -> tuple[int, int]:
    now = p.services.clock().astimezone(ZoneInfo(p.services.settings.timezone))
    return now.year, (now.month - 1) // 3 + 1


@router.get("/bulletins")
def bulletins(
    p: SignedInPage,
    county: Annotated[str, Query(max_length=6)] = "",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
) -> Response:
    """Choose a county's bulletin for a quarter; a county's officers issue their own."""
    this_year, this_quarter = _this_quarter(p)
    if county and year and quarter:
        return go(p.request, f"/bulletins/{county}/{year}/{quarter}")
    return p.render(
        "bulletins.html",
        counties=[(c, p.county_name(c)) for c in p.units()],
        year=year or this_year,
        quarter=quarter or this_quarter,
    )


@router.get("/bulletins/{county}/{year}/{quarter}")
def bulletin(p: SignedInPage, county: County, year: Year, quarter: Quarter) -> Response:
    """The bulletin inside the console, with its issue form for the county's own officers."""
    wait_for(p.services, [p.services.views.audit], None)
    shown = visible(lambda: p.services.app.bulletin(county, year, quarter))
    return p.render(
        "bulletin.html",
        county=county,
        year=year,
        quarter=quarter,
        sha256=shown.sha256,
        unit_name=shown.unit_name,
    )


@router.get("/bulletins/{county}/{year}/{quarter}/page")
def bulletin_page(p: SignedInPage, county: County, year: Year, quarter: Quarter) -> Response:
    """The bulletin's own printable page (the same bytes as the API's `format=html`)."""
    shown = visible(lambda: p.services.app.bulletin(county, year, quarter))
    page = bulletin_html(shown.figures, shown.unit_name)
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"X-Bulletin-SHA256": shown.sha256, "Cache-Control": "no-store"},
    )


@router.post("/bulletins/{year}/{quarter}/issue")
def issue(form: SignedInForm, year: Year, quarter: Quarter) -> Response:
    p = form.page
    county = p.officer.county
    try:
        p.services.app.issue_bulletin(year, quarter, p.ctx())
    except DomainError as e:
        shown = visible(lambda: p.services.app.bulletin(county, year, quarter))
        return p.render(
            "bulletin.html",
            status=422,
            county=county,
            year=year,
            quarter=quarter,
            sha256=shown.sha256,
            unit_name=shown.unit_name,
            errors={"f-issue": e.message},
        )
    return go(p.request, f"/bulletins/{county}/{year}/{quarter}")
