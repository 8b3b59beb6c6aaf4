"""The contribution ledger's rules (贡献): contributions are derived from events, never typed in
twice; from a case's ledger the domain decides who may claim its reward (entitlement) and what
the reward proposal is under a policy. Pure functions: the ledger is passed in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from domain.reward_policy import RewardPolicy
from domain.values import CENT


@dataclass(frozen=True)
class Contribution:
    """One contribution derived from an event: who (county, officer) did what for which case,
    and when; ``value`` and ``sticks`` are what a seizure seized."""

    position: int
    kind: str  # lead_registered, lead_referred, lead_corroborated, lead_not_found, case_led,
    #            case_co_handled, assistance_answered, seizure_made
    county: str
    officer_id: str
    case_id: UUID | None
    lead_id: UUID | None
    value: Decimal | None = None
    sticks: int | None = None
    recorded_at: datetime | None = None


LEAD_PROVIDER_KINDS = frozenset({"lead_registered", "lead_referred", "lead_corroborated"})
#: A corroboration that found nothing: recorded effort, a lead provider only if the policy says so.
NOT_FOUND_KIND = "lead_not_found"


def corroboration_kind(result: str) -> str:
    """The ledger kind of a corroboration: "seen" contributes to the lead; "not found" is
    recorded effort of a kind of its own (DOMAIN.md, "Trust rules")."""
    return "lead_corroborated" if result == "seen" else NOT_FOUND_KIND


def lead_provider_kinds(policy: RewardPolicy) -> frozenset[str]:
    """The contributions that earn the lead-provider share under this policy."""
    if policy.not_found_earns_lead_provider_share:
        return LEAD_PROVIDER_KINDS | {NOT_FOUND_KIND}
    return LEAD_PROVIDER_KINDS


HANDLING_KINDS = frozenset({"case_led", "seizure_made", "assistance_answered"})
#: The contributions that make a county the referring party of a case (it provided the lead).
REFERRING_KINDS = frozenset({"lead_registered", "lead_referred"})
#: The contributions that make a county a co-handler of a case (or of a case merged into it).
CO_HANDLING_KINDS = frozenset({"case_co_handled", "case_led"})


def case_value(ledger: Sequence[Contribution]) -> Decimal:
    """The value of everything seized in the case and in the cases merged into it."""
    return sum((c.value or Decimal(0) for c in ledger if c.kind == "seizure_made"), Decimal(0))


def entitled_claimants(handling_county: str, ledger: Sequence[Contribution]) -> frozenset[str]:
    """Who files the reward claim (一案一奖): for a cross-county case the referring party (the
    units that provided and referred its leads), otherwise the handling county."""
    referring = {
        c.county for c in ledger if c.kind in REFERRING_KINDS and c.county != handling_county
    }
    return frozenset(referring or {handling_county})


def co_handler_counties(handling_county: str, ledger: Sequence[Contribution]) -> list[str]:
    """The counties that co-handled the case or led a case merged into it, besides the handler."""
    return sorted({c.county for c in ledger if c.kind in CO_HANDLING_KINDS} - {handling_county})


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


def propose(policy: RewardPolicy, handling_county: str, ledger: Sequence[Contribution]) -> Proposal:
    """The reward proposal for a case from the policy and the case's ledger (with the cases
    merged into it) as of one log position."""
    return compute_proposal(
        policy,
        case_value(ledger),
        handling_county,
        co_handler_counties(handling_county, ledger),
        list(ledger),
    )


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
    provider_kinds = lead_provider_kinds(policy)
    providers = sorted({c.county for c in contributions if c.kind in provider_kinds})
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
        kinds = provider_kinds if share == "lead_provider" else None
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
