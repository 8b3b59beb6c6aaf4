"""The Lead aggregate (线索): unverified information owned by one county, referred, shared,
corroborated, and finally converted to a case or closed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import (
    AlreadyShared,
    CorroborationByOwner,
    InvalidInput,
    LeadAlreadyConverted,
    LeadClosed,
    LeadMergeInvalid,
    NoAcceptedReferral,
    NoPendingReferral,
    NotReceivingCounty,
    NotResponsibleCounty,
    ReferralAlreadyOpen,
    ReferralToOwnCounty,
    ResponsibilityAlreadyTaken,
    ShareWithOwnCounty,
)
from domain.events import JointCreated, JointEvent, stamp
from domain.values import (
    Actor,
    Context,
    CorroborationResult,
    LeadClosure,
    LeadSource,
    LeadStatus,
    ReferralStatus,
)


def _required(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput(f"{what} must not be empty")
    return text


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


class Lead(Aggregate):
    """A lead. State is only assigned by the events' ``apply``; the public methods check the rules."""

    # --- events ----------------------------------------------------------------------------------
    class Event(JointEvent):
        pass

    class Registered(JointCreated, Event):
        county: str
        summary: str
        source: str
        place_county: str
        place_detail: str
        suspected_parties: list[str]
        informant_ciphertext: str | None
        informant_ref: str | None
        received_at: datetime | None

        def apply(self, lead: Lead) -> None:
            lead.owner_county = self.county
            lead.responsible_county = self.county
            lead.summary = self.summary
            lead.source = LeadSource(self.source)
            lead.place_county = self.place_county
            lead.place_detail = self.place_detail
            lead.suspected_parties = list(self.suspected_parties)
            lead.informant_ciphertext = self.informant_ciphertext
            lead.informant_ref = self.informant_ref
            lead.received_at = self.received_at
            lead.registered_by = self.actor
            lead.status = LeadStatus.OPEN
            lead.closure = None
            lead.closure_reason = None
            lead.merged_into_lead = None
            lead.case_id = None
            lead.case_number = None
            lead.referrals = []
            lead.shared_with = {}
            lead.feedback = []
            lead.corroborations = []
            lead.absorbed_leads = []

    class Referred(Event):
        to_county: str
        reason: str
        acknowledge_by: datetime
        feedback_by: datetime

        def apply(self, lead: Lead) -> None:
            lead.referrals.append(
                Referral(
                    from_county=self.actor.county,
                    to_county=self.to_county,
                    reason=self.reason,
                    referred_by=self.actor.officer_id,
                    referred_at=self.timestamp,
                    acknowledge_by=self.acknowledge_by,
                    feedback_by=self.feedback_by,
                )
            )

    class ReferralWithdrawn(Event):
        to_county: str
        reason: str

        def apply(self, lead: Lead) -> None:
            referral = lead.open_referral_to(self.to_county)
            assert referral is not None
            referral.status = ReferralStatus.WITHDRAWN
            referral.answered_at = self.timestamp
            referral.answer_reason = self.reason

    class ReferralAccepted(Event):
        from_county: str

        def apply(self, lead: Lead) -> None:
            referral = lead.open_referral_to(self.actor.county)
            assert referral is not None
            referral.status = ReferralStatus.ACCEPTED
            referral.answered_at = self.timestamp
            lead.responsible_county = self.actor.county

    class ReferralDeclined(Event):
        from_county: str
        reason: str

        def apply(self, lead: Lead) -> None:
            referral = lead.open_referral_to(self.actor.county)
            assert referral is not None
            referral.status = ReferralStatus.DECLINED
            referral.answered_at = self.timestamp
            referral.answer_reason = self.reason

    class Shared(Event):
        counties: list[str]
        reason: str

        def apply(self, lead: Lead) -> None:
            for county in self.counties:
                lead.shared_with[county] = self.timestamp

    class FeedbackGiven(Event):
        content: str
        final: bool

        def apply(self, lead: Lead) -> None:
            lead.feedback.append(
                Feedback(
                    county=self.actor.county,
                    officer_id=self.actor.officer_id,
                    at=self.timestamp,
                    content=self.content,
                    final=self.final,
                )
            )
            referral = lead.accepted_referral_of(self.actor.county)
            if referral is not None and referral.first_feedback_at is None:
                referral.first_feedback_at = self.timestamp

    class Corroborated(Event):
        result: str
        note: str

        def apply(self, lead: Lead) -> None:
            lead.corroborations.append(
                Corroboration(
                    county=self.actor.county,
                    officer_id=self.actor.officer_id,
                    at=self.timestamp,
                    result=CorroborationResult(self.result),
                    note=self.note,
                )
            )

    class ConvertedToCase(Event):
        case_id: UUID
        case_number: str

        def apply(self, lead: Lead) -> None:
            lead.status = LeadStatus.CONVERTED
            lead.case_id = self.case_id
            lead.case_number = self.case_number

    class Closed(Event):
        closure: str
        reason: str
        merged_into_lead: UUID | None

        def apply(self, lead: Lead) -> None:
            lead.status = LeadStatus.CLOSED
            lead.closure = LeadClosure(self.closure)
            lead.closure_reason = self.reason
            lead.merged_into_lead = self.merged_into_lead

    class LeadAbsorbed(Event):
        lead_id: UUID

        def apply(self, lead: Lead) -> None:
            lead.absorbed_leads.append(self.lead_id)

    # --- state (declared for readers and type checkers; assigned by Registered.apply) --------------
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

    # --- commands --------------------------------------------------------------------------------
    @classmethod
    def register(
        cls,
        *,
        lead_id: UUID,
        ctx: Context,
        summary: str,
        source: LeadSource | str,
        place_county: str,
        place_detail: str = "",
        suspected_parties: list[str] | None = None,
        informant_ciphertext: str | None = None,
        informant_ref: str | None = None,
        received_at: datetime | None = None,
    ) -> Lead:
        try:
            source = LeadSource(source)
        except ValueError as e:
            raise InvalidInput(f"unknown lead source {source!r}") from e
        parties = [p.strip() for p in (suspected_parties or []) if p.strip()]
        return cls._create(
            cls.Registered,
            id=lead_id,
            county=ctx.actor.county,
            summary=_required(summary, "a lead's summary"),
            source=str(source),
            place_county=place_county,
            place_detail=place_detail.strip(),
            suspected_parties=parties,
            informant_ciphertext=informant_ciphertext,
            informant_ref=informant_ref,
            received_at=received_at,
            **stamp(ctx),
        )

    def refer(
        self,
        to_county: str,
        reason: str,
        ctx: Context,
        acknowledge_by: datetime,
        feedback_by: datetime,
    ) -> None:
        self._check_open_for_handling()
        self._check_responsible(ctx, "refer it")
        if to_county == ctx.actor.county:
            raise ReferralToOwnCounty(f"a lead cannot be referred to its own county ({to_county})")
        if self.open_referral_to(to_county) is not None:
            raise ReferralAlreadyOpen(
                f"a referral of this lead to {to_county} is still open; it cannot be referred there twice"
            )
        self.trigger_event(
            self.Referred,
            to_county=to_county,
            reason=_required(reason, "the reason for a referral"),
            acknowledge_by=acknowledge_by,
            feedback_by=feedback_by,
            **stamp(ctx),
        )

    def withdraw_referral(self, to_county: str, reason: str, ctx: Context) -> None:
        self._check_not_closed()
        referral = self.open_referral_to(to_county)
        if referral is None or referral.status != ReferralStatus.PENDING:
            raise NoPendingReferral(f"there is no pending referral of this lead to {to_county}")
        if referral.from_county != ctx.actor.county:
            raise NotResponsibleCounty("only the referring county may withdraw a referral")
        self.trigger_event(
            self.ReferralWithdrawn,
            to_county=to_county,
            reason=_required(reason, "the reason for withdrawing"),
            **stamp(ctx),
        )

    def accept_referral(self, ctx: Context) -> None:
        self._check_open_for_handling()
        referral = self._pending_referral_for(ctx)
        if referral.from_county != self.responsible_county:
            raise ResponsibilityAlreadyTaken(
                f"responsibility for this lead has passed to {self.responsible_county} since it was "
                f"referred; the referral from {referral.from_county} can only be declined"
            )
        self.trigger_event(self.ReferralAccepted, from_county=referral.from_county, **stamp(ctx))

    def decline_referral(self, reason: str, ctx: Context) -> None:
        self._check_not_closed()
        referral = self._pending_referral_for(ctx)
        self.trigger_event(
            self.ReferralDeclined,
            from_county=referral.from_county,
            reason=_required(reason, "the reason for declining"),
            **stamp(ctx),
        )

    def share(self, counties: list[str], reason: str, ctx: Context) -> None:
        self._check_not_closed()
        if ctx.actor.county not in (self.owner_county, self.responsible_county):
            raise NotResponsibleCounty("only the owning or responsible county may share a lead")
        wanted = list(dict.fromkeys(counties))
        if not wanted:
            raise InvalidInput("name at least one county to share the lead with")
        for county in wanted:
            if county in (self.owner_county, ctx.actor.county):
                raise ShareWithOwnCounty(f"a lead cannot be shared with its own county ({county})")
            if county in self.shared_with:
                raise AlreadyShared(f"the lead is already shared with {county}")
        self.trigger_event(self.Shared, counties=wanted, reason=reason.strip(), **stamp(ctx))

    def give_feedback(self, content: str, final: bool, ctx: Context) -> None:
        self._check_not_closed()
        if (
            self.accepted_referral_of(ctx.actor.county) is None
            or ctx.actor.county != self.responsible_county
        ):
            raise NoAcceptedReferral(
                "only the county that accepted this lead and is responsible for it gives feedback"
            )
        self.trigger_event(
            self.FeedbackGiven, content=_required(content, "feedback"), final=final, **stamp(ctx)
        )

    def corroborate(self, result: CorroborationResult | str, note: str, ctx: Context) -> None:
        self._check_not_closed()
        if ctx.actor.county == self.owner_county:
            raise CorroborationByOwner("the owning county cannot corroborate its own lead")
        try:
            result = CorroborationResult(result)
        except ValueError as e:
            raise InvalidInput(f"a corroboration is 'seen' or 'not_found', not {result!r}") from e
        self.trigger_event(self.Corroborated, result=str(result), note=note.strip(), **stamp(ctx))

    def convert_to_case(self, case_id: UUID, case_number: str, ctx: Context) -> None:
        self._check_open_for_handling()
        self._check_responsible(ctx, "open a case from it")
        self.trigger_event(
            self.ConvertedToCase, case_id=case_id, case_number=case_number, **stamp(ctx)
        )

    def close(
        self,
        closure: LeadClosure | str,
        reason: str,
        ctx: Context,
        merged_into_lead: Lead | None = None,
    ) -> None:
        self._check_open_for_handling()
        self._check_responsible(ctx, "close it")
        try:
            closure = LeadClosure(closure)
        except ValueError as e:
            raise InvalidInput(f"unknown closure {closure!r}") from e
        if closure == LeadClosure.MERGED:
            if merged_into_lead is None:
                raise InvalidInput("closing a lead as merged needs the lead it is merged into")
            if merged_into_lead.id == self.id:
                raise LeadMergeInvalid("a lead cannot be merged into itself")
            merged_into_lead._check_open_for_handling()
        elif merged_into_lead is not None:
            raise InvalidInput("only a lead closed as 'merged' names another lead")
        self.trigger_event(
            self.Closed,
            closure=str(closure),
            reason=_required(reason, "the reason for closing"),
            merged_into_lead=merged_into_lead.id if merged_into_lead else None,
            **stamp(ctx),
        )
        if merged_into_lead is not None:
            merged_into_lead.trigger_event(self.LeadAbsorbed, lead_id=self.id, **stamp(ctx))

    # --- queries ---------------------------------------------------------------------------------
    def open_referral_to(self, county: str) -> Referral | None:
        """The referral to this county still in force: pending, or accepted while that county
        is still responsible for the lead (a county that passed the lead on can get it again)."""
        for referral in reversed(self.referrals):
            if referral.to_county != county:
                continue
            if referral.status == ReferralStatus.PENDING:
                return referral
            if referral.status == ReferralStatus.ACCEPTED and county == self.responsible_county:
                return referral
        return None

    def accepted_referral_of(self, county: str) -> Referral | None:
        for referral in reversed(self.referrals):
            if referral.to_county == county and referral.status == ReferralStatus.ACCEPTED:
                return referral
        return None

    def counties_involved(self) -> set[str]:
        """Every county that may see this lead: owner, responsible, referred or shared."""
        counties = {self.owner_county, self.responsible_county, *self.shared_with}
        counties.update(r.to_county for r in self.referrals)
        counties.update(c.county for c in self.corroborations)
        return counties

    @property
    def has_informant(self) -> bool:
        return self.informant_ciphertext is not None

    def public_state(self) -> dict[str, Any]:
        """The lead as shown to readers: never the informant ciphertext, only the pseudonym."""
        return {
            "id": str(self.id),
            "version": self.version,
            "owner_county": self.owner_county,
            "responsible_county": self.responsible_county,
            "summary": self.summary,
            "source": str(self.source),
            "place_county": self.place_county,
            "place_detail": self.place_detail,
            "suspected_parties": list(self.suspected_parties),
            "informant_ref": self.informant_ref,
            "received_at": self.received_at,
            "registered_by": self.registered_by,
            "registered_at": self.created_on,
            "modified_at": self.modified_on,
            "status": str(self.status),
            "closure": str(self.closure) if self.closure else None,
            "closure_reason": self.closure_reason,
            "merged_into_lead": self.merged_into_lead,
            "absorbed_leads": list(self.absorbed_leads),
            "case_id": self.case_id,
            "case_number": self.case_number,
            "referrals": [vars(r).copy() for r in self.referrals],
            "shared_with": dict(self.shared_with),
            "feedback": [vars(f).copy() for f in self.feedback],
            "corroborations": [vars(c).copy() for c in self.corroborations],
        }

    # --- rule helpers ----------------------------------------------------------------------------
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

    def _pending_referral_for(self, ctx: Context) -> Referral:
        county = ctx.actor.county
        if not any(r.to_county == county for r in self.referrals):
            raise NotReceivingCounty(
                f"{county} did not receive a referral of this lead; only the receiving county answers it"
            )
        referral = self.open_referral_to(county)
        if referral is None or referral.status != ReferralStatus.PENDING:
            raise NoPendingReferral(f"there is no pending referral of this lead to {county}")
        return referral
