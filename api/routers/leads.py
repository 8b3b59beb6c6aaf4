"""/v1/leads: register, list and search (the lead register), read (also as of a version or
moment), and every lead action."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.deps import (
    AsOfQuery,
    CurrentOfficer,
    LimitQuery,
    OffsetQuery,
    ServicesDep,
    VersionQuery,
    WriteDep,
    etag,
)
from api.errors import READ, WRITE, WRITE_WITH_BODY, problems
from api.jsonresp import JSONResponse
from api.offload import OffloadedRoute
from api.present import lead_public, search_page
from api.schemas import (
    NO_NUL,
    CorroborationCreate,
    FeedbackCreate,
    InformantDisclosure,
    IsoDateTime,
    LeadClosureCreate,
    LeadConversion,
    LeadCreate,
    ReasonBody,
    ReferralCreate,
    ShareCreate,
    WriteResult,
)
from api.schemas.leads import InformantDisclosurePublic, LeadPagePublic, LeadPublic
from api.waiting import WaitFor, await_views
from domain.access import lead_list_scope
from domain.values import LeadSource, LeadStatus
from projections.search_text import MATCH_CAP

router = APIRouter(route_class=OffloadedRoute, prefix="/v1/leads", tags=["leads"])
WRITES = problems(*WRITE_WITH_BODY)
WRITES_WITHOUT_BODY = problems(*WRITE)


@router.post("", status_code=201, response_model=WriteResult, responses=WRITES)
def register_lead(body: LeadCreate, w: WriteDep) -> object:
    """Register a lead (线索) owned by the officer's county. The informant is sealed at once."""
    app = w.services.app
    return w.run(
        lambda: app.register_lead(
            w.ctx,
            summary=body.summary,
            source=body.source,
            place_county=body.place_county,
            place_detail=body.place_detail,
            suspected_parties=body.suspected_parties,
            informant=body.informant,
            received_at=body.received_at,
        ),
        status=201,
        location=lambda written: f"/v1/leads/{written.id}",
    )


@router.get("", response_model=LeadPagePublic, responses=problems(401, 422, 503))
def list_leads(
    services: ServicesDep,
    officer: CurrentOfficer,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$", description="Owner.")] = None,
    status: LeadStatus | None = None,
    source: LeadSource | None = None,
    referral: Annotated[
        Literal["none", "pending", "accepted", "declined", "withdrawn"] | None,
        Query(description="The state of the lead's latest referral."),
    ] = None,
    received_from: IsoDateTime | None = None,
    received_to: IsoDateTime | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="Free text: summary, place, parties. Words apart (whitespace) must each"
            f" be found; with it, the best matches come first when at most {MATCH_CAP:,} match,"
            " else the newest (`more`).",
        ),
    ] = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    wait_for: WaitFor = None,
) -> object:
    """The lead register: the leads this officer may see (auditors all, the committee none),
    newest received first (with `q`, best match first); filter, search, page. Never an
    informant identity."""
    register = services.views.leads
    await_views(services, [register], wait_for)
    total, rows = register.search(
        visible_to=lead_list_scope(officer.actor),
        county=county,
        status=str(status) if status else None,
        source=str(source) if source else None,
        referral=referral,
        since=received_from,
        until=received_to,
        text=q,
        limit=limit,
        offset=offset,
    )
    return search_page(total, rows, q, limit, offset)


@router.get("/{lead_id:uuid}", response_model=LeadPublic, responses=problems(*READ))
def get_lead(
    lead_id: UUID,
    services: ServicesDep,
    officer: CurrentOfficer,
    response: Response,
    version: VersionQuery = None,
    as_of: AsOfQuery = None,
) -> LeadPublic:
    """A lead as it is now, or as it was at a version or a moment (time travel)."""
    lead = services.app.get_lead(lead_id, version=version, as_of=as_of, viewer=officer.actor)
    response.headers["ETag"] = etag(lead.version)
    return lead_public(lead)


@router.post("/{lead_id:uuid}/referrals", response_model=WriteResult, responses=WRITES)
def refer_lead(lead_id: UUID, body: ReferralCreate, w: WriteDep) -> object:
    """Refer the lead to another county (线索移交); deadlines come from the agreement's settings."""
    app = w.services.app
    return w.run(
        lambda: app.refer_lead(lead_id, body.to_county, body.reason, w.ctx, w.expected_version)
    )


@router.post(
    "/{lead_id:uuid}/referrals/{county}/acceptance",
    response_model=WriteResult,
    responses=WRITES_WITHOUT_BODY,
)
def accept_referral(lead_id: UUID, county: str, w: WriteDep) -> object:
    """The receiving county accepts the referral and becomes responsible for the lead."""
    app = w.services.app
    return w.run(lambda: app.accept_referral(lead_id, w.ctx, w.expected_version, county=county))


@router.post(
    "/{lead_id:uuid}/referrals/{county}/declination", response_model=WriteResult, responses=WRITES
)
def decline_referral(lead_id: UUID, county: str, body: ReasonBody, w: WriteDep) -> object:
    """The receiving county declines the referral, with a reason."""
    app = w.services.app
    return w.run(
        lambda: app.decline_referral(lead_id, body.reason, w.ctx, w.expected_version, county=county)
    )


@router.post(
    "/{lead_id:uuid}/referrals/{county}/withdrawal", response_model=WriteResult, responses=WRITES
)
def withdraw_referral(lead_id: UUID, county: str, body: ReasonBody, w: WriteDep) -> object:
    """The referring county withdraws a referral that has not been answered."""
    app = w.services.app
    return w.run(
        lambda: app.withdraw_referral(lead_id, county, body.reason, w.ctx, w.expected_version)
    )


@router.post("/{lead_id:uuid}/shares", response_model=WriteResult, responses=WRITES)
def share_lead(lead_id: UUID, body: ShareCreate, w: WriteDep) -> object:
    """Share the lead for information with several counties (情报共享); the owner stays."""
    app = w.services.app
    return w.run(
        lambda: app.share_lead(lead_id, body.counties, body.reason, w.ctx, w.expected_version)
    )


@router.post("/{lead_id:uuid}/feedback", response_model=WriteResult, responses=WRITES)
def give_feedback(lead_id: UUID, body: FeedbackCreate, w: WriteDep) -> object:
    """Feedback (反馈) by the county that accepted the lead, visible to the referring county."""
    app = w.services.app
    return w.run(
        lambda: app.give_feedback(lead_id, body.content, body.final, w.ctx, w.expected_version)
    )


@router.post("/{lead_id:uuid}/corroborations", response_model=WriteResult, responses=WRITES)
def corroborate_lead(lead_id: UUID, body: CorroborationCreate, w: WriteDep) -> object:
    """Another county reports it saw the same thing, or did not find it."""
    app = w.services.app
    return w.run(
        lambda: app.corroborate_lead(lead_id, body.result, body.note, w.ctx, w.expected_version)
    )


@router.post(
    "/{lead_id:uuid}/conversion", status_code=201, response_model=WriteResult, responses=WRITES
)
def convert_lead(lead_id: UUID, body: LeadConversion, w: WriteDep) -> object:
    """Open a case (立案) from this lead; the answer is the new case."""
    app = w.services.app
    return w.run(
        lambda: app.convert_lead(
            lead_id,
            w.ctx,
            case_type=body.case_type,
            title=body.title,
            summary=body.summary,
            opened_at=body.opened_at,
            expected_version=w.expected_version,
        ),
        status=201,
        location=lambda written: f"/v1/cases/{written.id}",
    )


@router.post("/{lead_id:uuid}/closure", response_model=WriteResult, responses=WRITES)
def close_lead(lead_id: UUID, body: LeadClosureCreate, w: WriteDep) -> object:
    """Close the lead: unfounded (查无实据), duplicate, or merged into another lead."""
    app = w.services.app
    return w.run(
        lambda: app.close_lead(
            lead_id, body.closure, body.reason, w.ctx, body.merged_into_lead, w.expected_version
        )
    )


@router.post(
    "/{lead_id:uuid}/informant-disclosures",
    response_model=InformantDisclosurePublic,
    responses=WRITES,
)
def disclose_informant(lead_id: UUID, body: InformantDisclosure, w: WriteDep) -> JSONResponse:
    """The informant's identity, for officers of the owning county only. Each read is recorded
    as an event (who, when, why). Never cached or stored under an Idempotency-Key."""
    app = w.services.app
    identity, written = app.reveal_informant(lead_id, body.purpose, w.ctx)
    return JSONResponse(
        {
            "lead_id": lead_id,
            "informant": identity,
            "informant_ref": written.details["informant_ref"],
            "position": written.position,
        },
        headers={"Cache-Control": "no-store", "X-Log-Position": str(written.position)},
    )
