"""The Case aggregate (案件): opened by a county from zero or more leads, handled jointly, merged
non-destructively, referred to police, closed and reopened."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import (
    AlreadyCoHandler,
    AlreadyReferredToPolice,
    AssistanceAlreadyAnswered,
    AssistanceNotFound,
    AssistanceToOwnCounty,
    CaseClosed,
    CaseIsMerged,
    CaseNotClosed,
    CoHandlerNotAccepted,
    InvalidInput,
    InviteOwnCounty,
    MergeConsentAlreadyGiven,
    MergeCycle,
    MergeIntoAbsorbedCase,
    MergeIntoSelf,
    NoMergeProposal,
    NonPositiveQuantity,
    NotAssistanceRecipient,
    NotCaseParticipant,
    NotInvited,
    NotLeadCounty,
    NotMerged,
    NotReferredToPolice,
    PoliceAlreadyAccepted,
)
from domain.events import JointCreated, JointEvent, stamp
from domain.lead import _required
from domain.policy import SeizureTotals
from domain.values import (
    MAX_STICKS,
    Actor,
    CaseOutcome,
    CaseStatus,
    CaseType,
    CoHandlerStatus,
    Context,
    Disposition,
    PriceBasis,
    to_money,
)


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
class Seizure:
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


@dataclass
class PoliceReferral:
    police_unit: str
    referred_on: datetime
    reason: str
    advice: list[str]
    accepted_on: datetime | None = None
    police_case_number: str | None = None


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


class Case(Aggregate):
    """A case. State is only assigned by the events' ``apply``; the public methods check the rules."""

    class Event(JointEvent):
        pass

    class Opened(JointCreated, Event):
        county: str
        number: str
        year: int
        case_type: str
        title: str
        summary: str
        lead_ids: list[UUID]
        lead_counties: list[str]
        opened_at: datetime | None

        def apply(self, case: Case) -> None:
            case.county = self.county
            case.number = self.number
            case.year = self.year
            case.case_type = CaseType(self.case_type)
            case.title = self.title
            case.summary = self.summary
            case.lead_ids = list(self.lead_ids)
            case.lead_counties = list(self.lead_counties)
            case.opened_at = self.opened_at
            case.opened_by = self.actor
            case.status = CaseStatus.OPEN
            case.outcome = None
            case.close_reason = None
            case.co_handlers = {}
            case.seizures = []
            case.assistance = {}
            case.merged_into = None
            case.merged_into_number = None
            case.absorbed = {}
            case.merge_history = []
            case.merge_consents = {}
            case.merge_parties = {}
            case.police = None

    class SeizureRecorded(Event):
        seizure_id: UUID
        brand: str
        specification: str
        sticks: int
        value: Decimal
        price_basis: str
        disposition: str
        place: str
        seized_at: datetime

        def apply(self, case: Case) -> None:
            case.seizures.append(
                Seizure(
                    seizure_id=self.seizure_id,
                    county=self.actor.county,
                    officer_id=self.actor.officer_id,
                    brand=self.brand,
                    specification=self.specification,
                    sticks=self.sticks,
                    value=self.value,
                    price_basis=PriceBasis(self.price_basis),
                    disposition=Disposition(self.disposition),
                    place=self.place,
                    seized_at=self.seized_at,
                    recorded_at=self.timestamp,
                )
            )

    class CoHandlerInvited(Event):
        county: str
        note: str

        def apply(self, case: Case) -> None:
            case.co_handlers[self.county] = CoHandler(
                county=self.county,
                status=CoHandlerStatus.INVITED,
                invited_by=self.actor.officer_id,
                invited_at=self.timestamp,
                note=self.note,
            )

    class CoHandlerJoined(Event):
        def apply(self, case: Case) -> None:
            handler = case.co_handlers[self.actor.county]
            handler.status = CoHandlerStatus.JOINED
            handler.answered_at = self.timestamp

    class CoHandlerDeclined(Event):
        reason: str

        def apply(self, case: Case) -> None:
            handler = case.co_handlers[self.actor.county]
            handler.status = CoHandlerStatus.DECLINED
            handler.answered_at = self.timestamp
            handler.answer_reason = self.reason

    class AssistanceRequested(Event):
        request_id: UUID
        to_county: str
        request: str
        due: datetime

        def apply(self, case: Case) -> None:
            case.assistance[str(self.request_id)] = AssistanceRequest(
                request_id=self.request_id,
                from_county=self.actor.county,
                to_county=self.to_county,
                request=self.request,
                due=self.due,
                requested_at=self.timestamp,
                requested_by=self.actor.officer_id,
            )

    class AssistanceAnswered(Event):
        request_id: UUID
        answer: str

        def apply(self, case: Case) -> None:
            request = case.assistance[str(self.request_id)]
            request.answer = self.answer
            request.answered_at = self.timestamp
            request.answered_by = self.actor.officer_id

    class MergeConsentGiven(Event):
        """A county consents to merging this case into the survivor (cross-county merges need two)."""

        survivor_id: UUID
        survivor_number: str
        survivor_county: str
        reason: str

        def apply(self, case: Case) -> None:
            case.merge_parties[str(self.survivor_id)] = self.survivor_county
            consenting = case.merge_consents.setdefault(str(self.survivor_id), [])
            if self.actor.county not in consenting:
                consenting.append(self.actor.county)

    class MergeProposalDeclined(Event):
        survivor_id: UUID
        reason: str

        def apply(self, case: Case) -> None:
            case.merge_consents.pop(str(self.survivor_id), None)
            case.merge_parties.pop(str(self.survivor_id), None)

    class MergedInto(Event):
        survivor_id: UUID
        survivor_number: str
        reason: str

        def apply(self, case: Case) -> None:
            case.status = CaseStatus.MERGED
            case.merged_into = self.survivor_id
            case.merged_into_number = self.survivor_number
            case.merge_consents.clear()
            case.merge_parties.clear()
            case.merge_history.append(
                MergeRecord(
                    "merged_into",
                    self.survivor_id,
                    self.survivor_number,
                    self.timestamp,
                    self.actor.officer_id,
                    self.actor.county,
                    self.reason,
                )
            )

    class CaseAbsorbed(Event):
        absorbed_id: UUID
        absorbed_number: str
        reason: str

        def apply(self, case: Case) -> None:
            case.absorbed[str(self.absorbed_id)] = self.absorbed_number
            case.merge_history.append(
                MergeRecord(
                    "absorbed",
                    self.absorbed_id,
                    self.absorbed_number,
                    self.timestamp,
                    self.actor.officer_id,
                    self.actor.county,
                    self.reason,
                )
            )

    class MergeReversed(Event):
        survivor_id: UUID
        survivor_number: str
        reason: str
        status_before_merge: str

        def apply(self, case: Case) -> None:
            case.status = CaseStatus(self.status_before_merge)
            case.merged_into = None
            case.merged_into_number = None
            case.merge_history.append(
                MergeRecord(
                    "merge_reversed",
                    self.survivor_id,
                    self.survivor_number,
                    self.timestamp,
                    self.actor.officer_id,
                    self.actor.county,
                    self.reason,
                )
            )

    class AbsorbedCaseReleased(Event):
        absorbed_id: UUID
        absorbed_number: str
        reason: str

        def apply(self, case: Case) -> None:
            case.absorbed.pop(str(self.absorbed_id), None)
            case.merge_history.append(
                MergeRecord(
                    "released",
                    self.absorbed_id,
                    self.absorbed_number,
                    self.timestamp,
                    self.actor.officer_id,
                    self.actor.county,
                    self.reason,
                )
            )

    class ReferredToPolice(Event):
        police_unit: str
        referred_on: datetime
        reason: str
        advice: list[str]

        def apply(self, case: Case) -> None:
            case.police = PoliceReferral(
                police_unit=self.police_unit,
                referred_on=self.referred_on,
                reason=self.reason,
                advice=list(self.advice),
            )

    class PoliceAcceptanceRecorded(Event):
        accepted_on: datetime
        police_case_number: str

        def apply(self, case: Case) -> None:
            assert case.police is not None
            case.police.accepted_on = self.accepted_on
            case.police.police_case_number = self.police_case_number

    class Closed(Event):
        outcome: str
        reason: str

        def apply(self, case: Case) -> None:
            case.status = CaseStatus.CLOSED
            case.outcome = CaseOutcome(self.outcome)
            case.close_reason = self.reason

    class Reopened(Event):
        reason: str

        def apply(self, case: Case) -> None:
            case.status = CaseStatus.OPEN
            case.outcome = None
            case.close_reason = None

    # --- state -----------------------------------------------------------------------------------
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
    seizures: list[Seizure] = field(init=False)
    assistance: dict[str, AssistanceRequest] = field(init=False)
    merged_into: UUID | None = field(init=False)
    merged_into_number: str | None = field(init=False)
    absorbed: dict[str, str] = field(init=False)
    merge_history: list[MergeRecord] = field(init=False)
    merge_consents: dict[str, list[str]] = field(init=False)
    merge_parties: dict[str, str] = field(init=False)  # pending survivor id -> its county
    police: PoliceReferral | None = field(init=False)

    # --- commands --------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        *,
        case_id: UUID,
        number: str,
        year: int,
        ctx: Context,
        case_type: CaseType | str,
        title: str,
        summary: str = "",
        lead_ids: list[UUID] | None = None,
        lead_counties: list[str] | None = None,
        opened_at: datetime | None = None,
    ) -> Case:
        try:
            case_type = CaseType(case_type)
        except ValueError as e:
            raise InvalidInput(f"unknown case type {case_type!r}") from e
        return cls._create(
            cls.Opened,
            id=case_id,
            county=ctx.actor.county,
            number=number,
            year=year,
            case_type=str(case_type),
            title=_required(title, "a case's title"),
            summary=summary.strip(),
            lead_ids=list(dict.fromkeys(lead_ids or [])),
            lead_counties=sorted(set(lead_counties or []) - {ctx.actor.county}),
            opened_at=opened_at,
            **stamp(ctx),
        )

    def record_seizure(
        self,
        *,
        seizure_id: UUID,
        ctx: Context,
        brand: str,
        sticks: int,
        value: Decimal,
        price_basis: PriceBasis | str,
        seized_at: datetime,
        specification: str = "",
        place: str = "",
        disposition: Disposition | str = Disposition.UNSOLD,
    ) -> None:
        self._check_active()
        self._check_participant(ctx)
        if isinstance(sticks, int) and sticks > MAX_STICKS:
            raise InvalidInput(f"a seizure holds at most {MAX_STICKS:,} sticks")
        if isinstance(sticks, bool) or not isinstance(sticks, int) or sticks <= 0:
            raise NonPositiveQuantity(
                f"a seizure's quantity must be a positive number of sticks, got {sticks}"
            )
        value = to_money(value)
        try:
            price_basis = PriceBasis(price_basis)
            disposition = Disposition(disposition)
        except ValueError as e:
            raise InvalidInput(str(e)) from e
        if any(s.seizure_id == seizure_id for s in self.seizures):
            raise InvalidInput(f"seizure {seizure_id} is already recorded")
        self.trigger_event(
            self.SeizureRecorded,
            seizure_id=seizure_id,
            brand=_required(brand, "a seizure's brand"),
            specification=specification.strip(),
            sticks=sticks,
            value=value,
            price_basis=str(price_basis),
            disposition=str(disposition),
            place=place.strip(),
            seized_at=seized_at,
            **stamp(ctx),
        )

    def invite_co_handler(self, county: str, note: str, ctx: Context) -> None:
        self._check_active()
        self._check_lead_county(ctx, "invite co-handlers")
        if county == self.county:
            raise InviteOwnCounty("the lead county cannot invite itself as a co-handler")
        existing = self.co_handlers.get(county)
        if existing is not None and existing.status != CoHandlerStatus.DECLINED:
            raise AlreadyCoHandler(f"{county} is already {existing.status} as a co-handler")
        self.trigger_event(self.CoHandlerInvited, county=county, note=note.strip(), **stamp(ctx))

    def accept_co_handling(self, ctx: Context) -> None:
        self._check_active()
        self._check_invited(ctx)
        self.trigger_event(self.CoHandlerJoined, **stamp(ctx))

    def decline_co_handling(self, reason: str, ctx: Context) -> None:
        self._check_active()
        self._check_invited(ctx)
        self.trigger_event(
            self.CoHandlerDeclined,
            reason=_required(reason, "the reason for declining"),
            **stamp(ctx),
        )

    def request_assistance(
        self, request_id: UUID, to_county: str, request: str, due: datetime, ctx: Context
    ) -> None:
        self._check_active()
        self._check_participant(ctx)
        if to_county == ctx.actor.county:
            raise AssistanceToOwnCounty("a county cannot ask itself for assistance")
        if str(request_id) in self.assistance:
            raise InvalidInput(f"assistance request {request_id} already exists")
        self.trigger_event(
            self.AssistanceRequested,
            request_id=request_id,
            to_county=to_county,
            request=_required(request, "an assistance request"),
            due=due,
            **stamp(ctx),
        )

    def answer_assistance(self, request_id: UUID, answer: str, ctx: Context) -> None:
        self._check_active()
        request = self.assistance.get(str(request_id))
        if request is None:
            raise AssistanceNotFound(f"this case has no assistance request {request_id}")
        if request.to_county != ctx.actor.county:
            raise NotAssistanceRecipient(
                f"only the requested county ({request.to_county}) answers this assistance request"
            )
        if request.answered_at is not None:
            raise AssistanceAlreadyAnswered("this assistance request was already answered")
        self.trigger_event(
            self.AssistanceAnswered,
            request_id=request_id,
            answer=_required(answer, "an answer"),
            **stamp(ctx),
        )

    def refer_to_police(
        self, police_unit: str, referred_on: datetime, reason: str, advice: list[str], ctx: Context
    ) -> None:
        self._check_active()
        self._check_lead_county(ctx, "refer the case to police")
        if self.police is not None:
            raise AlreadyReferredToPolice(
                f"the case was already referred to {self.police.police_unit}"
            )
        self.trigger_event(
            self.ReferredToPolice,
            police_unit=_required(police_unit, "the police unit"),
            referred_on=referred_on,
            reason=_required(reason, "the reason for the referral"),
            advice=list(advice),
            **stamp(ctx),
        )

    def record_police_acceptance(
        self, accepted_on: datetime, police_case_number: str, ctx: Context
    ) -> None:
        self._check_active()
        self._check_lead_county(ctx, "record police acceptance")
        if self.police is None:
            raise NotReferredToPolice("the case has not been referred to police")
        if self.police.accepted_on is not None:
            raise PoliceAlreadyAccepted("police acceptance is already recorded")
        self.trigger_event(
            self.PoliceAcceptanceRecorded,
            accepted_on=accepted_on,
            police_case_number=police_case_number.strip(),
            **stamp(ctx),
        )

    def close(self, outcome: CaseOutcome | str, reason: str, ctx: Context) -> None:
        self._check_active()
        self._check_lead_county(ctx, "close the case")
        try:
            outcome = CaseOutcome(outcome)
        except ValueError as e:
            raise InvalidInput(f"unknown case outcome {outcome!r}") from e
        self.trigger_event(
            self.Closed,
            outcome=str(outcome),
            reason=_required(reason, "the reason for closing"),
            **stamp(ctx),
        )

    def reopen(self, reason: str, ctx: Context) -> None:
        self._check_not_merged()
        self._check_lead_county(ctx, "reopen the case")
        if self.status != CaseStatus.CLOSED:
            raise CaseNotClosed("only a closed case can be reopened")
        self.trigger_event(
            self.Reopened, reason=_required(reason, "the reason for reopening"), **stamp(ctx)
        )

    # --- queries ---------------------------------------------------------------------------------
    def participant_counties(self) -> set[str]:
        joined = {c for c, h in self.co_handlers.items() if h.status == CoHandlerStatus.JOINED}
        return {self.county, *joined}

    def counties_involved(self) -> set[str]:
        """Every county that may see this case: lead county, co-handlers (invited included),
        the owners of the leads it was opened from, the counties asked for assistance and
        those party to a pending merge."""
        counties = {self.county, *self.co_handlers, *self.lead_counties}
        counties.update(a.to_county for a in self.assistance.values())
        for consenting in self.merge_consents.values():
            counties.update(consenting)
        counties.update(self.merge_parties.values())
        return counties

    def seizure_totals(self) -> SeizureTotals:
        totals = SeizureTotals()
        for s in self.seizures:
            totals = totals.add(s.value, s.sticks, self.case_type, s.disposition)
        return totals

    def public_state(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "number": self.number,
            "county": self.county,
            "year": self.year,
            "case_type": str(self.case_type),
            "title": self.title,
            "summary": self.summary,
            "lead_ids": list(self.lead_ids),
            "lead_counties": list(self.lead_counties),
            "opened_at": self.opened_at,
            "opened_by": self.opened_by,
            "recorded_at": self.created_on,
            "modified_at": self.modified_on,
            "status": str(self.status),
            "outcome": str(self.outcome) if self.outcome else None,
            "close_reason": self.close_reason,
            "co_handlers": [vars(h).copy() for h in self.co_handlers.values()],
            "seizures": [vars(s).copy() for s in self.seizures],
            "assistance": [vars(a).copy() for a in self.assistance.values()],
            "merged_into": self.merged_into,
            "merged_into_number": self.merged_into_number,
            "absorbed": [{"case_id": UUID(k), "number": v} for k, v in self.absorbed.items()],
            "merge_history": [vars(m).copy() for m in self.merge_history],
            "pending_merges": [
                {"survivor_id": UUID(k), "consenting_counties": sorted(v)}
                for k, v in self.merge_consents.items()
            ],
            "police": vars(self.police).copy() if self.police else None,
        }

    # --- rule helpers ----------------------------------------------------------------------------
    def _check_not_merged(self) -> None:
        if self.merged_into is not None:
            raise CaseIsMerged(
                f"case {self.number} was merged into case {self.merged_into_number}; it is read-only"
            )

    def _check_active(self) -> None:
        self._check_not_merged()
        if self.status == CaseStatus.CLOSED:
            raise CaseClosed(f"case {self.number} is closed; reopen it first")

    def _check_lead_county(self, ctx: Context, action: str) -> None:
        if ctx.actor.county != self.county:
            raise NotLeadCounty(f"only the lead county ({self.county}) may {action}")

    def _check_invited(self, ctx: Context) -> None:
        handler = self.co_handlers.get(ctx.actor.county)
        if handler is None or handler.status != CoHandlerStatus.INVITED:
            raise NotInvited(f"{ctx.actor.county} has no open invitation to co-handle this case")

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


# --- merging: a rule over two cases ------------------------------------------------------------
def merge(
    absorbed: Case, survivor: Case, reason: str, ctx: Context, survivor_chain: list[UUID]
) -> bool:
    """Merges ``absorbed`` into ``survivor`` (并案), or records this county's consent when the merge
    crosses counties and the other county has not consented yet. ``survivor_chain`` lists the cases
    the survivor was itself merged into, nearest first. Returns True when the merge took place."""
    if absorbed.id == survivor.id:
        raise MergeIntoSelf("a case cannot be merged into itself")
    absorbed._check_not_merged()
    if absorbed.id in survivor_chain:
        raise MergeCycle(
            f"case {survivor.number} was merged into case {absorbed.number}; "
            "merging back would make a cycle"
        )
    if survivor.merged_into is not None:
        raise MergeIntoAbsorbedCase(
            f"case {survivor.number} was itself merged into {survivor.merged_into_number}; "
            "merge into the surviving case instead"
        )
    if survivor.status == CaseStatus.CLOSED:
        raise CaseClosed(f"case {survivor.number} is closed; reopen it before merging into it")
    reason = _required(reason, "the reason for merging")
    needed = {absorbed.county, survivor.county}
    if ctx.actor.county not in needed:
        raise NotLeadCounty("only the lead county of one of the two cases may merge them")
    consents = set(absorbed.merge_consents.get(str(survivor.id), []))
    if ctx.actor.county in consents:
        raise MergeConsentAlreadyGiven(
            f"{ctx.actor.county} already consented; waiting for {sorted(needed - consents)}"
        )
    if not needed <= consents | {ctx.actor.county}:
        absorbed.trigger_event(
            Case.MergeConsentGiven,
            survivor_id=survivor.id,
            survivor_number=survivor.number,
            survivor_county=survivor.county,
            reason=reason,
            **stamp(ctx),
        )
        return False
    absorbed.trigger_event(
        Case.MergedInto,
        survivor_id=survivor.id,
        survivor_number=survivor.number,
        reason=reason,
        **stamp(ctx),
    )
    survivor.trigger_event(
        Case.CaseAbsorbed,
        absorbed_id=absorbed.id,
        absorbed_number=absorbed.number,
        reason=reason,
        **stamp(ctx),
    )
    return True


def decline_merge(absorbed: Case, survivor_id: UUID, reason: str, ctx: Context) -> None:
    """The other county refuses a proposed cross-county merge; the proposal is dropped."""
    absorbed._check_not_merged()
    consents = absorbed.merge_consents.get(str(survivor_id))
    if not consents:
        raise NoMergeProposal("there is no pending proposal to merge these cases")
    absorbed.trigger_event(
        Case.MergeProposalDeclined,
        survivor_id=survivor_id,
        reason=_required(reason, "the reason for declining"),
        **stamp(ctx),
    )


def unmerge(absorbed: Case, survivor: Case, reason: str, ctx: Context) -> None:
    """Reverses a merge: both cases record it, the absorbed case becomes active again."""
    if absorbed.merged_into is None:
        raise NotMerged(f"case {absorbed.number} is not merged into another case")
    if absorbed.merged_into != survivor.id:
        raise NotMerged(f"case {absorbed.number} is not merged into case {survivor.number}")
    survivor._check_not_merged()
    if ctx.actor.county not in (absorbed.county, survivor.county):
        raise NotLeadCounty("only the lead county of one of the two cases may reverse their merge")
    reason = _required(reason, "the reason for reversing the merge")
    # A case is closed or open independently of merges; restore what its own events say.
    before = CaseStatus.CLOSED if absorbed.outcome is not None else CaseStatus.OPEN
    absorbed.trigger_event(
        Case.MergeReversed,
        survivor_id=survivor.id,
        survivor_number=survivor.number,
        reason=reason,
        status_before_merge=str(before),
        **stamp(ctx),
    )
    survivor.trigger_event(
        Case.AbsorbedCaseReleased,
        absorbed_id=absorbed.id,
        absorbed_number=absorbed.number,
        reason=reason,
        **stamp(ctx),
    )
