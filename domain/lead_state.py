"""What every part of a lead reads: the state of a lead and the checks its commands share.

``Lead`` (domain/lead.py) is one aggregate; its referrals (domain/referrals.py) are a part that
inherits this class, so its commands see the whole state; only the events' ``apply`` assign it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import LeadAlreadyConverted, LeadClosed, NotResponsibleCounty
from domain.jurisdiction import NAMESPACE
from domain.values import (
    Actor,
    Context,
    CorroborationResult,
    LeadClosure,
    LeadSource,
    LeadStatus,
    ReferralStatus,
)

if TYPE_CHECKING:
    _Aggregate = Aggregate  # the parts are mixed into an Aggregate: let them see its methods
else:
    _Aggregate = object


def derived_referral_id(
    from_county: str, to_county: str, referred_by: str, referred_at: datetime
) -> UUID:
    """The id of a referral recorded before referrals had ids (or made without one): derived
    from who referred it where and when, the same from its event and from a snapshot."""
    return uuid5(
        NAMESPACE, f"referral/{from_county}/{to_county}/{referred_by}/{referred_at.isoformat()}"
    )


@dataclass
class Referral:
    from_county: str
    to_county: str
    reason: str
    referred_by: str
    referred_at: datetime
    acknowledge_by: datetime
    feedback_by: datetime
    status: ReferralStatus = ReferralStatus.PENDING
    answered_at: datetime | None = None
    answer_reason: str | None = None
    first_feedback_at: datetime | None = None
    referral_id: UUID | None = None  # always set: None only while a snapshot is upcast

    def __post_init__(self) -> None:
        if self.referral_id is None:
            self.referral_id = derived_referral_id(
                self.from_county, self.to_county, self.referred_by, self.referred_at
            )


@dataclass
class Feedback:
    county: str
    officer_id: str
    at: datetime
    content: str
    final: bool


@dataclass
class Corroboration:
    county: str
    officer_id: str
    at: datetime
    result: CorroborationResult
    note: str


@dataclass(eq=False, repr=False)
class LeadState(_Aggregate):
    """The state of a lead, assigned by ``Lead.Registered`` and changed by the events."""

    owner_county: str = field(init=False)
    responsible_county: str = field(init=False)
    summary: str = field(init=False)
    source: LeadSource = field(init=False)
    place_county: str = field(init=False)
    place_detail: str = field(init=False)
    suspected_parties: list[str] = field(init=False)
    informant_ciphertext: str | None = field(init=False)
    informant_ref: str | None = field(init=False)
    received_at: datetime | None = field(init=False)
    registered_by: Actor = field(init=False)
    status: LeadStatus = field(init=False)
    closure: LeadClosure | None = field(init=False)
    closure_reason: str | None = field(init=False)
    merged_into_lead: UUID | None = field(init=False)
    case_id: UUID | None = field(init=False)
    case_number: str | None = field(init=False)
    referrals: list[Referral] = field(init=False)
    shared_with: dict[str, datetime] = field(init=False)
    feedback: list[Feedback] = field(init=False)
    corroborations: list[Corroboration] = field(init=False)
    absorbed_leads: list[UUID] = field(init=False)

    # --- checks shared by the parts --------------------------------------------------------------
    def _check_not_closed(self) -> None:
        if self.status == LeadStatus.CLOSED:
            raise LeadClosed(f"the lead is closed ({self.closure}); it accepts nothing but reading")

    def _check_open_for_handling(self) -> None:
        self._check_not_closed()
        if self.status == LeadStatus.CONVERTED:
            raise LeadAlreadyConverted(f"the lead was already converted to case {self.case_number}")

    def _check_responsible(self, ctx: Context, action: str) -> None:
        if ctx.actor.county != self.responsible_county:
            raise NotResponsibleCounty(
                f"only the responsible county ({self.responsible_county}) may {action}"
            )
