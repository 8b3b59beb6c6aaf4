"""Fair credit in the reward workflow: a "not found" corroboration earns no lead-provider share
under the default policy; an adjustment is a new version of the proposal within the policy's
caps, approved by a member who neither proposed nor adjusted it."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from domain.contributions import (
    ProposalLine,
    corroboration_kind,
    propose,
)
from domain.reward_policy import RewardPolicy
from domain.rewards import AdjustmentBeyondCaps, Reward, SeparationOfDuties
from domain.values import Role
from tests.domain.gwt import TIANZHEN, XINGHE, YANGGAO, at, ctx, event, given
from tests.domain.test_rewards import CROSS_COUNTY, POLICY, on_lead

CASE = UUID("6f1c1e0a-7d8e-4d55-9d64-0f0c7a1b2c3d")


def member(name: str, county: str = XINGHE, days: float = 1):
    return ctx(county, at(days), role=Role.COMMITTEE, officer=name)


def proposed() -> Reward:
    reward = Reward.file_claim(
        case_id=CASE, case_number="140221-2026-0001", entitled={XINGHE}, note="", ctx=ctx(XINGHE)
    )
    reward.propose(POLICY, propose(POLICY, YANGGAO, CROSS_COUNTY), 42, member("member-a"))
    return reward


def line(amount: str, officer: str | None = None, county: str = YANGGAO) -> ProposalLine:
    return ProposalLine(county, officer, "handling", Decimal(amount))


def adjusted(reward: Reward, by: str = "member-b") -> Reward:
    reward.adjust(POLICY, [line("3000.00")], "agreed at the joint meeting", member(by, days=2))
    return reward


# --- "not found" --------------------------------------------------------------------------------
def test_a_corroboration_that_found_nothing_is_a_kind_of_its_own_in_the_ledger():
    assert corroboration_kind("seen") == "lead_corroborated"
    assert corroboration_kind("not_found") == "lead_not_found"


def test_not_found_earns_no_lead_provider_share_under_the_default_policy():
    ledger = [*CROSS_COUNTY, on_lead("lead_not_found", TIANZHEN)]
    providers = {
        x.county for x in propose(POLICY, YANGGAO, ledger).lines if x.share == "lead_provider"
    }
    assert providers == {XINGHE}
    assert propose(POLICY, YANGGAO, ledger) == propose(POLICY, YANGGAO, CROSS_COUNTY)


def test_seen_earns_a_part_of_the_lead_provider_share():
    ledger = [*CROSS_COUNTY, on_lead("lead_corroborated", TIANZHEN)]
    providers = {
        x.county for x in propose(POLICY, YANGGAO, ledger).lines if x.share == "lead_provider"
    }
    assert providers == {XINGHE, TIANZHEN}


def test_a_policy_may_count_not_found_as_providing_the_lead():
    generous = RewardPolicy.model_validate(
        {**POLICY.model_dump(), "not_found_earns_lead_provider_share": True}
    )
    ledger = [*CROSS_COUNTY, on_lead("lead_not_found", TIANZHEN)]
    lines = propose(generous, YANGGAO, ledger).lines
    assert {x.county for x in lines if x.share == "lead_provider"} == {XINGHE, TIANZHEN}


# --- adjustments ----------------------------------------------------------------------------------
def test_an_adjustment_is_a_new_version_of_the_proposal_still_to_approve():
    reward = (
        given(proposed())
        .when(lambda r: r.adjust(POLICY, [line("3000.00")], " agreed ", member("member-b", days=2)))
        .then(event(Reward.ProposalAdjusted, total=Decimal("3000.00"), reason="agreed"))
        .aggregate
    )
    assert reward.status == "proposed" and reward.decision is None
    assert reward.proposal is not None and reward.proposal["version"] == 2
    assert reward.proposal["adjustment"] == {"reason": "agreed", "by": "member-b"}
    assert reward.proposal["as_of_position"] == 42  # still computed from the same ledger


def test_the_member_who_adjusted_cannot_approve():
    given(adjusted(proposed())).when(
        lambda r: r.approve("ok", member("member-b", TIANZHEN, days=3))
    ).then_refused(SeparationOfDuties)


def test_the_member_who_proposed_cannot_approve_an_adjusted_proposal():
    given(adjusted(proposed())).when(
        lambda r: r.approve("ok", member("member-a", days=3))
    ).then_refused(SeparationOfDuties)


def test_the_member_who_proposed_cannot_adjust():
    given(proposed()).when(
        lambda r: r.adjust(POLICY, [line("1.00")], "less", member("member-a", days=2))
    ).then_refused(SeparationOfDuties)


def test_a_third_member_approves_the_adjusted_proposal():
    reward = (
        given(adjusted(proposed()))
        .when(lambda r: r.approve("checked", member("member-c", days=3)))
        .then(Reward.Approved)
        .aggregate
    )
    assert reward.status == "approved" and reward.decided_by == "member-c"
    assert reward.decision == {
        "kind": "adjusted",
        "total": Decimal("3000.00"),
        "lines": [
            {"county": YANGGAO, "officer_id": None, "share": "handling", "amount": "3000.00"}
        ],
        "reason": "agreed at the joint meeting",
    }


def test_an_adjustment_keeps_the_individual_cap():
    # The default policy caps an officer at ¥20,000 for one case, over all their lines.
    lines = [line("15000.00", "officer-x"), line("6000.00", "officer-x", TIANZHEN)]
    given(proposed()).when(
        lambda r: r.adjust(POLICY, lines, "more", member("member-b", days=2))
    ).then_refused(AdjustmentBeyondCaps, match="officer-x")


def test_an_adjustment_keeps_the_case_cap():
    # ¥100,000 a case at most, even in the units' pools.
    lines = [line("60000.00"), line("40000.01", county=TIANZHEN)]
    given(proposed()).when(
        lambda r: r.adjust(POLICY, lines, "more", member("member-b", days=2))
    ).then_refused(AdjustmentBeyondCaps, match="100000")


def test_an_adjustment_at_the_caps_is_accepted():
    lines = [line("20000.00", "officer-x"), line("80000.00")]
    given(proposed()).when(
        lambda r: r.adjust(POLICY, lines, "at the caps", member("member-b", days=2))
    ).then(event(Reward.ProposalAdjusted, total=Decimal("100000.00")))
