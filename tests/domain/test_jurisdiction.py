"""Participating units with validity dates and liaisons, the registry of codes, case numbering."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.errors import InvalidInput, JurisdictionEnded
from domain.jurisdiction import (
    DEFAULT_UNITS,
    CaseNumberSequence,
    Jurisdiction,
    JurisdictionRegistry,
    UnitData,
)
from tests.domain.builders import CASE, OTHER_CASE
from tests.domain.gwt import XINGHE, YANGGAO, at, ctx, event, given

FENGZHEN = UnitData(
    "150981", "Fengzhen City", "丰镇市", "乌兰察布 Ulanqab", "内蒙古 Inner Mongolia"
)
JOINED = date(2026, 1, 1)


def a_unit(unit: UnitData = FENGZHEN, valid_from: date = JOINED) -> Jurisdiction:
    return Jurisdiction.register(unit, valid_from, ctx(XINGHE))


def with_liaison(unit: Jurisdiction, name: str = "刘联络", since: date = JOINED) -> Jurisdiction:
    unit.designate_liaison(name, "0474-7210000", "liu@example.invalid", since, ctx(XINGHE, at(1)))
    return unit


def ended(unit: Jurisdiction, valid_to: date = date(2026, 12, 31)) -> Jurisdiction:
    unit.end_validity(valid_to, "left the agreement", ctx(XINGHE, at(2)))
    return unit


# --- units -------------------------------------------------------------------------------------
def test_a_new_unit_joins_with_its_code_as_data_and_a_stable_id():
    unit = (
        given()
        .when(
            lambda: Jurisdiction.register(
                UnitData(" 150981 ", " Fengzhen City ", " 丰镇市 ", "乌兰察布", "内蒙古"),
                JOINED,
                ctx(XINGHE),
            )
        )
        .then(
            event(
                Jurisdiction.Registered,
                originator_id=Jurisdiction.id_for("150981"),
                code="150981",
                name="Fengzhen City",
                name_zh="丰镇市",
                valid_from=JOINED,
            )
        )
        .aggregate
    )
    assert unit.valid_to is None
    assert unit.current_liaison is None
    assert unit.public_state()["liaison"] is None


def test_the_default_units_are_the_five_counties_and_one_district():
    assert [u.code for u in DEFAULT_UNITS] == [
        "150924",
        "140221",
        "140222",
        "130725",
        "130728",
        "130708",
    ]


@pytest.mark.parametrize(
    "code",
    ["15098", "1509811", "15098a", "", "\uff11\uff15\uff10\uff19\uff18\uff11", "15098\u00b2"],
    ids=["five", "seven", "letter", "empty", "full-width digits", "superscript"],
)
def test_a_unit_code_is_six_ascii_digits(code):
    unit = UnitData(code, "Somewhere", "", "", "")
    given().when(lambda: Jurisdiction.register(unit, JOINED, ctx(XINGHE))).then_refused(
        InvalidInput, match="six digits"
    )


def test_a_unit_has_a_name():
    unit = UnitData("150981", " ", "丰镇市", "", "")
    given().when(lambda: Jurisdiction.register(unit, JOINED, ctx(XINGHE))).then_refused(
        InvalidInput
    )


def test_a_liaison_is_designated_for_a_unit():
    unit = (
        given(a_unit())
        .when(
            lambda unit: unit.designate_liaison(
                " 刘联络 ", " 0474-7210000 ", " liu@example.invalid ", JOINED, ctx(XINGHE)
            )
        )
        .then(
            event(
                Jurisdiction.LiaisonDesignated,
                name="刘联络",
                phone="0474-7210000",
                email="liu@example.invalid",
                since=JOINED,
            )
        )
        .aggregate
    )
    assert unit.current_liaison.name == "刘联络"
    assert unit.current_liaison.until is None


def test_a_new_liaison_ends_the_previous_ones_term_and_the_directory_keeps_both():
    unit = (
        given(with_liaison(a_unit()))
        .when(lambda unit: unit.designate_liaison("王联络", "", "", date(2026, 6, 1), ctx(XINGHE)))
        .then(Jurisdiction.LiaisonDesignated)
        .aggregate
    )
    assert [(x.name, x.since, x.until) for x in unit.liaisons] == [
        ("刘联络", JOINED, date(2026, 6, 1)),
        ("王联络", date(2026, 6, 1), None),
    ]
    assert unit.current_liaison.name == "王联络"
    assert len(unit.public_state()["liaison_history"]) == 2


def test_a_new_liaison_does_not_start_before_the_current_one():
    given(with_liaison(a_unit(), since=date(2026, 6, 1))).when(
        lambda unit: unit.designate_liaison("王联络", "", "", date(2026, 5, 1), ctx(XINGHE))
    ).then_refused(InvalidInput, match="before the current one")


def test_a_liaison_has_a_name():
    given(a_unit()).when(
        lambda unit: unit.designate_liaison(" ", "", "", JOINED, ctx(XINGHE))
    ).then_refused(InvalidInput)


def test_a_unit_leaves_the_cooperation_on_a_date_with_a_reason():
    unit = (
        given(a_unit())
        .when(lambda unit: unit.end_validity(date(2026, 12, 31), " merged ", ctx(XINGHE)))
        .then(event(Jurisdiction.ValidityEnded, valid_to=date(2026, 12, 31), reason="merged"))
        .aggregate
    )
    assert unit.valid_to == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("day", "valid"),
    [
        (date(2025, 12, 31), False),
        (JOINED, True),
        (date(2026, 12, 30), True),
        (date(2026, 12, 31), False),
    ],
    ids=["before joining", "joining day", "last day", "day it left"],
)
def test_a_unit_participates_from_the_day_it_joins_until_the_day_it_leaves(day, valid):
    assert ended(a_unit()).is_valid_on(day) is valid


def test_a_unit_that_never_left_participates_from_the_day_it_joined():
    unit = a_unit()
    assert unit.is_valid_on(date(2099, 1, 1))
    assert not unit.is_valid_on(date(2025, 12, 31))


def test_a_unit_leaves_only_once():
    given(ended(a_unit())).when(
        lambda unit: unit.end_validity(date(2027, 1, 1), "again", ctx(XINGHE))
    ).then_refused(JurisdictionEnded)


def test_a_unit_does_not_leave_before_it_joined_nor_without_a_reason():
    given(a_unit()).when(
        lambda unit: unit.end_validity(date(2025, 1, 1), "typo", ctx(XINGHE))
    ).then_refused(InvalidInput, match="before it joined")
    given(a_unit()).when(
        lambda unit: unit.end_validity(date(2027, 1, 1), " ", ctx(XINGHE))
    ).then_refused(InvalidInput)


def test_a_unit_that_left_gets_no_new_liaison():
    given(ended(a_unit())).when(
        lambda unit: unit.designate_liaison("王联络", "", "", date(2027, 1, 1), ctx(XINGHE))
    ).then_refused(JurisdictionEnded)


# --- the registry of codes ---------------------------------------------------------------------
def test_the_registry_lists_the_codes_of_the_units_in_the_order_they_joined():
    registry = JurisdictionRegistry.start(ctx(XINGHE))
    assert registry.id == JurisdictionRegistry.ID
    registry.add(XINGHE, ctx(XINGHE))
    registry = (
        given(registry)
        .when(lambda registry: registry.add("150981", ctx(XINGHE, at(1))))
        .then(event(JurisdictionRegistry.CodeAdded, code="150981"))
        .aggregate
    )
    assert registry.codes == [XINGHE, "150981"]


# --- case numbers ------------------------------------------------------------------------------
def test_case_numbers_are_issued_per_county_and_year_in_sequence():
    sequence = CaseNumberSequence.start(XINGHE, 2026, ctx(XINGHE))
    assert sequence.id == CaseNumberSequence.id_for(XINGHE, 2026)
    sequence = (
        given(sequence)
        .when(lambda sequence: sequence.issue(CASE, ctx(XINGHE)))
        .then(
            event(
                CaseNumberSequence.NumberIssued, sequence=1, number="150924-2026-0001", case_id=CASE
            )
        )
    )
    assert sequence.result == "150924-2026-0001"


def test_numbering_continues_from_the_replayed_history():
    sequence = CaseNumberSequence.start(XINGHE, 2026, ctx(XINGHE))
    for n in range(41):
        sequence.issue(UUID(int=n), ctx(XINGHE))
    outcome = (
        given(sequence)
        .when(lambda sequence: sequence.issue(OTHER_CASE, ctx(XINGHE)))
        .then(event(CaseNumberSequence.NumberIssued, sequence=42, case_id=OTHER_CASE))
    )
    assert outcome.result == "150924-2026-0042"


def test_each_county_and_year_has_its_own_sequence():
    ids = {
        CaseNumberSequence.id_for(XINGHE, 2026),
        CaseNumberSequence.id_for(XINGHE, 2027),
        CaseNumberSequence.id_for(YANGGAO, 2026),
    }
    assert len(ids) == 3
    other = CaseNumberSequence.start(YANGGAO, 2027, ctx(YANGGAO))
    assert other.issue(CASE, ctx(YANGGAO)) == "140221-2027-0001"
