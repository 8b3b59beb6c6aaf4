"""Referral of a lead (线索移交) to another county: referred with a reason and deadlines, withdrawn
by the referring county, accepted (the receiving county becomes responsible) or declined. Every
referral has an id, carried by every event about it (the answers, the feedback), so that evidence
names the exact referral. Events recorded before ids (class version 1) are upcast: a referral's id
then derives from the referral itself, and its answers find it as they did then."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import (
    NoPendingReferral,
    NotReceivingCounty,
    NotResponsibleCounty,
    ReferralAlreadyOpen,
    ReferralToOwnCounty,
    ResponsibilityAlreadyTaken,
)
from domain.events import JointEvent, stamp
from domain.lead_state import LeadState, Referral, derived_referral_id
from domain.values import Context, ReferralStatus, required_text


def _no_referral_id(state: dict[str, Any]) -> None:
    """Upcasts an answer recorded before ids: it names no referral (it answered the open one)."""
    state["referral_id"] = None


class Referrals(LeadState):
    """The referrals part of ``Lead``."""

    class Referred(JointEvent):
        class_version = 2
        to_county: str
        reason: str
        acknowledge_by: datetime
        feedback_by: datetime
        referral_id: UUID

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            actor = state["actor"]
            state["referral_id"] = derived_referral_id(
                actor.county, state["to_county"], actor.officer_id, state["timestamp"]
            )

        def apply(self, lead: Referrals) -> None:
            lead.referrals.append(
                Referral(
                    referral_id=self.referral_id,
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
        class_version = 2
        to_county: str
        reason: str
        referral_id: UUID | None
        upcast_v1_v2 = staticmethod(_no_referral_id)

        def apply(self, lead: Referrals) -> None:
            referral = lead.answered_referral(self.referral_id, self.to_county)
            referral.status = ReferralStatus.WITHDRAWN
            referral.answered_at = self.timestamp
            referral.answer_reason = self.reason

    class ReferralAccepted(JointEvent):
        class_version = 2
        from_county: str
        referral_id: UUID | None
        upcast_v1_v2 = staticmethod(_no_referral_id)

        def apply(self, lead: Referrals) -> None:
            referral = lead.answered_referral(self.referral_id, self.actor.county)
            referral.status = ReferralStatus.ACCEPTED
            referral.answered_at = self.timestamp
            lead.responsible_county = self.actor.county

    class ReferralDeclined(JointEvent):
        class_version = 2
        from_county: str
        reason: str
        referral_id: UUID | None
        upcast_v1_v2 = staticmethod(_no_referral_id)

        def apply(self, lead: Referrals) -> None:
            referral = lead.answered_referral(self.referral_id, self.actor.county)
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
        referral_id: UUID | None = None,
    ) -> None:
        """Refers the lead; ``referral_id`` is made by the caller (once, so a retried command
        records the same id), else derived from the referral."""
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
            referral_id=referral_id
            or derived_referral_id(ctx.actor.county, to_county, ctx.actor.officer_id, ctx.at),
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
            referral_id=referral.referral_id,
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
        self.trigger_event(
            self.ReferralAccepted,
            referral_id=referral.referral_id,
            from_county=referral.from_county,
            **stamp(ctx),
        )

    def decline_referral(self, reason: str, ctx: Context) -> None:
        self._check_not_closed()
        referral = self._pending_referral_for(ctx)
        self.trigger_event(
            self.ReferralDeclined,
            referral_id=referral.referral_id,
            from_county=referral.from_county,
            reason=required_text(reason, "the reason for declining"),
            **stamp(ctx),
        )

    # --- queries ---------------------------------------------------------------------------------
    def answered_referral(self, referral_id: UUID | None, county: str) -> Referral:
        """The referral an answer is about: the one it names, or (an answer recorded before
        referrals had ids) the referral to that county open then."""
        if referral_id is None:
            referral = self.open_referral_to(county)
        else:
            referral = next((r for r in self.referrals if r.referral_id == referral_id), None)
        assert referral is not None
        return referral

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
