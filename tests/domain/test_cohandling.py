"""Joint handling: co-handlers invited by the lead county join or decline."""

from __future__ import annotations

import pytest

from domain.case import Case
from domain.errors import AlreadyCoHandler, InvalidInput, InviteOwnCounty, NotInvited, NotLeadCounty
from domain.values import CoHandlerStatus
from tests.domain.builders import a_case, with_co_handler
from tests.domain.gwt import TIANZHEN, XINGHE, YANGGAO, at, ctx, event, given


# --- joint handling ----------------------------------------------------------------------------
def test_the_lead_county_invites_a_co_handler():
    case = (
        given(a_case())
        .when(
            lambda case: case.invite_co_handler(YANGGAO, " buyers are yours ", ctx(XINGHE, at(1)))
        )
        .then(event(Case.CoHandlerInvited, county=YANGGAO, note="buyers are yours"))
        .aggregate
    )
    handler = case.co_handlers[YANGGAO]
    assert (handler.status, handler.invited_at) == (CoHandlerStatus.INVITED, at(1))
    assert YANGGAO in case.counties_involved()
    assert case.participant_counties() == {XINGHE}


def test_only_the_lead_county_invites_co_handlers():
    given(with_co_handler(a_case(), YANGGAO)).when(
        lambda case: case.invite_co_handler(TIANZHEN, "", ctx(YANGGAO))
    ).then_refused(NotLeadCounty)


def test_the_lead_county_does_not_invite_itself():
    given(a_case()).when(lambda case: case.invite_co_handler(XINGHE, "", ctx(XINGHE))).then_refused(
        InviteOwnCounty
    )


@pytest.mark.parametrize("joined", [False, True], ids=["invited", "joined"])
def test_a_county_is_invited_only_once_while_invited_or_joined(joined):
    given(with_co_handler(a_case(), YANGGAO, joined=joined)).when(
        lambda case: case.invite_co_handler(YANGGAO, "", ctx(XINGHE))
    ).then_refused(AlreadyCoHandler)


def test_a_county_that_declined_may_be_invited_again():
    case = with_co_handler(a_case(), YANGGAO, joined=False)
    case.decline_co_handling("no staff this week", ctx(YANGGAO, at(hours=2)))
    case = (
        given(case)
        .when(lambda case: case.invite_co_handler(YANGGAO, "staff now?", ctx(XINGHE, at(3))))
        .then(event(Case.CoHandlerInvited, county=YANGGAO))
        .aggregate
    )
    assert case.co_handlers[YANGGAO].status == CoHandlerStatus.INVITED


def test_an_invited_county_joins_the_case():
    case = (
        given(with_co_handler(a_case(), YANGGAO, joined=False))
        .when(lambda case: case.accept_co_handling(ctx(YANGGAO, at(1))))
        .then(event(Case.CoHandlerJoined, actor=ctx(YANGGAO).actor))
        .aggregate
    )
    handler = case.co_handlers[YANGGAO]
    assert (handler.status, handler.answered_at) == (CoHandlerStatus.JOINED, at(1))
    assert case.participant_counties() == {XINGHE, YANGGAO}


def test_an_invited_county_declines_with_a_reason():
    case = (
        given(with_co_handler(a_case(), YANGGAO, joined=False))
        .when(lambda case: case.decline_co_handling(" no staff ", ctx(YANGGAO, at(1))))
        .then(event(Case.CoHandlerDeclined, reason="no staff"))
        .aggregate
    )
    handler = case.co_handlers[YANGGAO]
    assert (handler.status, handler.answer_reason) == (CoHandlerStatus.DECLINED, "no staff")


def test_declining_co_handling_needs_a_reason():
    given(with_co_handler(a_case(), YANGGAO, joined=False)).when(
        lambda case: case.decline_co_handling("", ctx(YANGGAO))
    ).then_refused(InvalidInput)


@pytest.mark.parametrize(
    ("county", "joined"),
    [(TIANZHEN, False), (YANGGAO, True)],
    ids=["never invited", "already joined"],
)
@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_only_an_open_invitation_is_answered(county, joined, answer):
    def command(case):
        if answer == "accept":
            case.accept_co_handling(ctx(county))
        else:
            case.decline_co_handling("no", ctx(county))

    given(with_co_handler(a_case(), YANGGAO, joined=joined)).when(command).then_refused(NotInvited)
