"""What the API shows of cases: a case (seizures in 支 and 箱, money as decimal strings), the
police advice, a row of case search, a page of it, and a county's workspace."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field

from api.schemas.common import ActorPublic, MatchPagePublic, Public, UtcTime
from api.schemas.evidence import EvidenceFilePublic


class QuantityPublic(Public):
    sticks: int = Field(description="支")
    cases: str = Field(description="箱 (50,000 支), a decimal string")


class CoHandlerPublic(Public):
    county: str
    status: str
    invited_by: str
    invited_at: UtcTime
    note: str
    answered_at: UtcTime | None = None
    answer_reason: str | None = None


class SeizurePublic(Public):
    seizure_id: UUID
    county: str
    officer_id: str
    brand: str
    specification: str
    sticks: int
    quantity: QuantityPublic
    value: Decimal = Field(description="Yuan (元), a decimal string.")
    price_basis: str
    disposition: str
    place: str
    seized_at: UtcTime
    recorded_at: UtcTime


class AssistancePublic(Public):
    request_id: UUID
    from_county: str
    to_county: str
    request: str
    due: UtcTime
    requested_at: UtcTime
    requested_by: str
    answer: str | None = None
    answered_at: UtcTime | None = None
    answered_by: str | None = None
    cancelled_at: UtcTime | None = None
    cancelled_because: str | None = Field(
        default=None, description="Why the request was cancelled (the case closed or merged)."
    )


class PoliceReferralPublic(Public):
    police_unit: str
    referred_on: UtcTime
    reason: str
    advice: list[str]
    accepted_on: UtcTime | None = None
    police_case_number: str | None = None


class MergeRecordPublic(Public):
    kind: str = Field(examples=["merged_into"])
    other_case_id: UUID
    other_case_number: str
    at: UtcTime
    officer_id: str
    county: str
    reason: str


class AbsorbedPublic(Public):
    case_id: UUID
    number: str


class PendingMergePublic(Public):
    survivor_id: UUID
    consenting_counties: list[str]


class TotalsPublic(Public):
    value: Decimal
    quantity: QuantityPublic


class CasePublic(Public):
    """A case as it is (or was). `police_advice` (the thresholds reached) only on a current
    read."""

    access: Literal["full"] = Field(
        default="full", description="The whole case (`summary`: see CaseSummaryPublic)."
    )
    id: UUID
    version: int
    number: str = Field(examples=["140221-2026-0007"])
    county: str
    year: int
    case_type: str
    title: str
    summary: str
    lead_ids: list[UUID]
    lead_counties: list[str]
    opened_at: UtcTime | None
    opened_by: ActorPublic
    recorded_at: UtcTime
    modified_at: UtcTime
    status: str
    outcome: str | None
    close_reason: str | None
    co_handlers: list[CoHandlerPublic]
    seizures: list[SeizurePublic]
    assistance: list[AssistancePublic]
    merged_into: UUID | None
    merged_into_number: str | None
    absorbed: list[AbsorbedPublic]
    merge_history: list[MergeRecordPublic]
    pending_merges: list[PendingMergePublic]
    police: PoliceReferralPublic | None
    totals: TotalsPublic
    police_advice: list[str] | None = None
    files: list[EvidenceFilePublic] = Field(default_factory=list)


class PoliceAdvicePublic(Public):
    case_id: UUID
    thresholds_reached: list[str]
    value: Decimal
    sticks: int


class MergeProposalPublic(Public):
    survivor_id: UUID
    survivor_county: str
    consenting_counties: list[str]


class CaseSummaryFields(Public):
    """The fields of a case's summary, the same in every shape that shows one: exactly
    ``domain.case_summary.SUMMARY_FIELDS`` (a test holds them together)."""

    number: str
    county: str
    year: int
    case_type: str
    status: str
    title: str
    summary: str
    opened_at: UtcTime | None
    recorded_at: UtcTime
    co_handlers: list[str] = Field(description="The counties that joined as co-handlers.")
    seizures: int
    total_sticks: int
    total_value: Decimal


class CaseSummaryPublic(CaseSummaryFields):
    """A case as its summary: what a county invited to co-handle it, asked for assistance or
    party to a merge proposal (and the reward committee) reads of it, with what was asked of
    the reader's county. No seizure lines, files, history or other counties' requests."""

    access: Literal["summary"] = "summary"
    id: UUID
    invitation: CoHandlerPublic | None = Field(
        default=None, description="The reader's county's invitation to co-handle the case."
    )
    assistance: list[AssistancePublic] = Field(
        description="The assistance requests made to the reader's county."
    )
    merge_proposals: list[MergeProposalPublic] = Field(
        description="The open proposals to merge this case the reader's county is party to."
    )


class CaseRowPublic(CaseSummaryFields):
    """A case in search results and workspaces; a case the reader sees only as its summary
    (`access` = `summary`) has only the summary's fields (the others are null)."""

    access: Literal["full", "summary"] = "full"
    case_id: UUID
    modified_at: UtcTime | None = None
    version: int | None = None
    merged_into: UUID | None = None
    police_referred: bool | None = None


class CasePagePublic(MatchPagePublic):
    items: list[CaseRowPublic]


class WorkItemPublic(Public):
    item_id: str
    kind: str = Field(examples=["acknowledge_referral"])
    lead_id: UUID | None
    case_id: UUID | None
    from_county: str | None
    title: str
    created_at: UtcTime
    due_at: UtcTime | None
    done_at: UtcTime | None
    outcome: str | None
    overdue: bool | None


class OpenCasesPublic(Public):
    lead: list[CaseRowPublic]
    co_handled: list[CaseRowPublic]


class WorkspacePublic(Public):
    """What a county has to act on, soonest deadline first."""

    county: str
    as_of: UtcTime
    position: int
    items: list[WorkItemPublic]
    open: int
    overdue: int
    open_cases: OpenCasesPublic
