"""What the API shows of leads: a lead (never its informant, only the pseudonym), a row of
the lead register, a page of the register, a recorded informant disclosure."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.schemas.common import ActorPublic, MatchPagePublic, Public, UtcTime
from api.schemas.evidence import EvidenceFilePublic


class ReferralPublic(Public):
    referral_id: UUID
    from_county: str
    to_county: str
    reason: str
    referred_by: str
    referred_at: UtcTime
    acknowledge_by: UtcTime
    feedback_by: UtcTime
    status: str
    answered_at: UtcTime | None = None
    answer_reason: str | None = None
    first_feedback_at: UtcTime | None = None


class FeedbackPublic(Public):
    county: str
    officer_id: str
    at: UtcTime
    content: str
    final: bool


class CorroborationPublic(Public):
    county: str
    officer_id: str
    at: UtcTime
    result: str
    note: str


class LeadPublic(Public):
    """A lead as it is (or was): owner, responsible county, referrals, shares, feedback."""

    id: UUID
    version: int
    owner_county: str
    responsible_county: str
    summary: str
    source: str
    place_county: str
    place_detail: str
    suspected_parties: list[str]
    informant_ref: str | None
    received_at: UtcTime | None
    registered_by: ActorPublic
    registered_at: UtcTime
    modified_at: UtcTime
    status: str
    closure: str | None
    closure_reason: str | None
    merged_into_lead: UUID | None
    absorbed_leads: list[UUID]
    case_id: UUID | None
    case_number: str | None
    referrals: list[ReferralPublic]
    shared_with: dict[str, UtcTime]
    feedback: list[FeedbackPublic]
    corroborations: list[CorroborationPublic]
    files: list[EvidenceFilePublic] = Field(default_factory=list)


class LeadRowPublic(Public):
    """A lead in the register. `referral_state` is the state of its latest referral (none,
    pending, accepted, declined, withdrawn)."""

    lead_id: UUID
    version: int
    owner_county: str
    responsible_county: str
    status: str
    closure: str | None
    source: str
    summary: str
    place_county: str
    place_detail: str
    suspected_parties: list[str]
    has_informant: bool
    informant_ref: str | None
    received_at: UtcTime | None
    registered_at: UtcTime
    modified_at: UtcTime
    referral_state: str
    referred_to: list[str]
    shared_with: list[str]
    case_id: UUID | None
    case_number: str | None


class LeadPagePublic(MatchPagePublic):
    items: list[LeadRowPublic]


class InformantDisclosurePublic(Public):
    lead_id: UUID
    informant: str
    informant_ref: str | None
    position: int
