"""Quantities in sticks, money in yuan, and the actor and context of every command."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from domain.errors import InvalidInput, NonPositiveQuantity
from domain.lead_state import Referral
from domain.values import (
    Actor,
    ActorAsDict,
    Context,
    DataclassAsDict,
    DateAsISO,
    QuantityUnit,
    ReferralStatus,
    Role,
    describe_sticks,
    to_money,
    to_sticks,
)
from tests.domain.gwt import T0, XINGHE, at


# --- quantities --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("unit", "sticks"),
    [("stick", 1), ("pack", 20), ("carton", 200), ("piece", 10_000), ("case", 50_000)],
)
def test_one_of_each_unit_is_a_fixed_number_of_sticks(unit, sticks):
    assert to_sticks(1, unit) == sticks
    assert to_sticks("1", QuantityUnit(unit)) == sticks


def test_the_units_agree_with_each_other():
    # 1条 = 10包 = 200支; 1件 = 50条; 1箱 = 5件 = 250条 = 50,000支
    assert to_sticks(1, "carton") == to_sticks(10, "pack") == 200
    assert to_sticks(1, "piece") == to_sticks(50, "carton")
    assert to_sticks(1, "case") == to_sticks(5, "piece") == to_sticks(250, "carton") == 50_000


@pytest.mark.parametrize(
    ("amount", "unit", "sticks"),
    [
        ("0.5", "pack", 10),
        (Decimal("2.5"), "carton", 500),
        ("0.00002", "case", 1),
        ("4", "case", 200_000),
    ],
)
def test_a_fraction_of_a_unit_is_accepted_when_it_is_whole_sticks(amount, unit, sticks):
    assert to_sticks(amount, unit) == sticks


@pytest.mark.parametrize(
    ("amount", "unit"), [("0.5", "stick"), ("0.01", "pack"), ("1.0001", "carton")]
)
def test_a_fraction_of_a_stick_is_refused(amount, unit):
    with pytest.raises(InvalidInput, match="whole number of sticks"):
        to_sticks(amount, unit)


@pytest.mark.parametrize(("amount", "unit"), [(0, "case"), ("-1", "carton"), ("-0.5", "pack")])
def test_a_quantity_is_positive(amount, unit):
    with pytest.raises(NonPositiveQuantity):
        to_sticks(amount, unit)


@pytest.mark.parametrize(
    ("amount", "unit"),
    [
        ("three", "case"),
        ("", "case"),
        ("NaN", "case"),
        ("sNaN", "case"),
        ("Infinity", "stick"),
        ("-Infinity", "stick"),
        ("1e999999999", "case"),
        ("3", "box"),
    ],
)
def test_what_is_not_a_quantity_is_refused_as_invalid_input(amount, unit):
    with pytest.raises(InvalidInput):
        to_sticks(amount, unit)


@pytest.mark.parametrize(
    ("sticks", "cases"),
    [(50_000, "1.0000"), (200_000, "4.0000"), (12_345, "0.2469"), (1, "0.0000"), (0, "0.0000")],
)
def test_a_stick_count_is_shown_in_sticks_and_in_cases(sticks, cases):
    assert describe_sticks(sticks) == {"sticks": sticks, "cases": cases}


# --- money -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "yuan"),
    [
        ("135000", "135000.00"),
        (45000, "45000.00"),
        (Decimal("0.005"), "0.01"),
        ("2.345", "2.35"),
        ("2.344", "2.34"),
        ("0", "0.00"),
    ],
)
def test_money_is_a_decimal_rounded_half_up_to_the_fen(amount, yuan):
    money = to_money(amount)
    assert isinstance(money, Decimal)
    assert str(money) == yuan


def test_money_is_never_given_as_a_float():
    with pytest.raises(InvalidInput, match="float"):
        to_money(0.1)


def test_money_is_never_negative_and_may_be_required_positive():
    with pytest.raises(NonPositiveQuantity):
        to_money("-0.01")
    with pytest.raises(NonPositiveQuantity):
        to_money("0", allow_zero=False)
    assert to_money("0.01", allow_zero=False) == Decimal("0.01")


@pytest.mark.parametrize("amount", ["lots", "", "NaN", "sNaN", "Infinity", "1e30", "1e999999999"])
def test_what_is_not_money_is_refused_as_invalid_input(amount):
    with pytest.raises(InvalidInput):
        to_money(amount)


# --- actor and context -------------------------------------------------------------------------
def test_an_actor_has_an_officer_id_and_a_known_role():
    assert Actor("wang", XINGHE, "liaison").role is Role.LIAISON
    with pytest.raises(InvalidInput):
        Actor("", XINGHE, Role.OFFICER)
    with pytest.raises(ValueError):
        Actor("wang", XINGHE, "sheriff")


def test_a_context_needs_a_timezone_aware_time():
    actor = Actor("wang", XINGHE, Role.OFFICER)
    assert Context(actor, T0, "c-1").at == T0
    with pytest.raises(InvalidInput, match="timezone"):
        Context(actor, datetime(2026, 3, 2, 9, 0), "c-1")  # noqa: DTZ001


# --- how value objects are stored --------------------------------------------------------------
def test_actors_dates_and_state_dataclasses_are_stored_and_restored_exactly():
    actor = Actor("wang", XINGHE, Role.ADMIN)
    assert ActorAsDict().decode(ActorAsDict().encode(actor)) == actor
    assert DateAsISO().decode(DateAsISO().encode(date(2026, 3, 2))) == date(2026, 3, 2)
    referral = Referral(XINGHE, "140221", "why", "wang", T0, at(3), at(15), ReferralStatus.ACCEPTED)
    transcoding = DataclassAsDict(Referral)
    restored = transcoding.decode(dict(transcoding.encode(referral)))
    assert restored == referral
    assert restored.status is ReferralStatus.ACCEPTED
