"""What every part of a case reads: the state of a case and the checks its commands share.

``Case`` (domain/case.py) is one aggregate composed of parts, one per idea: seizures, co-handling,
assistance, merging, police referral. Each part inherits this class, so its commands see the
whole state; only the events' ``apply`` assign it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import (
    CaseClosed,
    CaseIsMerged,
    CoHandlerNotAccepted,
    NotCaseParticipant,
    NotLeadCounty,
)
from domain.policy import SeizureTotals
from domain.values import (
    Actor,
    CaseOutcome,
    CaseStatus,
    CaseType,
    CoHandlerStatus,
    Context,
    Disposition,
    IdSet,
    PriceBasis,
)

if TYPE_CHECKING:
    _Aggregate = Aggregate  # the parts are mixed into an Aggregate: let them see its methods
else:
    _Aggregate = object


@dataclass
class AssistanceRequest:
    request_id: UUID
    from_county: str
    to_county: str
    request: str
    due: datetime
    requested_at: datetime
    requested_by: str
    answer: str | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None
    cancelled_at: datetime | None = None
    cancelled_because: str | None = None

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.cancelled_at is None


@dataclass
class CoHandler:
    county: str
    status: CoHandlerStatus
    invited_by: str
    invited_at: datetime
    note: str
    answered_at: datetime | None = None
    answer_reason: str | None = None


@dataclass
class PoliceReferral:
    police_unit: str
    referred_on: datetime
    reason: str
    advice: list[str]
    accepted_on: datetime | None = None
    police_case_number: str | None = None


@dataclass
class Seizure:
    """A seizure as the state of a case held it until class version 2 (each one in the state
    and its snapshots). Kept so that snapshots of that shape still decode; a case now keeps only
    the ids and running totals (``CaseState.seizure_ids``, ``CaseState.seized``)."""

    seizure_id: UUID
    county: str
    officer_id: str
    brand: str
    specification: str
    sticks: int
    value: Decimal
    price_basis: PriceBasis
    disposition: Disposition
    place: str
    seized_at: datetime
    recorded_at: datetime


@dataclass
class MergeRecord:
    """One line of a case's merge history, kept forever (merges and their reversals)."""

    kind: str  # merged_into | absorbed | merge_reversed | released
    other_case_id: UUID
    other_case_number: str
    at: datetime
    officer_id: str
    county: str
    reason: str


@dataclass(eq=False, repr=False)
class CaseState(_Aggregate):
    """The state of a case, assigned by ``Case.Opened`` and changed by the parts' events."""

    county: str = field(init=False)
    number: str = field(init=False)
    year: int = field(init=False)
    case_type: CaseType = field(init=False)
    title: str = field(init=False)
    summary: str = field(init=False)
    lead_ids: list[UUID] = field(init=False)
    lead_counties: list[str] = field(init=False)  # owners of those leads: they follow the case
    opened_at: datetime | None = field(init=False)
    opened_by: Actor = field(init=False)
    status: CaseStatus = field(init=False)
    outcome: CaseOutcome | None = field(init=False)
    close_reason: str | None = field(init=False)
    co_handlers: dict[str, CoHandler] = field(init=False)
    # Seizures themselves are not kept (a case can hold thousands: they are in the read model
    # of seizures); only what the rules use: which ids were recorded (by which county) and the
    # running totals the police thresholds are checked against.
    seizure_ids: IdSet = field(init=False)  # seizure ids (hex), each recorded once
    seized: SeizureTotals = field(init=False)
    assistance: dict[str, AssistanceRequest] = field(init=False)
    merged_into: UUID | None = field(init=False)
    merged_into_number: str | None = field(init=False)
    absorbed: dict[str, str] = field(init=False)
    merge_history: list[MergeRecord] = field(init=False)
    merge_consents: dict[str, list[str]] = field(init=False)
    merge_parties: dict[str, str] = field(init=False)  # pending survivor id -> its county
    police: PoliceReferral | None = field(init=False)

    # --- checks shared by the parts --------------------------------------------------------------
    def _check_not_merged(self) -> None:
        if self.merged_into is not None:
            raise CaseIsMerged(
                f"case {self.number} was merged into case {self.merged_into_number}; it is read-only"
            )

    def _cancel_open_assistance(self, because: str, ctx: Context) -> None:
        """Cancels the case's open assistance requests (the assistance part does it)."""
        raise NotImplementedError

    def _check_active(self) -> None:
        self._check_not_merged()
        if self.status == CaseStatus.CLOSED:
            raise CaseClosed(f"case {self.number} is closed; reopen it first")

    def _check_lead_county(self, ctx: Context, action: str) -> None:
        if ctx.actor.county != self.county:
            raise NotLeadCounty(f"only the lead county ({self.county}) may {action}")

    def _check_participant(self, ctx: Context) -> None:
        county = ctx.actor.county
        if county == self.county:
            return
        handler = self.co_handlers.get(county)
        if handler is not None and handler.status == CoHandlerStatus.JOINED:
            return
        if handler is not None and handler.status == CoHandlerStatus.INVITED:
            raise CoHandlerNotAccepted(
                f"{county} is invited as a co-handler but has not accepted; it cannot act on the case yet"
            )
        raise NotCaseParticipant(f"{county} neither leads nor co-handles this case")
