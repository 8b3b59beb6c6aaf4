"""The Case aggregate: opening, closing and reopening; what a closed or absorbed case refuses."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.case import Case
from domain.errors import CaseClosed, CaseIsMerged, CaseNotClosed, InvalidInput, NotLeadCounty
from domain.values import CaseOutcome, CaseStatus, CaseType
from tests.domain.builders import (
    CASE,
    LEAD,
    OTHER_CASE,
    OTHER_LEAD,
    REQUEST,
    SECOND_REQUEST,
    a_case,
    closed_case,
    merged,
    refer_to_police,
    seize,
    with_assistance_request,
    with_co_handler,
)
from tests.domain.gwt import SHANGYI, T0, TIANZHEN, XINGHE, YANGGAO, at, ctx, event, given


# --- opening -----------------------------------------------------------------------------------
def test_a_county_opens_a_case_from_its_leads_with_a_number():
    case = (
        given()
        .when(
            lambda: Case.open(
                case_id=CASE,
                number="150924-2026-0001",
                year=2026,
                ctx=ctx(XINGHE, at(hours=1)),
                case_type="smuggled",
                title=" Smuggled cigarettes at the G6 ",
                summary=" found in a van ",
                lead_ids=[LEAD, OTHER_LEAD, LEAD],
                opened_at=T0,
            )
        )
        .then(
            event(
                Case.Opened,
                originator_id=CASE,
                county=XINGHE,
                number="150924-2026-0001",
                year=2026,
                case_type="smuggled",
                title="Smuggled cigarettes at the G6",
                summary="found in a van",
                lead_ids=[LEAD, OTHER_LEAD],
                opened_at=T0,
                timestamp=at(hours=1),
            )
        )
        .aggregate
    )
    assert case.status == CaseStatus.OPEN
    assert case.case_type == CaseType.SMUGGLED
    assert case.opened_by == ctx(XINGHE).actor
    assert (case.opened_at, case.created_on) == (T0, at(hours=1))
    assert case.participant_counties() == {XINGHE}


def test_a_case_has_a_known_type():
    given().when(lambda: a_case(case_type="arson")).then_refused(InvalidInput, match="case type")


def test_a_case_needs_a_title():
    given().when(lambda: a_case(title=" ")).then_refused(InvalidInput, match="title")


# --- closing and reopening ---------------------------------------------------------------------
def test_the_lead_county_closes_a_case_with_an_outcome():
    case = (
        given(a_case())
        .when(lambda case: case.close("confiscation", " goods destroyed ", ctx(XINGHE, at(20))))
        .then(event(Case.Closed, outcome="confiscation", reason="goods destroyed"))
        .aggregate
    )
    assert case.status == CaseStatus.CLOSED
    assert (case.outcome, case.close_reason) == (CaseOutcome.CONFISCATION, "goods destroyed")


def test_only_the_lead_county_closes_a_case():
    given(with_co_handler(a_case(), YANGGAO)).when(
        lambda case: case.close("penalty", "fined", ctx(YANGGAO))
    ).then_refused(NotLeadCounty)


@pytest.mark.parametrize(("outcome", "reason"), [("forgiven", "why"), ("penalty", " ")])
def test_a_case_closes_with_a_known_outcome_and_a_reason(outcome, reason):
    given(a_case()).when(lambda case: case.close(outcome, reason, ctx(XINGHE))).then_refused(
        InvalidInput
    )


def test_the_lead_county_reopens_a_closed_case_with_a_reason():
    case = (
        given(closed_case(a_case()))
        .when(lambda case: case.reopen(" new evidence ", ctx(XINGHE, at(30))))
        .then(event(Case.Reopened, reason="new evidence"))
        .aggregate
    )
    assert case.status == CaseStatus.OPEN
    assert (case.outcome, case.close_reason) == (None, None)


def test_only_a_closed_case_is_reopened():
    given(a_case()).when(lambda case: case.reopen("why not", ctx(XINGHE))).then_refused(
        CaseNotClosed
    )


def test_only_the_lead_county_reopens_a_case_and_says_why():
    given(closed_case(a_case())).when(
        lambda case: case.reopen("new evidence", ctx(YANGGAO))
    ).then_refused(NotLeadCounty)
    given(closed_case(a_case())).when(lambda case: case.reopen(" ", ctx(XINGHE))).then_refused(
        InvalidInput
    )


CASE_COMMANDS = {
    "record a seizure": seize(),
    "invite": lambda case: case.invite_co_handler(SHANGYI, "", ctx(XINGHE)),
    "accept co-handling": lambda case: case.accept_co_handling(ctx(TIANZHEN)),
    "decline co-handling": lambda case: case.decline_co_handling("no", ctx(TIANZHEN)),
    "request assistance": lambda case: case.request_assistance(
        SECOND_REQUEST, SHANGYI, "help", at(7), ctx(XINGHE)
    ),
    "answer assistance": lambda case: case.answer_assistance(REQUEST, "done", ctx(YANGGAO)),
    "refer to police": refer_to_police(),
    "record police acceptance": lambda case: case.record_police_acceptance(
        at(9), "X-1", ctx(XINGHE)
    ),
    "close": lambda case: case.close("penalty", "fined", ctx(XINGHE)),
}


def a_busy_case(case_id: UUID = CASE) -> Case:
    """A case with a pending invitation, a pending assistance request and a police referral."""
    case = with_co_handler(a_case(case_id=case_id), TIANZHEN, joined=False)
    case = with_assistance_request(case, YANGGAO)
    case.refer_to_police("公安局", at(1), "4箱", [], ctx(XINGHE, at(1)))
    return case


@pytest.mark.parametrize("command", CASE_COMMANDS.values(), ids=CASE_COMMANDS.keys())
def test_a_closed_case_must_be_reopened_before_anything_else_is_recorded(command):
    given(closed_case(a_busy_case())).when(command).then_refused(CaseClosed, match="reopen")


@pytest.mark.parametrize(
    "command",
    [*CASE_COMMANDS.values(), lambda case: case.reopen("new evidence", ctx(XINGHE))],
    ids=[*CASE_COMMANDS.keys(), "reopen"],
)
def test_an_absorbed_case_is_read_only(command):
    absorbed, _ = merged(a_busy_case(), a_case(case_id=OTHER_CASE))
    given(absorbed).when(command).then_refused(CaseIsMerged, match="read-only")
