"""Rewards in the domain, with no database: who may claim a case's reward (entitlement) and the
proposal, both decided from the case's contribution ledger and the policy; the claim itself as
given / when / then."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

import jointcase
from domain.contributions import (
    Contribution,
    case_value,
    co_handler_counties,
    entitled_claimants,
    propose,
)
from domain.reward_policy import PolicyError, RewardPolicy
from domain.rewards import ClaimantNotEntitled, Reward
from tests.domain.gwt import SHANGYI, TIANZHEN, WANQUAN, XINGHE, YANGGAO, ctx, event, given

CASE = UUID("6f1c1e0a-7d8e-4d55-9d64-0f0c7a1b2c3d")
LEAD = uuid4()
POLICY = RewardPolicy.load(Path(jointcase.__file__).parent / "policies" / "default.toml")
_positions = iter(range(1, 10_000))


def on_lead(kind: str, county: str) -> Contribution:
    return Contribution(next(_positions), kind, county, f"officer-{county}", None, LEAD)


def on_case(kind: str, county: str, value: str | None = None) -> Contribution:
    amount = Decimal(value) if value is not None else None
    return Contribution(next(_positions), kind, county, f"officer-{county}", CASE, None, amount)


def claim_by(county: str, ledger: list[Contribution]):
    """The claim command filed by ``county``, entitled as the domain decides from the ledger."""
    return lambda: Reward.file_claim(
        case_id=CASE,
        case_number="140221-2026-0001",
        entitled=set(entitled_claimants(YANGGAO, ledger)),
        note="一案一奖",
        ctx=ctx(county),
    )


# A cross-county case: 兴和 registered and referred the lead to 阳高, which opened the case and
# seized; 天镇 co-handled and seized.
CROSS_COUNTY = [
    on_lead("lead_registered", XINGHE),
    on_lead("lead_referred", XINGHE),
    on_case("case_led", YANGGAO),
    on_case("case_co_handled", TIANZHEN),
    on_case("seizure_made", YANGGAO, "135000"),
    on_case("seizure_made", TIANZHEN, "45000"),
]
# A case of 阳高's own: its officer registered the lead and handled the case.
OWN_CASE = [
    on_lead("lead_registered", YANGGAO),
    on_case("case_led", YANGGAO),
    on_case("seizure_made", YANGGAO, "5000"),
]


# --- entitlement ----------------------------------------------------------------------------------
def test_the_referring_party_claims_for_a_cross_county_case():
    assert entitled_claimants(YANGGAO, CROSS_COUNTY) == {XINGHE}


def test_the_handling_county_claims_for_its_own_case():
    assert entitled_claimants(YANGGAO, OWN_CASE) == {YANGGAO}


def test_every_unit_that_referred_a_lead_of_the_case_may_claim():
    ledger = [*CROSS_COUNTY, on_lead("lead_referred", WANQUAN)]
    assert entitled_claimants(YANGGAO, ledger) == {XINGHE, WANQUAN}


def test_a_corroboration_or_an_answered_assistance_does_not_make_a_claimant():
    ledger = [
        *OWN_CASE,
        on_lead("lead_corroborated", TIANZHEN),
        on_case("assistance_answered", SHANGYI),
    ]
    assert entitled_claimants(YANGGAO, ledger) == {YANGGAO}


def test_the_referring_party_files_the_claim():
    given().when(claim_by(XINGHE, CROSS_COUNTY)).then(
        event(Reward.ClaimFiled, case_id=CASE, claimant_county=XINGHE, note="一案一奖")
    )


def test_the_handling_county_may_not_claim_what_the_referring_party_claims():
    given().when(claim_by(YANGGAO, CROSS_COUNTY)).then_refused(ClaimantNotEntitled, match=XINGHE)


def test_the_handling_county_files_the_claim_for_its_own_case():
    given().when(claim_by(YANGGAO, OWN_CASE)).then(
        event(Reward.ClaimFiled, claimant_county=YANGGAO)
    )


# --- the proposal ---------------------------------------------------------------------------------
def test_the_case_value_is_what_was_seized_in_it():
    assert case_value(CROSS_COUNTY) == Decimal("180000")
    assert co_handler_counties(YANGGAO, CROSS_COUNTY) == [TIANZHEN]


def test_the_proposal_splits_the_tiers_amount_into_the_policys_shares():
    # ¥180,000 is in the 50,000-250,000 tier at 4%: ¥7,200.00. Lead provider 30% = ¥2,160.00 to
    # 兴和; co-handler 20% = ¥1,440.00 to 天镇; handling = the rest, ¥3,600.00, to 阳高.
    proposal = propose(POLICY, YANGGAO, CROSS_COUNTY)
    assert proposal.case_value == Decimal("180000") and proposal.total == Decimal("7200.00")
    assert sorted((x.county, x.share, x.amount) for x in proposal.lines) == [
        (YANGGAO, "handling", Decimal("3600.00")),
        (TIANZHEN, "co_handler", Decimal("1440.00")),
        (XINGHE, "lead_provider", Decimal("2160.00")),
    ]
    assert all(x.officer_id == f"officer-{x.county}" for x in proposal.lines)


def test_without_co_handlers_the_handling_county_keeps_their_share():
    # ¥5,000 is in the first tier at 5%: ¥250.00; 阳高 provided the lead and handled the case.
    proposal = propose(POLICY, YANGGAO, OWN_CASE)
    assert proposal.total == Decimal("250.00")
    assert sorted((x.share, x.amount) for x in proposal.lines) == [
        ("handling", Decimal("175.00")),
        ("lead_provider", Decimal("75.00")),
    ]


def test_the_same_ledger_and_policy_always_give_the_same_proposal():
    assert propose(POLICY, YANGGAO, CROSS_COUNTY) == propose(POLICY, YANGGAO, CROSS_COUNTY)


def test_a_policy_file_is_validated_with_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text(
        'agreement = "x"\nversion = "1"\n[shares]\nlead_provider = 0.5\nhandling = 0.5\n'
        "co_handlers = 0.2\n[caps]\nindividual = 1\ncase = 1\n[[tiers]]\nmin_value = 0\nrate = 0.1\n"
    )
    with pytest.raises(PolicyError, match="shares must add up to 1"):
        RewardPolicy.load(bad)
    bad.write_text("not toml = = =")
    with pytest.raises(PolicyError, match="not valid TOML"):
        RewardPolicy.load(bad)
    bad.write_text(
        'agreement = "x"\nversion = "1"\n[shares]\nlead_provider = 0.3\nhandling = 0.5\n'
        "co_handlers = 0.2\n[caps]\nindividual = 1\ncase = 1\n[[tiers]]\nmin_value = 10\nrate = 0.1\n"
    )
    with pytest.raises(PolicyError, match="first tier must start"):
        RewardPolicy.load(bad)
    with pytest.raises(PolicyError, match="cannot read"):
        RewardPolicy.load(tmp_path / "missing.toml")
