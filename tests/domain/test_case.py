"""The Case aggregate: opening, seizures, joint handling, assistance, police, closing and reopening."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest

from domain.case import Case
from domain.errors import (
    AlreadyCoHandler,
    AlreadyReferredToPolice,
    AssistanceAlreadyAnswered,
    AssistanceNotFound,
    AssistanceToOwnCounty,
    CaseClosed,
    CaseIsMerged,
    CaseNotClosed,
    CoHandlerNotAccepted,
    InvalidInput,
    InviteOwnCounty,
    NonPositiveQuantity,
    NotAssistanceRecipient,
    NotCaseParticipant,
    NotInvited,
    NotLeadCounty,
    NotReferredToPolice,
    PoliceAlreadyAccepted,
)
from domain.values import (
    CaseOutcome,
    CaseStatus,
    CaseType,
    CoHandlerStatus,
    Disposition,
    PriceBasis,
)
from tests.domain.builders import (
    CASE,
    LEAD,
    OTHER_CASE,
    OTHER_LEAD,
    REQUEST,
    SEIZURE,
    a_case,
    closed_case,
    merged,
    with_assistance_request,
    with_co_handler,
    with_seizure,
)
from tests.domain.gwt import SHANGYI, T0, TIANZHEN, XINGHE, YANGGAO, at, ctx, event, given

SECOND_SEIZURE = UUID("00000000-0000-4000-8000-0000000000e2")
SECOND_REQUEST = UUID("00000000-0000-4000-8000-0000000000f2")


def seize(county: str = XINGHE, **overrides):
    details = {
        "seizure_id": SECOND_SEIZURE,
        "brand": "中华(硬)",
        "sticks": 200_000,
        "value": Decimal("180000"),
        "price_basis": PriceBasis.PROVINCIAL,
        "seized_at": at(days=1),
        "place": " G6 service area ",
        "specification": " 84mm ",
    }
    details.update(overrides)
    return lambda case: case.record_seizure(ctx=ctx(county, at(days=1, hours=1)), **details)


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


# --- seizures ----------------------------------------------------------------------------------
def test_the_lead_county_records_a_seizure_in_sticks_with_its_value_and_price_basis():
    case = (
        given(a_case())
        .when(seize(value="180000.005", disposition="sold"))
        .then(
            event(
                Case.SeizureRecorded,
                seizure_id=SECOND_SEIZURE,
                sticks=200_000,
                value=Decimal("180000.01"),
                price_basis="provincial",
                disposition="sold",
                place="G6 service area",
                specification="84mm",
                seized_at=at(days=1),
            )
        )
        .aggregate
    )
    [seizure] = case.seizures
    assert (seizure.county, seizure.officer_id) == (XINGHE, f"officer-{XINGHE}")
    assert seizure.disposition == Disposition.SOLD
    assert seizure.price_basis == PriceBasis.PROVINCIAL
    assert (seizure.seized_at, seizure.recorded_at) == (at(days=1), at(days=1, hours=1))


def test_a_joined_co_handler_records_its_own_seizure_next_to_the_lead_countys():
    case = with_seizure(with_co_handler(a_case(), YANGGAO))
    case = (
        given(case)
        .when(seize(YANGGAO))
        .then(event(Case.SeizureRecorded, actor=ctx(YANGGAO).actor))
        .aggregate
    )
    assert [s.county for s in case.seizures] == [XINGHE, YANGGAO]


def test_a_co_handler_does_not_act_on_the_case_before_accepting():
    given(with_co_handler(a_case(), YANGGAO, joined=False)).when(seize(YANGGAO)).then_refused(
        CoHandlerNotAccepted
    )


def test_a_county_that_declined_co_handling_does_not_act_on_the_case():
    case = with_co_handler(a_case(), YANGGAO, joined=False)
    case.decline_co_handling("no staff", ctx(YANGGAO, at(hours=2)))
    given(case).when(seize(YANGGAO)).then_refused(NotCaseParticipant)


def test_a_county_outside_the_case_does_not_record_seizures():
    given(a_case()).when(seize(SHANGYI)).then_refused(NotCaseParticipant)


@pytest.mark.parametrize("sticks", [0, -200, True, 1.5, "200"])
def test_a_seizure_is_a_positive_whole_number_of_sticks(sticks):
    given(a_case()).when(seize(sticks=sticks)).then_refused(NonPositiveQuantity)


def test_a_seizure_value_is_never_negative():
    given(a_case()).when(seize(value=Decimal("-1"))).then_refused(NonPositiveQuantity)


def test_a_seizure_value_is_never_a_float():
    given(a_case()).when(seize(value=180000.0)).then_refused(InvalidInput, match="float")


@pytest.mark.parametrize(
    "overrides",
    [{"price_basis": "black_market"}, {"disposition": "lost"}, {"brand": "  "}],
    ids=["price basis", "disposition", "brand"],
)
def test_a_seizure_names_its_brand_a_known_price_basis_and_disposition(overrides):
    given(a_case()).when(seize(**overrides)).then_refused(InvalidInput)


def test_a_seizure_is_recorded_only_once():
    given(with_seizure(a_case())).when(seize(seizure_id=SEIZURE)).then_refused(
        InvalidInput, match="already recorded"
    )


def test_seizure_totals_count_counterfeit_sales_and_stock_apart():
    case = with_seizure(a_case(), sticks=50_000, value="45000", disposition="unsold")
    case = with_seizure(
        case, seizure_id=SECOND_SEIZURE, sticks=600, value="540", disposition="sold"
    )
    totals = case.seizure_totals()
    assert (totals.sticks, totals.value) == (50_600, Decimal("45540"))
    assert totals.counterfeit_unsold_value == Decimal("45000")
    assert totals.counterfeit_sold_value == Decimal("540")


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


# --- police ------------------------------------------------------------------------------------
def refer_to_police(county: str = XINGHE, unit: str = "兴和县公安局 经侦大队", reason: str = "4箱"):
    return lambda case: case.refer_to_police(
        unit, at(days=3), reason, ["quantity ≥ 200000支 (情节严重)"], ctx(county, at(days=3))
    )


def test_the_lead_county_refers_a_case_to_police_with_the_advice_it_had():
    case = (
        given(with_seizure(a_case()))
        .when(refer_to_police())
        .then(
            event(
                Case.ReferredToPolice,
                police_unit="兴和县公安局 经侦大队",
                referred_on=at(days=3),
                advice=["quantity ≥ 200000支 (情节严重)"],
            )
        )
        .aggregate
    )
    assert case.police.police_unit == "兴和县公安局 经侦大队"
    assert case.police.accepted_on is None


def test_only_the_lead_county_refers_a_case_to_police():
    given(with_co_handler(a_case(), YANGGAO)).when(refer_to_police(YANGGAO)).then_refused(
        NotLeadCounty
    )


def test_a_case_is_referred_to_police_once():
    case = a_case()
    refer_to_police()(case)
    given(case).when(refer_to_police()).then_refused(AlreadyReferredToPolice)


@pytest.mark.parametrize(("unit", "reason"), [(" ", "4箱"), ("公安局", "")], ids=["unit", "reason"])
def test_a_police_referral_names_the_unit_and_the_reason(unit, reason):
    given(a_case()).when(refer_to_police(unit=unit, reason=reason)).then_refused(InvalidInput)


def test_police_acceptance_is_recorded_later_with_the_police_case_number():
    case = a_case()
    refer_to_police()(case)
    case = (
        given(case)
        .when(
            lambda case: case.record_police_acceptance(at(9), " 公立2026-17 ", ctx(XINGHE, at(9)))
        )
        .then(
            event(
                Case.PoliceAcceptanceRecorded, accepted_on=at(9), police_case_number="公立2026-17"
            )
        )
        .aggregate
    )
    assert (case.police.accepted_on, case.police.police_case_number) == (at(9), "公立2026-17")


def test_police_acceptance_needs_a_referral_first():
    given(a_case()).when(
        lambda case: case.record_police_acceptance(at(9), "X-1", ctx(XINGHE))
    ).then_refused(NotReferredToPolice)


def test_police_acceptance_is_recorded_once_and_only_by_the_lead_county():
    case = with_co_handler(a_case(), YANGGAO)
    refer_to_police()(case)
    case.record_police_acceptance(at(9), "X-1", ctx(XINGHE, at(9)))
    given(case).when(
        lambda case: case.record_police_acceptance(at(10), "X-2", ctx(XINGHE))
    ).then_refused(PoliceAlreadyAccepted)
    case = with_co_handler(a_case(), YANGGAO)
    refer_to_police()(case)
    given(case).when(
        lambda case: case.record_police_acceptance(at(9), "X-1", ctx(YANGGAO))
    ).then_refused(NotLeadCounty)


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
