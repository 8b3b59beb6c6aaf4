"""The given/when/then helper itself: it must catch what the domain tests rely on it to catch."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput, LeadClosed, NonPositiveQuantity, ReferralToOwnCounty
from domain.lead import Lead
from tests.domain.builders import a_lead
from tests.domain.gwt import XINGHE, YANGGAO, at, ctx, event, given


def corroborate_then_refuse(lead: Lead) -> None:
    lead.corroborate("seen", "", ctx(YANGGAO))
    raise LeadClosed("refused after recording")


def test_a_refusal_that_recorded_something_fails_the_test():
    with pytest.raises(AssertionError, match="recorded"):
        given(a_lead()).when(corroborate_then_refuse).then_refused(LeadClosed)


def test_a_refusal_must_be_the_specific_error_not_a_parent_class():
    with pytest.raises(AssertionError, match="expected NonPositiveQuantity, got InvalidInput"):
        given().when(lambda: a_lead(summary="")).then_refused(NonPositiveQuantity)
    with pytest.raises(AssertionError, match="expected InvalidInput, got ReferralToOwnCounty"):
        given(a_lead()).when(
            lambda lead: lead.refer(XINGHE, "why", ctx(XINGHE), at(3), at(15))
        ).then_refused(InvalidInput)
    given(a_lead()).when(
        lambda lead: lead.refer(XINGHE, "why", ctx(XINGHE), at(3), at(15))
    ).then_refused(ReferralToOwnCounty)


def test_an_unexpected_event_or_attribute_fails_the_test():
    when = given(a_lead()).when(lambda lead: lead.corroborate("seen", "van", ctx(YANGGAO)))
    with pytest.raises(AssertionError, match="expected"):
        when.then(Lead.Shared)
    with pytest.raises(AssertionError, match="note"):
        when.then(event(Lead.Corroborated, note="truck"))


def test_state_changed_outside_an_event_is_caught_by_the_replay():
    def sneaky(lead: Lead) -> None:
        lead.corroborate("seen", "van", ctx(YANGGAO))
        lead.summary = "rewritten"

    with pytest.raises(AssertionError, match="replaying"):
        given(a_lead()).when(sneaky).then(Lead.Corroborated)


def test_a_history_may_be_given_as_stored_events():
    events = list(a_lead().collect_events())
    given(events).when(lambda lead: lead.corroborate("seen", "", ctx(YANGGAO))).then(
        Lead.Corroborated
    )
