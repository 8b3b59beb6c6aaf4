"""The Lead aggregate (线索): unverified information owned by one county, shared, given feedback
on, corroborated, and finally converted to a case or closed. Its referrals to other counties are a
part of their own (domain/referrals.py); the state and the shared checks are in
domain/lead_state.py. The referral events are redefined on ``Lead`` by the library
(``Lead.Referred``...), so stored topics stay ``domain.lead:Lead.<Event>``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import (
    AlreadyCorroborated,
    AlreadyShared,
    CorroborationByOwner,
    CorroborationByResponsibleCounty,
    InvalidInput,
    LeadMergeInvalid,
    NoAcceptedReferral,
    NotEvidenceContributor,
    NotResponsibleCounty,
    ShareWithOwnCounty,
)
from domain.events import JointCreated, JointEvent, stamp
from domain.evidence import EvidenceFiles
from domain.lead_state import Corroboration, Feedback
from domain.referrals import Referrals
from domain.values import (
    Context,
    CorroborationResult,
    LeadClosure,
    LeadSource,
    LeadStatus,
    ReferralStatus,
    required_text,
)


class Lead(Referrals, EvidenceFiles, Aggregate):
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

    class Shared(Event):
        counties: list[str]
        reason: str

        def apply(self, lead: Lead) -> None:
            for county in self.counties:
                lead.shared_with[county] = self.timestamp

    class FeedbackGiven(Event):
        class_version = 2
        content: str
        final: bool
        referral_id: UUID | None  # the accepted referral the feedback is given on

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["referral_id"] = None  # recorded before ids: on the county's accepted referral

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
            if self.referral_id is not None:
                referral = lead.answered_referral(self.referral_id, self.actor.county)
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
            summary=required_text(summary, "a lead's summary"),
            source=str(source),
            place_county=place_county,
            place_detail=place_detail.strip(),
            suspected_parties=parties,
            informant_ciphertext=informant_ciphertext,
            informant_ref=informant_ref,
            received_at=received_at,
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
        referral = self.accepted_referral_of(ctx.actor.county)
        if referral is None or ctx.actor.county != self.responsible_county:
            raise NoAcceptedReferral(
                "only the county that accepted this lead and is responsible for it gives feedback"
            )
        self.trigger_event(
            self.FeedbackGiven,
            content=required_text(content, "feedback"),
            final=final,
            referral_id=referral.referral_id,
            **stamp(ctx),
        )

    def corroborate(self, result: CorroborationResult | str, note: str, ctx: Context) -> None:
        """Another county reports what it saw (seen / not found): once per county, and never
        the owning or the responsible county, whose own work is not corroboration."""
        self._check_not_closed()
        county = ctx.actor.county
        if county == self.owner_county:
            raise CorroborationByOwner("the owning county cannot corroborate its own lead")
        if county == self.responsible_county:
            raise CorroborationByResponsibleCounty(
                f"{county} is responsible for this lead and cannot corroborate it"
            )
        if any(c.county == county for c in self.corroborations):
            raise AlreadyCorroborated(f"{county} already corroborated this lead (once per county)")
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
            reason=required_text(reason, "the reason for closing"),
            merged_into_lead=merged_into_lead.id if merged_into_lead else None,
            **stamp(ctx),
        )
        if merged_into_lead is not None:
            merged_into_lead.trigger_event(self.LeadAbsorbed, lead_id=self.id, **stamp(ctx))

    def _check_evidence_contributor(self, ctx: Context) -> None:
        """Files are added and removed by the counties that work the lead: its owner, the
        responsible county and a county that corroborated it (what it saw); not on a closed
        lead."""
        self._check_not_closed()
        county = ctx.actor.county
        if county in (self.owner_county, self.responsible_county):
            return
        if any(c.county == county for c in self.corroborations):
            return
        raise NotEvidenceContributor(
            f"{county} neither owns, handles nor corroborated this lead: it adds no files to it"
        )

    # --- queries ---------------------------------------------------------------------------------
    def counties_involved(self) -> set[str]:
        """Every county that may see this lead: owner, responsible, shared, corroborating, and a
        county referred while its referral is pending or after it accepted (a declined or
        withdrawn referral no longer lets that county see the lead)."""
        counties = {self.owner_county, self.responsible_county, *self.shared_with}
        counties.update(
            r.to_county
            for r in self.referrals
            if r.status in (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)
        )
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
            "files": self.evidence_public(),
        }
