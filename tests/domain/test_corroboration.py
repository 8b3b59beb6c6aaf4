"""Corroboration (seen / not found) is fair credit: one per county per lead, and never by the
counties whose own lead it is (the owner, or the county responsible for it)."""

from __future__ import annotations

from domain.errors import (
    AlreadyCorroborated,
    CorroborationByOwner,
    CorroborationByResponsibleCounty,
)
from domain.lead import Lead
from tests.domain.builders import a_lead, accepted, referred
from tests.domain.gwt import SHANGYI, TIANZHEN, XINGHE, YANGGAO, at, ctx, event, given


def corroborated(lead: Lead, county: str, result: str = "seen") -> Lead:
    lead.corroborate(result, "", ctx(county, at(1)))
    return lead


def test_a_county_corroborates_a_lead_once():
    given(corroborated(a_lead(), SHANGYI)).when(
        lambda lead: lead.corroborate("seen", "again", ctx(SHANGYI, at(2)))
    ).then_refused(AlreadyCorroborated)


def test_a_county_that_reported_not_found_cannot_add_a_second_corroboration():
    given(corroborated(a_lead(), SHANGYI, "not_found")).when(
        lambda lead: lead.corroborate("seen", "", ctx(SHANGYI, at(2), officer="another-officer"))
    ).then_refused(AlreadyCorroborated)


def test_other_counties_each_corroborate_once():
    given(corroborated(a_lead(), SHANGYI)).when(
        lambda lead: lead.corroborate("not_found", "", ctx(TIANZHEN, at(2)))
    ).then(event(Lead.Corroborated, result="not_found"))


def test_the_responsible_county_does_not_corroborate_the_lead_it_handles():
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO)
    given(lead).when(lambda lead: lead.corroborate("seen", "", ctx(YANGGAO, at(2)))).then_refused(
        CorroborationByResponsibleCounty
    )


def test_the_owner_does_not_corroborate_even_after_passing_the_lead_on():
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO)
    given(lead).when(lambda lead: lead.corroborate("seen", "", ctx(XINGHE, at(2)))).then_refused(
        CorroborationByOwner
    )


def test_a_county_with_a_pending_referral_may_still_corroborate():
    given(referred(a_lead(), YANGGAO)).when(
        lambda lead: lead.corroborate("seen", "", ctx(YANGGAO, at(2)))
    ).then(Lead.Corroborated)
