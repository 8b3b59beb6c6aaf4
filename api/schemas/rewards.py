"""Request bodies and response shapes of rewards (奖励兑现)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas import NO_NUL, County, IsoDate, Reason, ShortText, example
from api.schemas.common import MatchPagePublic, UtcTime

Share = Literal["lead_provider", "handling", "co_handler"]
RewardStatus = Literal["claimed", "proposed", "approved", "paid"]


class ClaimCreate(BaseModel):
    model_config = example(case_id="6f1c1e0a-7d8e-4d55-9d64-0f0c7a1b2c3d", note="一案一奖")
    case_id: UUID
    note: ShortText = ""


class ApprovalCreate(BaseModel):
    model_config = example(reason="figures checked against the ledger")
    reason: Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)] = ""


class LineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county: County
    officer_id: Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)] | None = None
    share: Share
    amount: Decimal = Field(ge=0, le=10**9)


class AdjustmentCreate(BaseModel):
    model_config = example(
        lines=[{"county": "140221", "officer_id": None, "share": "handling", "amount": "3000.00"}],
        reason="the co-handler's share was agreed at the joint meeting of 2026-04-02",
    )
    lines: list[LineCreate] = Field(min_length=1, max_length=100)
    reason: Reason


class PaymentCreate(BaseModel):
    model_config = example(amount="3000.00", paid_on="2026-05-10", reference="付款凭证 2026-117")
    amount: Decimal = Field(ge=0, le=10**9)
    paid_on: IsoDate
    reference: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]


class LinePublic(BaseModel):
    county: str
    officer_id: str | None = Field(description="None: the unit's pool (beyond individual caps).")
    share: Share
    amount: Decimal


class AdjustmentPublic(BaseModel):
    reason: str
    by: str = Field(description="The officer who adjusted the proposal.")


class ProposalPublic(BaseModel):
    policy_agreement: str
    policy_version: str
    policy_digest: str
    as_of_position: int
    case_value: Decimal
    total: Decimal
    lines: list[LinePublic]
    version: int = Field(default=1, description="1 as computed; each adjustment adds one.")
    adjustment: AdjustmentPublic | None = Field(
        default=None, description="The latest adjustment, which another member must approve."
    )


class DecisionPublic(BaseModel):
    kind: Literal["approved", "adjusted"]
    total: Decimal
    lines: list[LinePublic]
    reason: str


class PaymentPublic(BaseModel):
    amount: Decimal
    paid_on: date
    reference: str


class RewardPublic(BaseModel):
    """One case's reward and every step of it so far."""

    id: UUID
    version: int
    case_id: UUID
    case_number: str
    claimant_county: str
    note: str
    status: RewardStatus
    proposal: ProposalPublic | None
    proposed_by: str | None
    drafted_by: list[str] = Field(
        default_factory=list,
        description="Every officer who proposed or adjusted the reward (none of them approves).",
    )
    decision: DecisionPublic | None
    decided_by: str | None
    payment: PaymentPublic | None


class RewardWritten(RewardPublic):
    """A reward step's answer: the reward as it now stands and the log position of the step."""

    position: int


class RewardRow(BaseModel):
    reward_id: UUID
    case_id: UUID
    case_number: str
    claimant_county: str
    status: RewardStatus
    total: Decimal | None
    updated_at: UtcTime


class RewardList(MatchPagePublic):
    items: list[RewardRow]


class Figures(BaseModel):
    total: str
    lines: list[LinePublic]


class RecomputationPublic(BaseModel):
    """A recorded proposal against the same computation run again from the events as of its
    position: ``matches`` says whether the figures are the same."""

    reward_id: UUID
    as_of_position: int
    policy_version: str
    same_policy_file: bool
    recorded: Figures
    recomputed: Figures
    matches: bool
