"""Rewards (奖励兑现): the policy of a cooperation agreement, the computation of a proposal from
a case's contributions, and the Reward aggregate whose every step is an event. One reward per
case (一案一奖): the reward's id derives from the case's id."""

from __future__ import annotations

import hashlib
import itertools
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.errors import InvalidInput, PermissionDenied, RuleViolation
from domain.events import JointCreated, JointEvent, stamp
from domain.jurisdiction import NAMESPACE
from domain.lead import _required
from domain.values import CENT, Context, to_money


class PolicyError(ValueError):
    """A reward policy file that cannot be used; the message says where and why."""


class SeparationOfDuties(RuleViolation):
    rule = "separation-of-duties"


class RewardStepOutOfOrder(RuleViolation):
    rule = "reward-step-out-of-order"


class ClaimantNotEntitled(RuleViolation):
    rule = "claimant-not-entitled"


class RewardAlreadyClaimed(RuleViolation):
    rule = "reward-already-claimed"


# --- policy ------------------------------------------------------------------------------------
class Shares(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lead_provider: Decimal = Field(ge=0, le=1)
    handling: Decimal = Field(ge=0, le=1)
    co_handlers: Decimal = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Shares:
        if self.lead_provider + self.handling + self.co_handlers != 1:
            raise ValueError("shares must add up to 1")
        return self


class Caps(BaseModel):
    model_config = ConfigDict(extra="forbid")
    individual: Decimal = Field(gt=0, description="Most an officer receives for one case.")
    case: Decimal = Field(gt=0, description="Most one case's reward can be.")


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_value: Decimal = Field(ge=0)
    max_value: Decimal | None = None
    rate: Decimal = Field(ge=0, le=1)
    minimum: Decimal = Field(default=Decimal(0), ge=0)


class RewardPolicy(BaseModel):
    """A cooperation agreement's reward rules, loaded from a TOML file."""

    model_config = ConfigDict(extra="forbid")
    agreement: str = Field(min_length=1)
    version: str = Field(min_length=1)
    shares: Shares
    caps: Caps
    tiers: list[Tier] = Field(min_length=1)
    digest: str = ""

    @model_validator(mode="after")
    def _tiers_cover_values(self) -> RewardPolicy:
        tiers = sorted(self.tiers, key=lambda t: t.min_value)
        if tiers[0].min_value != 0:
            raise ValueError("the first tier must start at a case value of 0")
        for before, after in itertools.pairwise(tiers):
            if before.max_value is None or before.max_value != after.min_value:
                raise ValueError(
                    f"tiers must follow each other without gaps: one ends at {before.max_value}, "
                    f"the next starts at {after.min_value}"
                )
        if tiers[-1].max_value is not None:
            raise ValueError("the last tier must have no max_value")
        self.tiers = tiers
        return self

    @classmethod
    def load(cls, path: Path) -> RewardPolicy:
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise PolicyError(f"{path}: cannot read the reward policy ({e.strerror})") from None
        try:
            data = tomllib.loads(raw.decode())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise PolicyError(f"{path}: not valid TOML: {e}") from None
        try:
            policy = cls.model_validate({**data, "digest": hashlib.sha256(raw).hexdigest()})
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'policy'}: {err['msg']}"
                for err in e.errors()
            )
            raise PolicyError(f"{path}: {problems}") from None
        return policy

    def tier_for(self, value: Decimal) -> Tier:
        for tier in self.tiers:
            if tier.max_value is None or value < tier.max_value:
                return tier
        return self.tiers[-1]  # pragma: no cover - the last tier is open-ended

    def total_for(self, value: Decimal) -> Decimal:
        tier = self.tier_for(value)
        amount = max(value * tier.rate, tier.minimum if value > 0 else Decimal(0))
        return min(amount, self.caps.case).quantize(CENT, rounding=ROUND_DOWN)


# --- contributions and proposals ---------------------------------------------------------------
@dataclass(frozen=True)
class Contribution:
    """One contribution derived from an event: who (county, officer) did what for which case."""

    position: int
    kind: str  # lead_registered, lead_referred, lead_corroborated, case_led, case_co_handled,
    #            assistance_answered, seizure_made
    county: str
    officer_id: str
    case_id: UUID | None
    lead_id: UUID | None


LEAD_PROVIDER_KINDS = frozenset({"lead_registered", "lead_referred", "lead_corroborated"})
HANDLING_KINDS = frozenset({"case_led", "seizure_made", "assistance_answered"})


@dataclass(frozen=True)
class ProposalLine:
    county: str
    officer_id: str | None  # None: the unit's pool (what exceeds individual caps)
    share: str  # lead_provider | handling | co_handler
    amount: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "county": self.county,
            "officer_id": self.officer_id,
            "share": self.share,
            "amount": str(self.amount),
        }


@dataclass
class Proposal:
    case_value: Decimal
    total: Decimal
    lines: list[ProposalLine] = field(default_factory=list)


def _split(amount: Decimal, parts: list[str]) -> dict[str, Decimal]:
    """Splits an amount into equal parts to the fen; the remainder goes to the first parts."""
    if not parts:
        return {}
    each = (amount / len(parts)).quantize(CENT, rounding=ROUND_DOWN)
    result = dict.fromkeys(parts, each)
    remainder = amount - each * len(parts)
    for part in parts:
        if remainder <= 0:
            break
        result[part] += CENT
        remainder -= CENT
    return result


def compute_proposal(
    policy: RewardPolicy,
    case_value: Decimal,
    handling_county: str,
    co_handler_counties: list[str],
    contributions: list[Contribution],
) -> Proposal:
    """The reward for a case: the tier's amount, split into the policy's shares between the
    lead-providing units, the handling unit and the co-handlers, then between each unit's
    contributing officers, each capped; what exceeds a cap stays with the unit."""
    total = policy.total_for(case_value)
    providers = sorted({c.county for c in contributions if c.kind in LEAD_PROVIDER_KINDS})
    co_handlers = sorted(set(co_handler_counties) - {handling_county})
    shares: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    provider_amount = (total * policy.shares.lead_provider).quantize(CENT, rounding=ROUND_HALF_UP)
    co_amount = (total * policy.shares.co_handlers).quantize(CENT, rounding=ROUND_HALF_UP)
    if not providers:
        providers = [handling_county]
    if not co_handlers:
        co_amount = Decimal(0)
    handling_amount = total - provider_amount - co_amount
    for county, amount in _split(provider_amount, providers).items():
        shares[(county, "lead_provider")] += amount
    shares[(handling_county, "handling")] += handling_amount
    for county, amount in _split(co_amount, co_handlers).items():
        shares[(county, "co_handler")] += amount

    lines: list[ProposalLine] = []
    for (county, share), amount in sorted(shares.items()):
        kinds = LEAD_PROVIDER_KINDS if share == "lead_provider" else None
        officers = sorted(
            {
                c.officer_id
                for c in contributions
                if c.county == county and (kinds is None or c.kind in kinds)
            }
        )
        pool = Decimal(0)
        for officer, part in _split(amount, officers).items():
            paid = min(part, policy.caps.individual)
            pool += part - paid
            if paid > 0:
                lines.append(ProposalLine(county, officer, share, paid))
        if not officers:
            pool = amount
        if pool > 0:
            lines.append(ProposalLine(county, None, share, pool))
    return Proposal(case_value=case_value, total=total, lines=lines)


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
            }
            reward.proposed_by = self.actor.officer_id

    class Approved(Event):
        reason: str

        def apply(self, reward: Reward) -> None:
            assert reward.proposal is not None
            reward.status = "approved"
            reward.decision = {
                "kind": "approved",
                "total": reward.proposal["total"],
                "lines": reward.proposal["lines"],
                "reason": self.reason,
            }
            reward.decided_by = self.actor.officer_id

    class Adjusted(Event):
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

    def _check_decider(self, ctx: Context) -> None:
        if self.status != "proposed":
            raise RewardStepOutOfOrder(f"the reward is {self.status}; a decision needs a proposal")
        if ctx.actor.officer_id == self.proposed_by:
            raise SeparationOfDuties("the member who proposed a reward cannot approve it")

    def approve(self, reason: str, ctx: Context) -> None:
        self._check_decider(ctx)
        self.trigger_event(self.Approved, reason=reason.strip(), **stamp(ctx))

    def adjust(self, lines: list[ProposalLine], reason: str, ctx: Context) -> None:
        self._check_decider(ctx)
        if not lines:
            raise InvalidInput("an adjusted reward lists at least one line")
        total = sum((to_money(line.amount) for line in lines), Decimal(0))
        self.trigger_event(
            self.Adjusted,
            total=total,
            lines=[line.as_dict() for line in lines],
            reason=_required(reason, "the written reason for an adjustment"),
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
            reference=_required(reference, "the payment reference"),
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
            "decision": self.decision,
            "decided_by": self.decided_by,
            "payment": self.payment,
        }


def require_committee(ctx: Context) -> None:
    if ctx.actor.role not in ("committee",):
        raise PermissionDenied("only members of the reward committee do this")
