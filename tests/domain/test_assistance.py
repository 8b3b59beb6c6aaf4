"""Assistance requested from another county and answered by it."""

from __future__ import annotations

import pytest

from domain.case import Case
from domain.errors import (
    AssistanceAlreadyAnswered,
    AssistanceNotFound,
    AssistanceToOwnCounty,
    CoHandlerNotAccepted,
    InvalidInput,
    NotAssistanceRecipient,
    NotCaseParticipant,
)
from tests.domain.builders import (
    REQUEST,
    SECOND_REQUEST,
    a_case,
    with_assistance_request,
    with_co_handler,
)
from tests.domain.gwt import SHANGYI, TIANZHEN, XINGHE, YANGGAO, at, ctx, event, given


# --- assistance --------------------------------------------------------------------------------
def test_a_participant_asks_another_county_for_assistance_with_a_deadline():
    case = (
        given(with_co_handler(a_case(), YANGGAO))
        .when(
            lambda case: case.request_assistance(
                REQUEST, SHANGYI, " check the depot ", at(days=7), ctx(YANGGAO, at(1))
            )
        )
        .then(
            event(
                Case.AssistanceRequested,
                request_id=REQUEST,
                to_county=SHANGYI,
                request="check the depot",
                due=at(days=7),
            )
        )
        .aggregate
    )
    request = case.assistance[str(REQUEST)]
    assert (request.from_county, request.requested_at) == (YANGGAO, at(1))
    assert request.answered_at is None
    assert SHANGYI in case.counties_involved()


def test_an_invited_co_handler_asks_for_nothing_before_accepting():
    given(with_co_handler(a_case(), YANGGAO, joined=False)).when(
        lambda case: case.request_assistance(REQUEST, SHANGYI, "help", at(7), ctx(YANGGAO))
    ).then_refused(CoHandlerNotAccepted)


def test_a_county_outside_the_case_asks_for_no_assistance():
    given(a_case()).when(
        lambda case: case.request_assistance(REQUEST, SHANGYI, "help", at(7), ctx(TIANZHEN))
    ).then_refused(NotCaseParticipant)


def test_a_county_does_not_ask_itself_for_assistance():
    given(a_case()).when(
        lambda case: case.request_assistance(REQUEST, XINGHE, "help", at(7), ctx(XINGHE))
    ).then_refused(AssistanceToOwnCounty)


def test_an_assistance_request_is_made_once_and_says_what_is_needed():
    given(with_assistance_request(a_case(), SHANGYI)).when(
        lambda case: case.request_assistance(REQUEST, TIANZHEN, "help", at(7), ctx(XINGHE))
    ).then_refused(InvalidInput, match="already exists")
    given(a_case()).when(
        lambda case: case.request_assistance(SECOND_REQUEST, TIANZHEN, " ", at(7), ctx(XINGHE))
    ).then_refused(InvalidInput)


def test_the_requested_county_answers_assistance_without_joining_the_case():
    case = (
        given(with_assistance_request(a_case(), SHANGYI))
        .when(
            lambda case: case.answer_assistance(REQUEST, " 2 parcels found ", ctx(SHANGYI, at(3)))
        )
        .then(event(Case.AssistanceAnswered, request_id=REQUEST, answer="2 parcels found"))
        .aggregate
    )
    request = case.assistance[str(REQUEST)]
    assert (request.answer, request.answered_at) == ("2 parcels found", at(3))
    assert request.answered_by == f"officer-{SHANGYI}"
    assert SHANGYI not in case.participant_counties()


def test_an_unknown_assistance_request_is_not_answered():
    given(a_case()).when(
        lambda case: case.answer_assistance(REQUEST, "done", ctx(SHANGYI))
    ).then_refused(AssistanceNotFound)


@pytest.mark.parametrize("county", [XINGHE, TIANZHEN], ids=["requester", "bystander"])
def test_only_the_requested_county_answers_assistance(county):
    given(with_assistance_request(a_case(), SHANGYI)).when(
        lambda case: case.answer_assistance(REQUEST, "done", ctx(county))
    ).then_refused(NotAssistanceRecipient)


def test_an_assistance_request_is_answered_once_and_not_emptily():
    case = with_assistance_request(a_case(), SHANGYI)
    given(case).when(lambda case: case.answer_assistance(REQUEST, " ", ctx(SHANGYI))).then_refused(
        InvalidInput
    )
    case = with_assistance_request(a_case(), SHANGYI)
    case.answer_assistance(REQUEST, "done", ctx(SHANGYI, at(1)))
    given(case).when(
        lambda case: case.answer_assistance(REQUEST, "again", ctx(SHANGYI))
    ).then_refused(AssistanceAlreadyAnswered)
