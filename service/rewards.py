"""Use cases of the reward workflow (奖励兑现): the claim (一案一奖) by the county the domain
says is entitled, the proposal computed from the policy and the contribution ledger, approval by
another member, adjustment and payment; and the reads: a reward, a case's ledger, and the
recomputation of a recorded proposal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.access import (
    Visibility,
    can_see_reward,
    require_committee,
    require_committee_reader,
    sees_whole_case_ledger,
)
from domain.case import Case
from domain.contributions import (
    Contribution,
    ProposalLine,
    case_value,
    entitled_claimants,
    propose,
)
from domain.errors import CaseIsMerged, NotFound
from domain.reward_policy import RewardPolicy
from domain.rewards import Reward, RewardAlreadyClaimed, RewardStepOutOfOrder
from domain.values import Actor, Context
from service.store import Decided, Store, Written, decided


@dataclass(frozen=True)
class CaseLedger:
    """A case's contributions (with those of the cases merged into it) as of a log position."""

    case_id: UUID
    as_of_position: int
    value: Decimal
    items: list[Contribution]


class RewardUseCases(Store):
    def file_reward_claim(self, case_id: UUID, note: str, ctx: Context) -> Written:
        """Files the claim (one reward per case; a merged case's reward goes to its survivor),
        by a county the domain finds entitled from the ledger as it stands."""

        def decide() -> Decided:
            case = self._load(Case, case_id, ctx.actor, least=Visibility.SUMMARY)
            if case.merged_into is not None:
                raise CaseIsMerged(
                    f"case {case.number} was merged into {case.merged_into_number}: "
                    "its reward is claimed on the surviving case"
                )
            if self._find(Reward, Reward.id_for(case_id)) is not None:
                raise RewardAlreadyClaimed(f"a reward for case {case.number} is already claimed")
            ledger = self.ports.ledger
            entitled = entitled_claimants(
                case.county, ledger.contributions(case.id, ledger.position())
            )
            return decided(
                Reward.file_claim(
                    case_id=case.id,
                    case_number=case.number,
                    entitled=set(entitled),
                    note=note,
                    ctx=ctx,
                )
            )

        return self.write(ctx, decide)

    def get_reward(self, reward_id: UUID, *, viewer: Actor | None = None) -> Reward:
        """The reward, for the committee, auditors and the counties that may see its case (to
        anyone else it does not exist)."""
        reward = self._load(Reward, reward_id)
        if viewer is not None and not can_see_reward(viewer, self._sees_case(viewer, reward)):
            raise NotFound(f"no reward {reward_id}")
        return reward

    def _sees_case(self, viewer: Actor, reward: Reward) -> bool:
        try:
            self._load(Case, reward.case_id, viewer, least=Visibility.SUMMARY)
        except NotFound:
            return False
        return True

    def case_contributions(
        self, case_id: UUID, as_of_position: int | None, *, viewer: Actor
    ) -> CaseLedger:
        """Every contribution to the case and to the cases merged into it, as of a position (at
        most what the ledger has reached); a county other than the handling one sees its own."""
        case = self._load(Case, case_id, viewer, least=Visibility.SUMMARY)
        reached = self.ports.ledger.position()
        at = min(as_of_position or reached, reached)
        items = self.ports.ledger.contributions(case.id, at)
        if not sees_whole_case_ledger(viewer, case.county):
            items = [c for c in items if c.county == viewer.county]
        return CaseLedger(case.id, at, case_value(items), items)

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
        self, reward_id: UUID, ctx: Context, expected_version: int | None = None
    ) -> Written:
        """Computes the proposal from the policy in force and the case's contributions as of the
        ledger's current position; the policy version and the position are recorded with it."""

        def act(reward: Reward) -> None:
            case = self._load(Case, reward.case_id)
            policy = self.ports.policies.current()
            at = self.ports.ledger.position()
            proposal = propose(policy, case.county, self.ports.ledger.contributions(case.id, at))
            reward.propose(policy, proposal, at, ctx)

        return self._on_reward(reward_id, ctx, expected_version, act)

    def recompute_reward(self, reward_id: UUID, *, viewer: Actor) -> dict[str, Any]:
        """Recomputes the recorded proposal from the events as of its log position with the
        policy in force: the figures must match (reproducible decisions)."""
        require_committee_reader(viewer)
        reward = self._load(Reward, reward_id)
        if reward.proposal is None:
            raise RewardStepOutOfOrder("the reward has no proposal yet")
        # An adjusted proposal is recomputed against the figures computed before adjusting.
        recorded = {**reward.proposal, **(reward.proposal.get("computed") or {})}
        policy = self.ports.policies.current()
        case = self._load(Case, reward.case_id)
        at = recorded["as_of_position"]
        again = propose(policy, case.county, self.ports.ledger.contributions(case.id, at))
        lines = [line.as_dict() for line in again.lines]
        return {
            "reward_id": reward_id,
            "as_of_position": at,
            "policy_version": recorded["policy_version"],
            "same_policy_file": policy.digest == recorded["policy_digest"],
            "recorded": {"total": str(recorded["total"]), "lines": recorded["lines"]},
            "recomputed": {"total": str(again.total), "lines": lines},
            "matches": str(again.total) == str(recorded["total"]) and lines == recorded["lines"],
        }

    def current_policy(self) -> RewardPolicy:
        return self.ports.policies.current()

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
            reward_id,
            ctx,
            expected_version,
            lambda reward: reward.adjust(self.ports.policies.current(), lines, reason, ctx),
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
