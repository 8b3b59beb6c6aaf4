"""Rewards (奖励兑现): the Reward aggregate whose every step is an event: the claim, the
proposal computed from the policy and the ledger, the committee's decision and the payment. One
reward per case (一案一奖): the reward's id derives from the case's id. The policy lives in
``domain.reward_policy``, the ledger's rules (entitlement, the proposal) in
``domain.contributions``."""

from __future__ import annotations

from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.contributions import Proposal, ProposalLine
from domain.errors import InvalidInput, RuleViolation
from domain.events import JointCreated, JointEvent, stamp
from domain.jurisdiction import NAMESPACE
from domain.reward_policy import RewardPolicy
from domain.values import Context, required_text, to_money


class SeparationOfDuties(RuleViolation):
    rule = "separation-of-duties"


class RewardStepOutOfOrder(RuleViolation):
    rule = "reward-step-out-of-order"


class ClaimantNotEntitled(RuleViolation):
    rule = "claimant-not-entitled"


class RewardAlreadyClaimed(RuleViolation):
    rule = "reward-already-claimed"


class AdjustmentBeyondCaps(RuleViolation):
    rule = "adjustment-beyond-policy-caps"


# --- the reward aggregate ------------------------------------------------------------------------
class Reward(Aggregate):
    """One case's reward: claim, proposal, committee decision, payment; each an event."""

    class Event(JointEvent):
        pass

    class ClaimFiled(JointCreated, Event):
        case_id: UUID
        case_number: str
        claimant_county: str
        note: str

        def apply(self, reward: Reward) -> None:
            reward.case_id = self.case_id
            reward.case_number = self.case_number
            reward.claimant_county = self.claimant_county
            reward.note = self.note
            reward.status = "claimed"
            reward.proposal = None
            reward.proposed_by = None
            reward.drafted_by = []
            reward.decision = None
            reward.decided_by = None
            reward.payment = None

    class ProposalComputed(Event):
        policy_agreement: str
        policy_version: str
        policy_digest: str
        as_of_position: int
        case_value: Decimal
        total: Decimal
        lines: list[dict[str, Any]]

        def apply(self, reward: Reward) -> None:
            reward.status = "proposed"
            reward.proposal = {
                "policy_agreement": self.policy_agreement,
                "policy_version": self.policy_version,
                "policy_digest": self.policy_digest,
                "as_of_position": self.as_of_position,
                "case_value": self.case_value,
                "total": self.total,
                "lines": list(self.lines),
                "version": 1,
                "adjustment": None,
            }
            reward.proposed_by = self.actor.officer_id
            reward.drafted_by.append(self.actor.officer_id)

    class ProposalAdjusted(Event):
        """A committee member adjusted the proposal: a new version of it, still to approve."""

        total: Decimal
        lines: list[dict[str, Any]]
        reason: str

        def apply(self, reward: Reward) -> None:
            assert reward.proposal is not None
            computed = reward.proposal.get("computed") or {
                "total": reward.proposal["total"],
                "lines": reward.proposal["lines"],
            }
            reward.proposal = {
                **reward.proposal,
                "computed": computed,  # what the policy and the ledger gave, to recompute
                "total": self.total,
                "lines": list(self.lines),
                "version": reward.proposal.get("version", 1) + 1,
                "adjustment": {"reason": self.reason, "by": self.actor.officer_id},
            }
            reward.drafted_by.append(self.actor.officer_id)

    class Approved(Event):
        reason: str

        def apply(self, reward: Reward) -> None:
            assert reward.proposal is not None
            reward.status = "approved"
            adjustment = reward.proposal.get("adjustment")
            reward.decision = {
                "kind": "adjusted" if adjustment else "approved",
                "total": reward.proposal["total"],
                "lines": reward.proposal["lines"],
                "reason": adjustment["reason"] if adjustment else self.reason,
            }
            reward.decided_by = self.actor.officer_id

    class Adjusted(Event):
        """Recorded before adjustments became proposal versions (an adjustment and approval in
        one step); kept so that stored rewards load as they were decided, never recorded now."""

        total: Decimal
        lines: list[dict[str, Any]]
        reason: str

        def apply(self, reward: Reward) -> None:
            reward.status = "approved"
            reward.decision = {
                "kind": "adjusted",
                "total": self.total,
                "lines": list(self.lines),
                "reason": self.reason,
            }
            reward.decided_by = self.actor.officer_id

    class PaymentRecorded(Event):
        amount: Decimal
        paid_on: date
        reference: str

        def apply(self, reward: Reward) -> None:
            reward.status = "paid"
            reward.payment = {
                "amount": self.amount,
                "paid_on": self.paid_on,
                "reference": self.reference,
            }

    case_id: UUID = field(init=False)
    case_number: str = field(init=False)
    claimant_county: str = field(init=False)
    note: str = field(init=False)
    status: str = field(init=False)
    proposal: dict[str, Any] | None = field(init=False)
    proposed_by: str | None = field(init=False)
    drafted_by: list[str] = field(init=False)  # every officer who proposed or adjusted it
    decision: dict[str, Any] | None = field(init=False)
    decided_by: str | None = field(init=False)
    payment: dict[str, Any] | None = field(init=False)

    @staticmethod
    def id_for(case_id: UUID) -> UUID:
        return uuid5(NAMESPACE, f"reward/{case_id}")

    @classmethod
    def file_claim(
        cls, *, case_id: UUID, case_number: str, entitled: set[str], note: str, ctx: Context
    ) -> Reward:
        """``entitled``: the counties that may claim (the referring party of a cross-county
        case, otherwise the handling county)."""
        if ctx.actor.county not in entitled:
            raise ClaimantNotEntitled(
                f"the reward for case {case_number} is claimed by {', '.join(sorted(entitled))}"
            )
        return cls._create(
            cls.ClaimFiled,
            id=cls.id_for(case_id),
            case_id=case_id,
            case_number=case_number,
            claimant_county=ctx.actor.county,
            note=note.strip(),
            **stamp(ctx),
        )

    def propose(
        self, policy: RewardPolicy, proposal: Proposal, as_of_position: int, ctx: Context
    ) -> None:
        if self.status not in ("claimed", "proposed"):
            raise RewardStepOutOfOrder(f"the reward is {self.status}; it cannot be proposed again")
        self.trigger_event(
            self.ProposalComputed,
            policy_agreement=policy.agreement,
            policy_version=policy.version,
            policy_digest=policy.digest,
            as_of_position=as_of_position,
            case_value=proposal.case_value,
            total=proposal.total,
            lines=[line.as_dict() for line in proposal.lines],
            **stamp(ctx),
        )

    def _check_proposed(self, step: str) -> None:
        if self.status != "proposed":
            raise RewardStepOutOfOrder(f"the reward is {self.status}; {step} needs a proposal")

    def approve(self, reason: str, ctx: Context) -> None:
        """Approves the proposal as it stands (adjusted or not), by a member who neither
        proposed nor adjusted it: duties belong to officers, whatever token they use."""
        self._check_proposed("a decision")
        if ctx.actor.officer_id in self.drafted_by:
            raise SeparationOfDuties("a member who proposed or adjusted a reward cannot approve it")
        self.trigger_event(self.Approved, reason=reason.strip(), **stamp(ctx))

    def adjust(
        self, policy: RewardPolicy, lines: list[ProposalLine], reason: str, ctx: Context
    ) -> None:
        """A new version of the proposal, within the policy's caps, with a written reason; it
        still needs approval by another member."""
        self._check_proposed("an adjustment")
        if ctx.actor.officer_id == self.proposed_by:
            raise SeparationOfDuties("the member who proposed a reward cannot adjust it")
        if not lines:
            raise InvalidInput("an adjusted reward lists at least one line")
        check_within_caps(policy, lines)
        total = sum((to_money(line.amount) for line in lines), Decimal(0))
        self.trigger_event(
            self.ProposalAdjusted,
            total=total,
            lines=[line.as_dict() for line in lines],
            reason=required_text(reason, "the written reason for an adjustment"),
            **stamp(ctx),
        )

    def record_payment(self, amount: Decimal, paid_on: date, reference: str, ctx: Context) -> None:
        if self.status != "approved" or self.decision is None:
            raise RewardStepOutOfOrder(
                f"the reward is {self.status}; only an approved reward is paid"
            )
        if to_money(amount) != Decimal(self.decision["total"]):
            raise InvalidInput(
                f"the payment ({amount}) must equal the decided reward ({self.decision['total']})"
            )
        self.trigger_event(
            self.PaymentRecorded,
            amount=to_money(amount),
            paid_on=paid_on,
            reference=required_text(reference, "the payment reference"),
            **stamp(ctx),
        )

    def public_state(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "case_id": self.case_id,
            "case_number": self.case_number,
            "claimant_county": self.claimant_county,
            "note": self.note,
            "status": self.status,
            "proposal": self.proposal,
            "proposed_by": self.proposed_by,
            "drafted_by": list(self.drafted_by),
            "decision": self.decision,
            "decided_by": self.decided_by,
            "payment": self.payment,
        }


def check_within_caps(policy: RewardPolicy, lines: list[ProposalLine]) -> None:
    """An adjusted proposal keeps the policy's caps: no officer above the individual cap (for
    this case), no case above the case cap."""
    per_officer: dict[str, Decimal] = {}
    for line in lines:
        if line.officer_id is not None:
            per_officer[line.officer_id] = per_officer.get(line.officer_id, Decimal(0)) + to_money(
                line.amount
            )
    for officer, amount in sorted(per_officer.items()):
        if amount > policy.caps.individual:
            raise AdjustmentBeyondCaps(
                f"officer {officer} would receive {amount}, above the policy's individual cap "
                f"of {policy.caps.individual} for one case"
            )
    total = sum((to_money(line.amount) for line in lines), Decimal(0))
    if total > policy.caps.case:
        raise AdjustmentBeyondCaps(
            f"the adjusted reward ({total}) is above the policy's cap of {policy.caps.case} a case"
        )
