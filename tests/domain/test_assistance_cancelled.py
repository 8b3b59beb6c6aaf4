"""Closing or merging a case cancels its assistance requests still open, each with an event, so a
county asked for assistance on a case that then closed is never charged for not answering."""

from __future__ import annotations

from domain.case import Case
from domain.errors import AssistanceCancelled, NotLeadCounty
from domain.merging import merge
from domain.values import CaseStatus
from tests.domain.builders import (
    OTHER_CASE,
    REQUEST,
    SECOND_REQUEST,
    a_case,
    closed_case,
    with_assistance_request,
)
from tests.domain.gwt import SHANGYI, TIANZHEN, XINGHE, at, ctx, event, given


def two_requests() -> Case:
    case = with_assistance_request(a_case(), SHANGYI)
    case.request_assistance(SECOND_REQUEST, TIANZHEN, "check the van", at(8), ctx(XINGHE, at(1)))
    case.answer_assistance(SECOND_REQUEST, "seen there", ctx(TIANZHEN, at(2)))
    return case


def test_closing_a_case_cancels_its_open_assistance_requests_first():
    case = (
        given(two_requests())
        .when(lambda case: case.close("penalty", "fined", ctx(XINGHE, at(5))))
        .then(
            event(Case.AssistanceCancelled, request_id=REQUEST, because="the case was closed"),
            Case.Closed,
        )
        .aggregate
    )
    request = case.assistance[str(REQUEST)]
    assert request.cancelled_at == at(5) and not request.is_open
    answered = case.assistance[str(SECOND_REQUEST)]
    assert answered.cancelled_at is None  # an answered request stays answered


def test_closing_a_case_without_open_requests_records_only_the_closing():
    given(a_case()).when(lambda case: case.close("penalty", "fined", ctx(XINGHE, at(5)))).then(
        Case.Closed
    )


def test_a_refused_closing_cancels_nothing():
    given(with_assistance_request(a_case(), SHANGYI)).when(
        lambda case: case.close("penalty", "fined", ctx(SHANGYI, at(5)))
    ).then_refused(NotLeadCounty)


def test_merging_a_case_cancels_its_open_assistance_requests():
    absorbed = with_assistance_request(a_case(), SHANGYI)
    survivor = a_case(case_id=OTHER_CASE)
    outcome = (
        given(absorbed, survivor)
        .when(lambda a, s: merge(a, s, "same supplier", ctx(XINGHE, at(10)), survivor_chain=[]))
        .then(
            event(
                Case.AssistanceCancelled,
                request_id=REQUEST,
                because=f"the case was merged into case {survivor.number}",
            ),
            Case.MergedInto,
            Case.CaseAbsorbed,
        )
    )
    assert not outcome.aggregates[0].assistance[str(REQUEST)].is_open


def test_a_cancelled_request_is_not_answered_after_the_case_is_reopened():
    case = closed_case(with_assistance_request(a_case(), SHANGYI))
    case.reopen("new evidence", ctx(XINGHE, at(6)))
    assert case.status == CaseStatus.OPEN
    given(case).when(
        lambda case: case.answer_assistance(REQUEST, "too late", ctx(SHANGYI, at(7)))
    ).then_refused(AssistanceCancelled, match="closed")
