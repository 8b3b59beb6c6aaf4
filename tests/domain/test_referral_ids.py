"""Every referral has an id, and every event about it carries that id: the answer (accepted,
declined, withdrawn) and the feedback given on it, so evidence names the exact referral."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from domain.lead import Lead
from domain.referrals import derived_referral_id
from tests.domain.builders import a_lead, accepted, declined
from tests.domain.gwt import XINGHE, YANGGAO, at, ctx, event, given

FIRST = UUID("00000000-0000-4000-8000-0000000000a1")
SECOND = UUID("00000000-0000-4000-8000-0000000000a2")


def referred_as(lead: Lead, referral_id: UUID, when_days: float = 0) -> Lead:
    when = at(when_days, hours=1)
    lead.refer(
        YANGGAO,
        "across the border",
        ctx(XINGHE, when),
        when + timedelta(days=3),
        when + timedelta(days=15),
        referral_id=referral_id,
    )
    return lead


def test_a_referral_carries_the_id_it_was_made_with():
    lead = (
        given(a_lead())
        .when(
            lambda lead: lead.refer(
                YANGGAO, "why", ctx(XINGHE, at(1)), at(4), at(16), referral_id=FIRST
            )
        )
        .then(event(Lead.Referred, referral_id=FIRST, to_county=YANGGAO))
        .aggregate
    )
    assert lead.referrals[0].referral_id == FIRST


def test_a_referral_made_without_an_id_gets_one_derived_from_it():
    given(a_lead()).when(
        lambda lead: lead.refer(YANGGAO, "why", ctx(XINGHE, at(1)), at(4), at(16))
    ).then(
        event(
            Lead.Referred,
            referral_id=derived_referral_id(XINGHE, YANGGAO, f"officer-{XINGHE}", at(1)),
        )
    )


def test_accepting_declining_and_withdrawing_name_the_referral():
    given(referred_as(a_lead(), FIRST)).when(
        lambda lead: lead.accept_referral(ctx(YANGGAO, at(1)))
    ).then(event(Lead.ReferralAccepted, referral_id=FIRST))
    given(referred_as(a_lead(), FIRST)).when(
        lambda lead: lead.decline_referral("not ours", ctx(YANGGAO, at(1)))
    ).then(event(Lead.ReferralDeclined, referral_id=FIRST))
    given(referred_as(a_lead(), FIRST)).when(
        lambda lead: lead.withdraw_referral(YANGGAO, "mistake", ctx(XINGHE, at(1)))
    ).then(event(Lead.ReferralWithdrawn, referral_id=FIRST))


def test_a_second_referral_to_the_same_county_is_a_referral_of_its_own():
    lead = referred_as(declined(referred_as(a_lead(), FIRST), YANGGAO), SECOND, when_days=2)
    outcome = (
        given(lead)
        .when(lambda lead: lead.accept_referral(ctx(YANGGAO, at(3))))
        .then(event(Lead.ReferralAccepted, referral_id=SECOND))
    )
    first, second = outcome.aggregate.referrals
    assert (first.referral_id, str(first.status)) == (FIRST, "declined")
    assert (second.referral_id, str(second.status)) == (SECOND, "accepted")


def test_feedback_names_the_accepted_referral_it_is_given_on():
    lead = accepted(referred_as(a_lead(), FIRST), YANGGAO)
    given(lead).when(lambda lead: lead.give_feedback("searched", False, ctx(YANGGAO, at(2)))).then(
        event(Lead.FeedbackGiven, referral_id=FIRST)
    )
