"""/v1/cases: open, read (by id or number, also as of a version or moment), history, and every
case action."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Response

from api.deps import (
    AsOfQuery,
    CurrentOfficer,
    Services,
    ServicesDep,
    VersionQuery,
    WriteDep,
    etag,
)
from api.errors import READ, WRITE, WRITE_WITH_BODY, problems
from api.offload import OffloadedRoute
from api.present import case_public, case_summary_public, event_public
from api.schemas import (
    AssistanceAnswer,
    AssistanceCreate,
    CaseClosureCreate,
    CaseCreate,
    CoHandlerInvitation,
    MergeCreate,
    PoliceAcceptanceCreate,
    PoliceReferralCreate,
    ReasonBody,
    SeizureCreate,
    WriteResult,
)
from api.schemas.cases import CasePublic, CaseSummaryPublic, PoliceAdvicePublic
from api.schemas.events import CaseEventsPublic
from api.visible import VisibleCaseId
from api.waiting import WaitFor, await_views
from domain.access import case_list_scope
from domain.case import Case
from domain.case_summary import CaseSummary
from domain.values import to_sticks

router = APIRouter(route_class=OffloadedRoute, prefix="/v1/cases", tags=["cases"])


def case_seizures(services: Services, case: Case) -> list[dict[str, Any]]:
    """The case's seizures at its version, from the read model of seizures; the case knows how
    many it has, so if the view has not caught up with it yet they are read from its history
    (a read right after recording a seizure shows it, and no read waits for the worker)."""
    rows = services.views.seizures.of_case(case.id, case.version)
    if len(rows) < case.seizure_count():
        rows = services.app.recorded_seizures(case)
    return rows


WRITES = problems(*WRITE_WITH_BODY)
WRITES_WITHOUT_BODY = problems(*WRITE)


@router.post("", status_code=201, response_model=WriteResult, responses=WRITES)
def open_case(body: CaseCreate, w: WriteDep) -> object:
    """Open a case (立案) from zero or more leads; it gets the next number of the county's year."""
    app = w.services.app
    return w.run(
        lambda: app.open_case(
            w.ctx,
            case_type=body.case_type,
            title=body.title,
            summary=body.summary,
            lead_ids=body.lead_ids,
            opened_at=body.opened_at,
        ),
        status=201,
        location=lambda written: f"/v1/cases/{written.id}",
    )


@router.get(
    "/by-number/{number}",
    response_model=CasePublic | CaseSummaryPublic,
    responses=problems(*READ),
)
def get_case_by_number(
    number: Annotated[str, Path(pattern=r"^\d{6}-\d{4}-\d{4,9}$", examples=["140221-2026-0007"])],
    services: ServicesDep,
    officer: CurrentOfficer,
    response: Response,
) -> CasePublic | CaseSummaryPublic:
    """The case with this number, as it is now (the same rule as by id: a case the caller may
    not see is not found, one it sees as its summary is shown as the summary)."""
    found = services.app.find_case_number(number, viewer=officer.actor)
    return _case_as_seen(services, services.app.read_case(found.id, viewer=officer.actor), response)


@router.get(
    "/{case_id:uuid}", response_model=CasePublic | CaseSummaryPublic, responses=problems(*READ)
)
def get_case(
    case_id: UUID,
    services: ServicesDep,
    officer: CurrentOfficer,
    response: Response,
    version: VersionQuery = None,
    as_of: AsOfQuery = None,
) -> CasePublic | CaseSummaryPublic:
    """A case as it is now, or as it was at a version or a moment (time travel). A county
    invited to co-handle it, asked for assistance or party to a merge proposal, and the reward
    committee, read its summary (`access` = `summary`), now only."""
    seen = services.app.read_case(case_id, version=version, as_of=as_of, viewer=officer.actor)
    return _case_as_seen(services, seen, response, current=version is None and as_of is None)


def _case_as_seen(
    services: Services, seen: Case | CaseSummary, response: Response, current: bool = True
) -> CasePublic | CaseSummaryPublic:
    if isinstance(seen, CaseSummary):
        return case_summary_public(seen)
    response.headers["ETag"] = etag(seen.version)
    return case_public(
        seen,
        case_seizures(services, seen),
        services.app.police_advice(seen.id) if current else None,
    )


@router.get(
    "/{case_id:uuid}/history",
    response_model=CaseEventsPublic,
    responses=problems(401, 404, 422, 503),
)
def case_history(
    case_id: VisibleCaseId, services: ServicesDep, officer: CurrentOfficer, wait_for: WaitFor = None
) -> CaseEventsPublic:
    """The whole history: every event of the case and of the cases merged into it (un-merges
    included), in log order, with positions, actor, times and reason. Read from the audit
    trail once it holds the log up to `wait_for` (default: the whole log as the request
    arrived; 503 with Retry-After if it is further behind than a few seconds)."""
    audit = services.views.audit
    until = services.app.log_position() if wait_for is None else wait_for
    await_views(services, [audit], until)
    rows = audit.timeline(case_id, visible_to=case_list_scope(officer.actor))
    return CaseEventsPublic(case_id=case_id, events=[event_public(row) for row in rows])


@router.post(
    "/{case_id:uuid}/seizures", status_code=201, response_model=WriteResult, responses=WRITES
)
def record_seizure(case_id: UUID, body: SeizureCreate, w: WriteDep) -> object:
    """Record a seizure: quantity in any unit (stored as 支), value in yuan with its price basis."""
    app = w.services.app
    sticks = to_sticks(body.quantity, body.unit)
    return w.run(
        lambda: app.record_seizure(
            case_id,
            w.ctx,
            brand=body.brand,
            sticks=sticks,
            value=body.value,
            price_basis=body.price_basis,
            seized_at=body.seized_at,
            specification=body.specification,
            place=body.place,
            disposition=body.disposition,
            expected_version=w.expected_version,
        ),
        status=201,
    )


@router.post("/{case_id:uuid}/co-handlers", response_model=WriteResult, responses=WRITES)
def invite_co_handler(case_id: UUID, body: CoHandlerInvitation, w: WriteDep) -> object:
    """The lead county invites another county to handle the case jointly (协同办理)."""
    app = w.services.app
    return w.run(
        lambda: app.invite_co_handler(case_id, body.county, body.note, w.ctx, w.expected_version)
    )


@router.post(
    "/{case_id:uuid}/co-handlers/{county}/acceptance",
    response_model=WriteResult,
    responses=WRITES_WITHOUT_BODY,
)
def accept_co_handling(case_id: UUID, county: str, w: WriteDep) -> object:
    """The invited county joins as co-handler."""
    app = w.services.app
    return w.run(lambda: app.accept_co_handling(case_id, w.ctx, w.expected_version, county=county))


@router.post(
    "/{case_id:uuid}/co-handlers/{county}/declination", response_model=WriteResult, responses=WRITES
)
def decline_co_handling(case_id: UUID, county: str, body: ReasonBody, w: WriteDep) -> object:
    """The invited county declines, with a reason."""
    app = w.services.app
    return w.run(
        lambda: app.decline_co_handling(
            case_id, body.reason, w.ctx, w.expected_version, county=county
        )
    )


@router.post(
    "/{case_id:uuid}/assistance-requests",
    status_code=201,
    response_model=WriteResult,
    responses=WRITES,
)
def request_assistance(case_id: UUID, body: AssistanceCreate, w: WriteDep) -> object:
    """Ask another county for assistance (协查), with a deadline."""
    app = w.services.app
    return w.run(
        lambda: app.request_assistance(
            case_id, body.to_county, body.request, w.ctx, body.due, None, w.expected_version
        ),
        status=201,
    )


@router.post(
    "/{case_id:uuid}/assistance-requests/{request_id:uuid}/answer",
    response_model=WriteResult,
    responses=WRITES,
)
def answer_assistance(
    case_id: UUID, request_id: UUID, body: AssistanceAnswer, w: WriteDep
) -> object:
    """The requested county answers."""
    app = w.services.app
    return w.run(
        lambda: app.answer_assistance(case_id, request_id, body.answer, w.ctx, w.expected_version)
    )


@router.post("/{case_id:uuid}/merge", response_model=WriteResult, responses=WRITES)
def merge_case(case_id: UUID, body: MergeCreate, w: WriteDep) -> object:
    """Merge this case into the survivor (并案). Across counties, the first county's call records
    its consent (`merged: false`, `awaiting` names the other county) and the second merges. The
    survivor's id is shared between the liaisons; the survivor need not be visible yet (its
    county sees this case once the proposal is recorded)."""
    app = w.services.app
    return w.run(
        lambda: app.merge_cases(case_id, body.survivor_id, body.reason, w.ctx, w.expected_version)
    )


@router.post("/{case_id:uuid}/merge/declination", response_model=WriteResult, responses=WRITES)
def decline_merge(case_id: UUID, body: MergeCreate, w: WriteDep) -> object:
    """The other county refuses a proposed merge; the proposal is dropped."""
    app = w.services.app
    return w.run(
        lambda: app.decline_merge(case_id, body.survivor_id, body.reason, w.ctx, w.expected_version)
    )


@router.post("/{case_id:uuid}/unmerge", response_model=WriteResult, responses=WRITES)
def unmerge_case(case_id: UUID, body: ReasonBody, w: WriteDep) -> object:
    """Reverse a wrong merge of this (absorbed) case; both cases record it."""
    app = w.services.app
    return w.run(lambda: app.unmerge_case(case_id, body.reason, w.ctx, w.expected_version))


@router.get(
    "/{case_id:uuid}/police-advice", response_model=PoliceAdvicePublic, responses=problems(*READ)
)
def police_advice(case_id: UUID, services: ServicesDep, officer: CurrentOfficer) -> object:
    """Which advisory criminal thresholds the seizures (merged cases included) reach."""
    totals = services.app.seizure_totals(case_id, viewer=officer.actor)
    return {
        "case_id": case_id,
        "thresholds_reached": services.app.police_advice(case_id),
        "value": totals.value,
        "sticks": totals.sticks,
    }


@router.post("/{case_id:uuid}/police-referral", response_model=WriteResult, responses=WRITES)
def refer_to_police(case_id: UUID, body: PoliceReferralCreate, w: WriteDep) -> object:
    """Refer the case to police (移送公安); the thresholds reached are recorded with it."""
    app = w.services.app
    return w.run(
        lambda: app.refer_to_police(
            case_id, body.police_unit, body.referred_on, body.reason, w.ctx, w.expected_version
        )
    )


@router.post(
    "/{case_id:uuid}/police-referral/acceptance", response_model=WriteResult, responses=WRITES
)
def record_police_acceptance(case_id: UUID, body: PoliceAcceptanceCreate, w: WriteDep) -> object:
    """Record that the police accepted the case."""
    app = w.services.app
    return w.run(
        lambda: app.record_police_acceptance(
            case_id, body.accepted_on, body.police_case_number, w.ctx, w.expected_version
        )
    )


@router.post("/{case_id:uuid}/closure", response_model=WriteResult, responses=WRITES)
def close_case(case_id: UUID, body: CaseClosureCreate, w: WriteDep) -> object:
    """Close the case (结案) with an outcome."""
    app = w.services.app
    return w.run(
        lambda: app.close_case(case_id, body.outcome, body.reason, w.ctx, w.expected_version)
    )


@router.post("/{case_id:uuid}/reopening", response_model=WriteResult, responses=WRITES)
def reopen_case(case_id: UUID, body: ReasonBody, w: WriteDep) -> object:
    """Reopen a closed case, with a reason."""
    app = w.services.app
    return w.run(lambda: app.reopen_case(case_id, body.reason, w.ctx, w.expected_version))
