"""Use cases of the reward committee and the joint meeting: joint operations, meetings, price
inspections, rewards, accountability findings and bulletin issues. Mixed into JointCaseApp, so
they record into the same event log."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.accountability import BulletinAlreadyIssued, BulletinIssue, Finding
from domain.application import CaseApplication, Written
from domain.cooperation import JointMeeting, JointOperation, PriceInspection
from domain.errors import CaseIsMerged, PermissionDenied
from domain.rewards import (
    Proposal,
    ProposalLine,
    Reward,
    RewardAlreadyClaimed,
    RewardPolicy,
)
from domain.values import WRITER_ROLES, Context, Role


def _require_committee(ctx: Context) -> None:
    if ctx.actor.role != Role.COMMITTEE:
        raise PermissionDenied("only members of the reward committee do this")


class CommitteeUseCases(CaseApplication):
    # --- joint operations, meetings, price inspections ------------------------------------------
    def plan_operation(
        self,
        ctx: Context,
        *,
        name: str,
        participants: list[str],
        starts_on: date,
        ends_on: date,
        target_area: str,
        plan: str,
    ) -> Written:
        self._require_writer(ctx)
        for county in participants:
            self.check_county(county)
        op = JointOperation.plan_operation(
            operation_id=uuid4(),
            ctx=ctx,
            name=name,
            participants=participants,
            starts_on=starts_on,
            ends_on=ends_on,
            target_area=target_area,
            plan=plan,
        )
        return self._written(op, self._commit(op))

    def attach_case_to_operation(
        self, operation_id: UUID, case_id: UUID, ctx: Context, expected_version: int | None = None
    ) -> Written:
        from domain.case import Case

        self._require_writer(ctx)
        op = self._load(JointOperation, operation_id, expected_version)
        case = self._load(Case, case_id)
        opened = (case.opened_at or case.created_on).astimezone(self.timezone).date()
        op.attach_case(case.id, case.number, case.county, opened, ctx)
        return self._written(op, self._commit(op))

    def conclude_operation(
        self, operation_id: UUID, summary: str, ctx: Context, expected_version: int | None = None
    ) -> Written:
        self._require_writer(ctx)
        op = self._load(JointOperation, operation_id, expected_version)
        op.conclude(summary, ctx)
        return self._written(op, self._commit(op))

    def get_operation(self, operation_id: UUID) -> JointOperation:
        return self._load(JointOperation, operation_id)

    def record_meeting(
        self,
        ctx: Context,
        *,
        held_on: date,
        attendees: list[str],
        minutes: str,
        decisions: list[str],
    ) -> Written:
        self._require_writer(ctx)
        for county in attendees:
            self.check_county(county)
        meeting = JointMeeting.record(
            meeting_id=uuid4(),
            ctx=ctx,
            held_on=held_on,
            attendees=attendees,
            minutes=minutes,
            decisions=decisions,
        )
        return self._written(meeting, self._commit(meeting))

    def record_price_inspection(
        self,
        ctx: Context,
        *,
        inspected_county: str,
        area: str,
        group_name: str,
        brand: str,
        agreed_price: Decimal | str,
        observed_price: Decimal | str,
        inspected_at: datetime,
        note: str = "",
    ) -> Written:
        self._require_writer(ctx)
        self.check_county(inspected_county)
        inspection = PriceInspection.record(
            inspection_id=uuid4(),
            ctx=ctx,
            inspected_county=inspected_county,
            area=area,
            group_name=group_name,
            brand=brand,
            agreed_price=agreed_price,
            observed_price=observed_price,
            inspected_at=inspected_at,
            note=note,
        )
        return self._written(inspection, self._commit(inspection))

    # --- rewards ---------------------------------------------------------------------------------
    def file_reward_claim(
        self, case_id: UUID, entitled: set[str], note: str, ctx: Context
    ) -> Written:
        """Files the claim (one reward per case; a merged case's reward goes to its survivor)."""
        from domain.case import Case

        if ctx.actor.role not in WRITER_ROLES:
            raise PermissionDenied(f"the {ctx.actor.role} role does not file reward claims")
        case = self._load(Case, case_id)
        if case.merged_into is not None:
            raise CaseIsMerged(
                f"case {case.number} was merged into {case.merged_into_number}: "
                "its reward is claimed on the surviving case"
            )
        if self._find(Reward, Reward.id_for(case_id)) is not None:
            raise RewardAlreadyClaimed(f"a reward for case {case.number} is already claimed")
        reward = Reward.file_claim(
            case_id=case.id, case_number=case.number, entitled=entitled, note=note, ctx=ctx
        )
        return self._written(reward, self._commit(reward))

    def get_reward(self, reward_id: UUID) -> Reward:
        return self._load(Reward, reward_id)

    def propose_reward(
        self,
        reward_id: UUID,
        policy: RewardPolicy,
        proposal: Proposal,
        as_of_position: int,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        _require_committee(ctx)
        reward = self._load(Reward, reward_id, expected_version)
        reward.propose(policy, proposal, as_of_position, ctx)
        return self._written(reward, self._commit(reward))

    def approve_reward(
        self, reward_id: UUID, reason: str, ctx: Context, expected_version: int | None = None
    ) -> Written:
        _require_committee(ctx)
        reward = self._load(Reward, reward_id, expected_version)
        reward.approve(reason, ctx)
        return self._written(reward, self._commit(reward))

    def adjust_reward(
        self,
        reward_id: UUID,
        lines: list[ProposalLine],
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        _require_committee(ctx)
        reward = self._load(Reward, reward_id, expected_version)
        reward.adjust(lines, reason, ctx)
        return self._written(reward, self._commit(reward))

    def record_reward_payment(
        self,
        reward_id: UUID,
        amount: Decimal,
        paid_on: date,
        reference: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        _require_committee(ctx)
        reward = self._load(Reward, reward_id, expected_version)
        reward.record_payment(amount, paid_on, reference, ctx)
        return self._written(reward, self._commit(reward))

    # --- accountability --------------------------------------------------------------------------
    def record_findings(self, candidates: list[dict[str, Any]], ctx: Context) -> list[Written]:
        """Records each breach not recorded before (a breach has one finding, ever)."""
        if ctx.actor.role not in (Role.COMMITTEE, Role.ADMIN):
            raise PermissionDenied("findings are recorded by the committee (or the system)")
        recorded = []
        for candidate in candidates:
            if self._find(Finding, Finding.id_for(candidate["kind"], candidate["subject"])):
                continue
            finding = Finding.record(ctx=ctx, **candidate)
            try:
                recorded.append(self._written(finding, self._commit(finding)))
            except Exception as e:  # recorded by a concurrent scan: fine, it exists once
                from domain.errors import ConcurrencyConflict

                if not isinstance(e, ConcurrencyConflict):
                    raise
        return recorded

    def decide_finding(
        self,
        finding_id: UUID,
        decision: str,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        _require_committee(ctx)
        finding = self._load(Finding, finding_id, expected_version)
        finding.decide(decision, reason, ctx)
        return self._written(finding, self._commit(finding))

    def get_finding(self, finding_id: UUID) -> Finding:
        return self._load(Finding, finding_id)

    # --- bulletins -------------------------------------------------------------------------------
    def issue_bulletin(
        self, year: int, quarter: int, as_of_position: int, sha256: str, ctx: Context
    ) -> Written:
        self._require_writer(ctx)
        if self._find(BulletinIssue, BulletinIssue.id_for(ctx.actor.county, year, quarter)):
            raise BulletinAlreadyIssued(
                f"{ctx.actor.county} already issued its bulletin for {year} Q{quarter}"
            )
        issue = BulletinIssue.issue(
            county=ctx.actor.county,
            year=year,
            quarter=quarter,
            as_of_position=as_of_position,
            sha256=sha256,
            ctx=ctx,
        )
        return self._written(issue, self._commit(issue))
