"""Referral of a lead to another county: referred, withdrawn, accepted or declined."""

from __future__ import annotations

import pytest

from domain.errors import (
    InvalidInput,
    LeadAlreadyConverted,
    NoAcceptedReferral,
    NoPendingReferral,
    NotReceivingCounty,
    NotResponsibleCounty,
    ReferralAlreadyOpen,
    ReferralToOwnCounty,
    ResponsibilityAlreadyTaken,
)
from domain.lead import Lead
from domain.values import ReferralStatus
from tests.domain.builders import CASE, a_lead, accepted, converted, declined, refer, referred
from tests.domain.gwt import TIANZHEN, XINGHE, YANGGAO, at, ctx, event, given


# --- referral ----------------------------------------------------------------------------------
def test_a_lead_is_referred_to_a_neighbour_with_its_deadlines():
    lead = (
        given(a_lead())
        .when(refer(YANGGAO, when=at(hours=3)))
        .then(
            event(
                Lead.Referred,
                to_county=YANGGAO,
                reason="the buyer lives there",
                acknowledge_by=at(days=3, hours=3),
                feedback_by=at(days=15, hours=3),
            )
        )
        .aggregate
    )
    [referral] = lead.referrals
    assert referral.from_county == XINGHE
    assert referral.status == ReferralStatus.PENDING
    assert referral.referred_at == at(hours=3)
    assert lead.responsible_county == XINGHE
    assert lead.counties_involved() == {XINGHE, YANGGAO}


def test_a_lead_cannot_be_referred_to_its_own_county():
    given(a_lead()).when(refer(XINGHE)).then_refused(ReferralToOwnCounty)


def test_a_lead_cannot_be_referred_twice_to_the_same_county_while_the_referral_is_open():
    given(referred(a_lead(), YANGGAO)).when(refer(YANGGAO)).then_refused(ReferralAlreadyOpen)


def test_a_lead_may_be_referred_to_several_counties():
    lead = given(referred(a_lead(), YANGGAO)).when(refer(TIANZHEN)).then(Lead.Referred).aggregate
    assert [r.to_county for r in lead.referrals] == [YANGGAO, TIANZHEN]


def test_a_declined_referral_may_be_made_again():
    lead = declined(referred(a_lead(), YANGGAO), YANGGAO)
    lead = given(lead).when(refer(YANGGAO)).then(event(Lead.Referred, to_county=YANGGAO)).aggregate
    assert [r.status for r in lead.referrals] == [ReferralStatus.DECLINED, ReferralStatus.PENDING]


def test_a_withdrawn_referral_may_be_made_again():
    lead = referred(a_lead(), YANGGAO)
    lead.withdraw_referral(YANGGAO, "sent by mistake", ctx(XINGHE, at(hours=2)))
    given(lead).when(refer(YANGGAO)).then(event(Lead.Referred, to_county=YANGGAO))


def test_only_the_responsible_county_refers_a_lead():
    given(a_lead()).when(refer(TIANZHEN, county=YANGGAO)).then_refused(NotResponsibleCounty)


def test_the_owner_no_longer_refers_a_lead_once_another_county_accepted_it():
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO)
    given(lead).when(refer(TIANZHEN, county=XINGHE)).then_refused(NotResponsibleCounty)


def test_the_county_that_accepted_a_lead_may_refer_it_onwards():
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO)
    lead = (
        given(lead)
        .when(refer(TIANZHEN, county=YANGGAO))
        .then(event(Lead.Referred, to_county=TIANZHEN, actor=ctx(YANGGAO).actor))
        .aggregate
    )
    assert lead.referrals[-1].from_county == YANGGAO


def test_a_referral_needs_a_reason():
    given(a_lead()).when(
        lambda lead: lead.refer(YANGGAO, " ", ctx(XINGHE), at(days=3), at(days=15))
    ).then_refused(InvalidInput, match="reason")


def test_a_lead_converted_to_a_case_is_no_longer_referred():
    given(converted(a_lead())).when(refer(YANGGAO)).then_refused(LeadAlreadyConverted)


# --- withdrawal --------------------------------------------------------------------------------
def test_the_referring_county_withdraws_a_pending_referral():
    lead = (
        given(referred(a_lead(), YANGGAO))
        .when(lambda lead: lead.withdraw_referral(YANGGAO, " sent by mistake ", ctx(XINGHE, at(1))))
        .then(event(Lead.ReferralWithdrawn, to_county=YANGGAO, reason="sent by mistake"))
        .aggregate
    )
    [referral] = lead.referrals
    assert referral.status == ReferralStatus.WITHDRAWN
    assert (referral.answered_at, referral.answer_reason) == (at(1), "sent by mistake")
    assert lead.open_referral_to(YANGGAO) is None


def test_only_the_referring_county_withdraws_a_referral():
    given(referred(a_lead(), YANGGAO)).when(
        lambda lead: lead.withdraw_referral(YANGGAO, "no thanks", ctx(YANGGAO))
    ).then_refused(NotResponsibleCounty)


def test_an_accepted_referral_can_no_longer_be_withdrawn():
    given(accepted(referred(a_lead(), YANGGAO), YANGGAO)).when(
        lambda lead: lead.withdraw_referral(YANGGAO, "changed our mind", ctx(XINGHE))
    ).then_refused(NoPendingReferral)


def test_there_is_nothing_to_withdraw_without_a_referral():
    given(a_lead()).when(
        lambda lead: lead.withdraw_referral(YANGGAO, "changed our mind", ctx(XINGHE))
    ).then_refused(NoPendingReferral)


def test_withdrawing_a_referral_needs_a_reason():
    given(referred(a_lead(), YANGGAO)).when(
        lambda lead: lead.withdraw_referral(YANGGAO, "", ctx(XINGHE))
    ).then_refused(InvalidInput, match="reason")


# --- acceptance --------------------------------------------------------------------------------
def test_an_accepted_referral_makes_the_receiving_county_responsible():
    lead = (
        given(referred(a_lead(), YANGGAO))
        .when(lambda lead: lead.accept_referral(ctx(YANGGAO, at(days=1))))
        .then(event(Lead.ReferralAccepted, from_county=XINGHE, actor=ctx(YANGGAO).actor))
        .aggregate
    )
    assert lead.responsible_county == YANGGAO
    assert lead.owner_county == XINGHE
    assert lead.referrals[0].status == ReferralStatus.ACCEPTED
    assert lead.referrals[0].answered_at == at(days=1)


@pytest.mark.parametrize("county", [TIANZHEN, XINGHE], ids=["a bystander", "the referrer"])
def test_only_the_county_that_received_the_referral_accepts_it(county):
    given(referred(a_lead(), YANGGAO)).when(
        lambda lead: lead.accept_referral(ctx(county))
    ).then_refused(NotReceivingCounty)


def test_a_referral_is_accepted_only_once():
    given(accepted(referred(a_lead(), YANGGAO), YANGGAO)).when(
        lambda lead: lead.accept_referral(ctx(YANGGAO))
    ).then_refused(NoPendingReferral)


def test_a_declined_referral_cannot_be_accepted_afterwards():
    given(declined(referred(a_lead(), YANGGAO), YANGGAO)).when(
        lambda lead: lead.accept_referral(ctx(YANGGAO))
    ).then_refused(NoPendingReferral)


def test_a_withdrawn_referral_cannot_be_accepted():
    lead = referred(a_lead(), YANGGAO)
    lead.withdraw_referral(YANGGAO, "sent by mistake", ctx(XINGHE, at(hours=2)))
    given(lead).when(lambda lead: lead.accept_referral(ctx(YANGGAO))).then_refused(
        NoPendingReferral
    )


def test_once_one_county_took_responsibility_another_pending_referral_can_only_be_declined():
    lead = accepted(referred(referred(a_lead(), YANGGAO), TIANZHEN), YANGGAO)
    given(lead).when(lambda lead: lead.accept_referral(ctx(TIANZHEN))).then_refused(
        ResponsibilityAlreadyTaken, match=YANGGAO
    )
    lead = accepted(referred(referred(a_lead(), YANGGAO), TIANZHEN), YANGGAO)
    given(lead).when(lambda lead: lead.decline_referral("too late", ctx(TIANZHEN))).then(
        event(Lead.ReferralDeclined, from_county=XINGHE)
    )


def test_a_lead_passed_on_twice_ends_with_the_last_accepting_county():
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO)
    lead = referred(lead, TIANZHEN)
    lead = (
        given(lead)
        .when(lambda lead: lead.accept_referral(ctx(TIANZHEN, at(days=2))))
        .then(event(Lead.ReferralAccepted, from_county=YANGGAO))
        .aggregate
    )
    assert (lead.owner_county, lead.responsible_county) == (XINGHE, TIANZHEN)


# --- declining ---------------------------------------------------------------------------------
def test_a_declined_referral_leaves_the_lead_with_its_owner():
    lead = (
        given(referred(a_lead(), YANGGAO))
        .when(lambda lead: lead.decline_referral(" not in our area ", ctx(YANGGAO, at(days=1))))
        .then(event(Lead.ReferralDeclined, from_county=XINGHE, reason="not in our area"))
        .aggregate
    )
    assert lead.responsible_county == XINGHE
    [referral] = lead.referrals
    assert referral.status == ReferralStatus.DECLINED
    assert (referral.answered_at, referral.answer_reason) == (at(days=1), "not in our area")


def test_only_the_county_that_received_the_referral_declines_it():
    given(referred(a_lead(), YANGGAO)).when(
        lambda lead: lead.decline_referral("not ours", ctx(TIANZHEN))
    ).then_refused(NotReceivingCounty)


def test_declining_a_referral_needs_a_reason():
    given(referred(a_lead(), YANGGAO)).when(
        lambda lead: lead.decline_referral("  ", ctx(YANGGAO))
    ).then_refused(InvalidInput, match="reason")


def test_a_referral_is_declined_only_once():
    given(declined(referred(a_lead(), YANGGAO), YANGGAO)).when(
        lambda lead: lead.decline_referral("still not ours", ctx(YANGGAO))
    ).then_refused(NoPendingReferral)


# --- referral life cycle across several counties ------------------------------------------------
def test_a_county_that_passed_the_lead_on_can_be_referred_it_again():
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO)
    lead = accepted(referred(lead, TIANZHEN, at(hours=3)), TIANZHEN, at(hours=4))
    given(lead).when(refer(YANGGAO, county=TIANZHEN)).then(event(Lead.Referred, to_county=YANGGAO))


def test_a_pending_referral_cannot_be_accepted_once_the_lead_became_a_case():
    lead = referred(referred(a_lead(), YANGGAO), TIANZHEN, at(hours=1, minutes=5))
    lead = accepted(lead, YANGGAO)
    lead.convert_to_case(CASE, "140221-2026-0001", ctx(YANGGAO, at(hours=3)))
    given(lead).when(lambda lead_: lead_.accept_referral(ctx(TIANZHEN, at(hours=4)))).then_refused(
        LeadAlreadyConverted
    )


def test_a_county_that_passed_the_lead_on_no_longer_gives_feedback():
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO)
    lead = accepted(referred(lead, TIANZHEN, at(hours=3)), TIANZHEN, at(hours=4))
    given(lead).when(
        lambda lead_: lead_.give_feedback("still watching", False, ctx(YANGGAO, at(hours=5)))
    ).then_refused(NoAcceptedReferral)
