"""Referral of a case to police, and police acceptance recorded later."""

from __future__ import annotations

import pytest

from domain.case import Case
from domain.errors import (
    AlreadyReferredToPolice,
    InvalidInput,
    NotLeadCounty,
    NotReferredToPolice,
    PoliceAlreadyAccepted,
)
from tests.domain.builders import a_case, refer_to_police, with_co_handler, with_seizure
from tests.domain.gwt import XINGHE, YANGGAO, at, ctx, event, given


# --- police ------------------------------------------------------------------------------------
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
