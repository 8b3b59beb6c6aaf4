"""Referral of a case to police (移送公安) by its lead county, and police acceptance recorded later.
The thresholds that advise a referral are in domain/policy.py."""

from __future__ import annotations

from datetime import datetime

from domain.case_state import CaseState, PoliceReferral
from domain.errors import AlreadyReferredToPolice, NotReferredToPolice, PoliceAlreadyAccepted
from domain.events import JointEvent, stamp
from domain.values import Context, required_text


class PoliceReferrals(CaseState):
    """The police-referral part of ``Case``."""

    class ReferredToPolice(JointEvent):
        police_unit: str
        referred_on: datetime
        reason: str
        advice: list[str]

        def apply(self, case: PoliceReferrals) -> None:
            case.police = PoliceReferral(
                police_unit=self.police_unit,
                referred_on=self.referred_on,
                reason=self.reason,
                advice=list(self.advice),
            )

    class PoliceAcceptanceRecorded(JointEvent):
        accepted_on: datetime
        police_case_number: str

        def apply(self, case: PoliceReferrals) -> None:
            assert case.police is not None
            case.police.accepted_on = self.accepted_on
            case.police.police_case_number = self.police_case_number

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
            police_unit=required_text(police_unit, "the police unit"),
            referred_on=referred_on,
            reason=required_text(reason, "the reason for the referral"),
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
