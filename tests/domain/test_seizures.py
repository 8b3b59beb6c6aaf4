"""Seizures recorded on a case by its lead county and joined co-handlers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.case import Case
from domain.errors import (
    CoHandlerNotAccepted,
    InvalidInput,
    NonPositiveQuantity,
    NotCaseParticipant,
)
from domain.policy import SeizureTotals
from tests.domain.builders import (
    SECOND_SEIZURE,
    SEIZURE,
    a_case,
    seize,
    with_co_handler,
    with_seizure,
)
from tests.domain.gwt import SHANGYI, YANGGAO, at, ctx, event, given


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
    assert case.seizure_ids == {SECOND_SEIZURE.hex}
    assert (case.seizure_totals().value, case.seizure_totals().sticks) == (
        Decimal("180000.01"),
        200_000,
    )


def test_a_joined_co_handler_records_its_own_seizure_next_to_the_lead_countys():
    case = with_seizure(with_co_handler(a_case(), YANGGAO))
    case = (
        given(case)
        .when(seize(YANGGAO))
        .then(event(Case.SeizureRecorded, actor=ctx(YANGGAO).actor))
        .aggregate
    )
    assert case.seizure_count() == 2


def test_a_co_handler_does_not_act_on_the_case_before_accepting():
    given(with_co_handler(a_case(), YANGGAO, joined=False)).when(seize(YANGGAO)).then_refused(
        CoHandlerNotAccepted
    )


def test_a_county_that_declined_co_handling_does_not_act_on_the_case():
    case = with_co_handler(a_case(), YANGGAO, joined=False)
    case.decline_co_handling("no staff", ctx(YANGGAO, at(hours=2)))
    given(case).when(seize(YANGGAO)).then_refused(NotCaseParticipant)


def test_totals_are_summed_as_seizures_are_recorded_sold_and_unsold_counterfeit_apart():
    case = with_seizure(a_case(), seizure_id=SEIZURE, sticks=100, value="10", disposition="sold")
    case = with_seizure(case, seizure_id=SECOND_SEIZURE, sticks=50, value="2.5")
    assert case.seizure_totals() == SeizureTotals(
        value=Decimal("12.50"),
        sticks=150,
        counterfeit_sold_value=Decimal("10"),
        counterfeit_unsold_value=Decimal("2.5"),
    )


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
