"""Price mutual inspections (价格互查) of retailer self-discipline groups in a neighbour's area."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api.deps import CurrentOfficer, LimitQuery, OffsetQuery, ServicesDep, WriteDep
from api.errors import problems
from api.offload import OffloadedRoute
from api.present import search_page
from api.schemas import WriteResult
from api.schemas.price_inspections import InspectionCreate, InspectionList
from api.waiting import WaitFor, await_views

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["price inspections"])


@router.post(
    "/price-inspections",
    status_code=201,
    response_model=WriteResult,
    responses=problems(401, 403, 409, 412, 422),
)
def record_inspection(body: InspectionCreate, w: WriteDep) -> Response:
    """Record a price mutual inspection (价格互查) in a neighbour's area."""
    return w.run(
        lambda: w.services.app.record_price_inspection(
            w.ctx,
            inspected_county=body.inspected_county,
            area=body.area,
            group_name=body.group_name,
            brand=body.brand,
            agreed_price=body.agreed_price,
            observed_price=body.observed_price,
            inspected_at=body.inspected_at,
            note=body.note,
        ),
        status=201,
    )


@router.get("/price-inspections", response_model=InspectionList, responses=problems(401, 422, 503))
def list_inspections(
    services: ServicesDep,
    officer: CurrentOfficer,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    wait_for: WaitFor = None,
) -> object:
    """The inspections made by or in the officer's county (all, for the committee and
    auditors), latest first, a page at a time."""
    await_views(services, [services.views.price_inspections], wait_for)
    total, rows = services.views.price_inspections.list_for(
        officer.actor, limit=limit, offset=offset
    )
    return search_page(total, rows, None, limit, offset)
