"""Joint operations (集中整治行动): planned by one county with its participants; cases are
attached to them and their results roll up from those cases."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from starlette.responses import Response

from api.deps import CurrentOfficer, LimitQuery, OffsetQuery, ServicesDep, WriteDep, etag
from api.errors import problems
from api.offload import OffloadedRoute
from api.present import search_page
from api.schemas import WriteResult
from api.schemas.operations import (
    AttachedCaseCreate,
    ConclusionCreate,
    OperationCreate,
    OperationList,
    OperationPublic,
)
from api.waiting import WaitFor, await_views

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["joint operations"])


@router.post(
    "/joint-operations",
    status_code=201,
    response_model=WriteResult,
    responses=problems(401, 403, 409, 412, 422),
)
def plan_operation(body: OperationCreate, w: WriteDep) -> Response:
    return w.run(
        lambda: w.services.app.plan_operation(
            w.ctx,
            name=body.name,
            participants=body.participants,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            target_area=body.target_area,
            plan=body.plan,
        ),
        status=201,
        location=lambda written: f"/v1/joint-operations/{written.id}",
    )


@router.get(
    "/joint-operations/{operation_id:uuid}",
    response_model=OperationPublic,
    responses=problems(401, 404, 422),
)
def get_operation(
    operation_id: UUID, services: ServicesDep, officer: CurrentOfficer, response: Response
) -> object:
    """The operation with its results rolled up from the attached cases."""
    op, results = services.app.operation_report(operation_id, viewer=officer.actor)
    response.headers["ETag"] = etag(op.version)
    return {**op.public_state(), "results": results}


@router.get("/joint-operations", response_model=OperationList, responses=problems(401, 422, 503))
def list_operations(
    services: ServicesDep,
    officer: CurrentOfficer,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    wait_for: WaitFor = None,
) -> object:
    """The operations the officer's county takes part in (all, for the committee and auditors),
    latest start first, a page at a time."""
    await_views(services, [services.views.operations], wait_for)
    total, rows = services.views.operations.list_for(officer.actor, limit=limit, offset=offset)
    return search_page(total, rows, None, limit, offset)


@router.post(
    "/joint-operations/{operation_id:uuid}/cases",
    response_model=WriteResult,
    responses=problems(401, 403, 404, 409, 412, 422),
)
def attach_case(operation_id: UUID, body: AttachedCaseCreate, w: WriteDep) -> Response:
    """Attach a case the officer may see, opened during the operation by a participant."""
    return w.run(
        lambda: w.services.app.attach_case_to_operation(
            operation_id, body.case_id, w.ctx, w.expected_version
        )
    )


@router.post(
    "/joint-operations/{operation_id:uuid}/conclusion",
    response_model=WriteResult,
    responses=problems(401, 403, 404, 409, 412, 422),
)
def conclude_operation(operation_id: UUID, body: ConclusionCreate, w: WriteDep) -> Response:
    return w.run(
        lambda: w.services.app.conclude_operation(
            operation_id, body.summary, w.ctx, w.expected_version
        )
    )
