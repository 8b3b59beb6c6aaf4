"""/v1/leads: register, read (also as of a version or moment), and every lead action."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from api.deps import AsOfQuery, CurrentOfficer, ServicesDep, VersionQuery, WriteDep, read_response
from api.jsonresp import JSONResponse
from api.present import lead_out
from api.schemas import (
    CorroborationCreate,
    FeedbackCreate,
    InformantDisclosure,
    LeadClosureCreate,
    LeadConversion,
    LeadCreate,
    ReasonBody,
    ReferralCreate,
    ShareCreate,
    WriteResult,
)

router = APIRouter(prefix="/v1/leads", tags=["leads"])


@router.post("", status_code=201, response_model=WriteResult)
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


@router.get("/{lead_id}")
def get_lead(
    lead_id: UUID,
    services: ServicesDep,
    officer: CurrentOfficer,
    version: VersionQuery = None,
    as_of: AsOfQuery = None,
) -> JSONResponse:
    """A lead as it is now, or as it was at a version or a moment (time travel)."""
    lead = services.app.get_lead(lead_id, version=version, as_of=as_of, viewer=officer.actor)
    return read_response(lead_out(lead), lead.version)


@router.post("/{lead_id}/referrals", response_model=WriteResult)
def refer_lead(lead_id: UUID, body: ReferralCreate, w: WriteDep) -> object:
    """Refer the lead to another county (线索移交); deadlines come from the agreement's settings."""
    app = w.services.app
    return w.run(
        lambda: app.refer_lead(lead_id, body.to_county, body.reason, w.ctx, w.expected_version)
    )


@router.post("/{lead_id}/referrals/{county}/acceptance", response_model=WriteResult)
def accept_referral(lead_id: UUID, county: str, w: WriteDep) -> object:
    """The receiving county accepts the referral and becomes responsible for the lead."""
    app = w.services.app
    return w.run(lambda: app.accept_referral(lead_id, w.ctx, w.expected_version, county=county))


@router.post("/{lead_id}/referrals/{county}/declination", response_model=WriteResult)
def decline_referral(lead_id: UUID, county: str, body: ReasonBody, w: WriteDep) -> object:
    """The receiving county declines the referral, with a reason."""
    app = w.services.app
    return w.run(
        lambda: app.decline_referral(lead_id, body.reason, w.ctx, w.expected_version, county=county)
    )


@router.post("/{lead_id}/referrals/{county}/withdrawal", response_model=WriteResult)
def withdraw_referral(lead_id: UUID, county: str, body: ReasonBody, w: WriteDep) -> object:
    """The referring county withdraws a referral that has not been answered."""
    app = w.services.app
    return w.run(
        lambda: app.withdraw_referral(lead_id, county, body.reason, w.ctx, w.expected_version)
    )


@router.post("/{lead_id}/shares", response_model=WriteResult)
def share_lead(lead_id: UUID, body: ShareCreate, w: WriteDep) -> object:
    """Share the lead for information with several counties (情报共享); the owner stays."""
    app = w.services.app
    return w.run(
        lambda: app.share_lead(lead_id, body.counties, body.reason, w.ctx, w.expected_version)
    )


@router.post("/{lead_id}/feedback", response_model=WriteResult)
def give_feedback(lead_id: UUID, body: FeedbackCreate, w: WriteDep) -> object:
    """Feedback (反馈) by the county that accepted the lead, visible to the referring county."""
    app = w.services.app
    return w.run(
        lambda: app.give_feedback(lead_id, body.content, body.final, w.ctx, w.expected_version)
    )


@router.post("/{lead_id}/corroborations", response_model=WriteResult)
def corroborate_lead(lead_id: UUID, body: CorroborationCreate, w: WriteDep) -> object:
    """Another county reports it saw the same thing, or did not find it."""
    app = w.services.app
    return w.run(
        lambda: app.corroborate_lead(lead_id, body.result, body.note, w.ctx, w.expected_version)
    )


@router.post("/{lead_id}/conversion", status_code=201, response_model=WriteResult)
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


@router.post("/{lead_id}/closure", response_model=WriteResult)
def close_lead(lead_id: UUID, body: LeadClosureCreate, w: WriteDep) -> object:
    """Close the lead: unfounded (查无实据), duplicate, or merged into another lead."""
    app = w.services.app
    return w.run(
        lambda: app.close_lead(
            lead_id, body.closure, body.reason, w.ctx, body.merged_into_lead, w.expected_version
        )
    )


@router.post("/{lead_id}/informant-disclosures")
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
