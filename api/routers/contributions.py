"""The contribution ledger (贡献台账): a case's contributions as of a log position, and a
county's own ledger (any county's for the committee and auditors)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from api.deps import CurrentOfficer, ServicesDep
from api.errors import problems
from api.offload import OffloadedRoute
from api.schemas.contributions import CaseLedgerPublic, CountyLedgerPublic
from api.waiting import WaitFor, await_views

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["contributions"])


@router.get(
    "/cases/{case_id:uuid}/contributions",
    response_model=CaseLedgerPublic,
    responses=problems(401, 404, 422, 503),
)
def case_contributions(
    case_id: UUID,
    services: ServicesDep,
    officer: CurrentOfficer,
    as_of_position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    wait_for: WaitFor = None,
) -> object:
    """Every contribution to the case and to the cases merged into it (with their original
    counties), as of a log position (default: what the ledger has reached); a county other
    than the handling one sees its own contributions."""
    await_views(services, [services.views.contributions], wait_for)
    return services.app.case_contributions(case_id, as_of_position, viewer=officer.actor)


@router.get(
    "/contributions", response_model=CountyLedgerPublic, responses=problems(401, 403, 422, 503)
)
def county_contributions(
    services: ServicesDep,
    officer: CurrentOfficer,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    wait_for: WaitFor = None,
) -> object:
    """A county's contribution ledger (its own, unless committee or auditor)."""
    await_views(services, [services.views.contributions], wait_for)
    return services.views.contributions.county_ledger_for(officer.actor, county, after, limit)
