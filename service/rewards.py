"""Use cases of the reward workflow (奖励兑现): the claim (一案一奖), the proposal computed from
the policy and the contributions, approval by another member, adjustment and payment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.access import require_committee
from domain.case import Case
from domain.errors import CaseIsMerged
from domain.reward_policy import RewardPolicy
from domain.reward_proposal import Proposal, ProposalLine
from domain.rewards import Reward, RewardAlreadyClaimed
from domain.values import Actor, Context
from service.store import Decided, Store, Written, decided


class RewardUseCases(Store):
    def file_reward_claim(
        self, case_id: UUID, entitled: set[str], note: str, ctx: Context
    ) -> Written:
        """Files the claim (one reward per case; a merged case's reward goes to its survivor)."""

        def decide() -> Decided:
            case = self._load(Case, case_id, ctx.actor)
            if case.merged_into is not None:
                raise CaseIsMerged(
                    f"case {case.number} was merged into {case.merged_into_number}: "
                    "its reward is claimed on the surviving case"
                )
            if self._find(Reward, Reward.id_for(case_id)) is not None:
                raise RewardAlreadyClaimed(f"a reward for case {case.number} is already claimed")
            return decided(
                Reward.file_claim(
                    case_id=case.id, case_number=case.number, entitled=entitled, note=note, ctx=ctx
                )
            )

        return self.write(ctx, decide)

    def get_reward(self, reward_id: UUID, *, viewer: Actor | None = None) -> Reward:
        return self._load(Reward, reward_id, viewer)

    def _on_reward(
        self,
        reward_id: UUID,
        ctx: Context,
        expected_version: int | None,
        act: Callable[[Reward], None],
    ) -> Written:
        def decide() -> Decided:
            reward = self._load(Reward, reward_id, ctx.actor, expected_version)
            act(reward)
            return decided(reward)

        return self.write(ctx, decide, expected_version, check=require_committee)

    def propose_reward(
        self,
        reward_id: UUID,
        policy: RewardPolicy,
        proposal: Proposal,
        as_of_position: int,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        return self._on_reward(
            reward_id,
            ctx,
            expected_version,
            lambda reward: reward.propose(policy, proposal, as_of_position, ctx),
        )

    def approve_reward(
        self, reward_id: UUID, reason: str, ctx: Context, expected_version: int | None = None
    ) -> Written:
        return self._on_reward(
            reward_id, ctx, expected_version, lambda reward: reward.approve(reason, ctx)
        )

    def adjust_reward(
        self,
        reward_id: UUID,
        lines: list[ProposalLine],
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        return self._on_reward(
            reward_id, ctx, expected_version, lambda reward: reward.adjust(lines, reason, ctx)
        )

    def record_reward_payment(
        self,
        reward_id: UUID,
        amount: Decimal,
        paid_on: date,
        reference: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        return self._on_reward(
            reward_id,
            ctx,
            expected_version,
            lambda reward: reward.record_payment(amount, paid_on, reference, ctx),
        )
