"""Referral of a lead (线索移交) to another county: referred with a reason and deadlines, withdrawn
by the referring county, accepted (the receiving county becomes responsible) or declined."""

from __future__ import annotations

from datetime import datetime

from domain.errors import (
    NoPendingReferral,
    NotReceivingCounty,
    NotResponsibleCounty,
    ReferralAlreadyOpen,
    ReferralToOwnCounty,
    ResponsibilityAlreadyTaken,
)
from domain.events import JointEvent, stamp
from domain.lead_state import LeadState, Referral
from domain.values import Context, ReferralStatus, required_text


class Referrals(LeadState):
    """The referrals part of ``Lead``."""

    class Referred(JointEvent):
        to_county: str
        reason: str
        acknowledge_by: datetime
        feedback_by: datetime

        def apply(self, lead: Referrals) -> None:
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

    class ReferralWithdrawn(JointEvent):
        to_county: str
        reason: str

        def apply(self, lead: Referrals) -> None:
            referral = lead.open_referral_to(self.to_county)
            assert referral is not None
            referral.status = ReferralStatus.WITHDRAWN
            referral.answered_at = self.timestamp
            referral.answer_reason = self.reason

    class ReferralAccepted(JointEvent):
        from_county: str

        def apply(self, lead: Referrals) -> None:
            referral = lead.open_referral_to(self.actor.county)
            assert referral is not None
            referral.status = ReferralStatus.ACCEPTED
            referral.answered_at = self.timestamp
            lead.responsible_county = self.actor.county

    class ReferralDeclined(JointEvent):
        from_county: str
        reason: str

        def apply(self, lead: Referrals) -> None:
            referral = lead.open_referral_to(self.actor.county)
            assert referral is not None
            referral.status = ReferralStatus.DECLINED
            referral.answered_at = self.timestamp
            referral.answer_reason = self.reason

    # --- commands --------------------------------------------------------------------------------
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
            reason=required_text(reason, "the reason for a referral"),
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
            reason=required_text(reason, "the reason for withdrawing"),
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
            reason=required_text(reason, "the reason for declining"),
            **stamp(ctx),
        )

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
