"""Police thresholds are advice only: which thresholds a case's seizure totals reach."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.policy import Deadlines, PoliceThresholds, SeizureTotals, police_advice
from domain.values import CaseType, Disposition
from tests.domain.builders import SEIZURE, a_case, with_seizure

DEFAULTS = PoliceThresholds()
SERIOUS_VALUE = "business volume ≥ ¥50000 (情节严重)"
ESPECIALLY_SERIOUS_VALUE = "business volume ≥ ¥250000 (情节特别严重)"
SERIOUS_STICKS = "quantity ≥ 200000支 (情节严重)"
ESPECIALLY_SERIOUS_STICKS = "quantity ≥ 1000000支 (情节特别严重)"
COUNTERFEIT_SALES = "counterfeit sales ≥ ¥50000"
COUNTERFEIT_STOCK = "unsold counterfeit stock ≥ ¥150000"


def totals(value="0", sticks=0, sold="0", unsold="0") -> SeizureTotals:
    return SeizureTotals(Decimal(value), sticks, Decimal(sold), Decimal(unsold))


@pytest.mark.parametrize(
    ("seized", "advice"),
    [
        (totals(), []),
        (totals(value="49999.99", sticks=199_999, sold="49999.99", unsold="149999.99"), []),
        (totals(value="50000"), [SERIOUS_VALUE]),
        (totals(value="249999.99"), [SERIOUS_VALUE]),
        (totals(value="250000"), [ESPECIALLY_SERIOUS_VALUE]),
        (totals(sticks=200_000), [SERIOUS_STICKS]),
        (totals(sticks=999_999), [SERIOUS_STICKS]),
        (totals(sticks=1_000_000), [ESPECIALLY_SERIOUS_STICKS]),
        (totals(sold="50000"), [COUNTERFEIT_SALES]),
        (totals(unsold="150000"), [COUNTERFEIT_STOCK]),
        (
            totals(value="300000", sticks=1_200_000, sold="50000", unsold="250000"),
            [
                ESPECIALLY_SERIOUS_VALUE,
                ESPECIALLY_SERIOUS_STICKS,
                COUNTERFEIT_SALES,
                COUNTERFEIT_STOCK,
            ],
        ),
    ],
    ids=[
        "nothing seized",
        "just below every threshold",
        "¥50,000",
        "just below ¥250,000",
        "¥250,000 only names the higher threshold",
        "4箱",
        "just below 20箱",
        "20箱 only names the higher threshold",
        "counterfeit sales",
        "unsold counterfeit stock",
        "everything at once",
    ],
)
def test_police_advice_names_each_threshold_reached(seized, advice):
    assert police_advice(seized, DEFAULTS) == advice


def test_thresholds_are_settings():
    lower = PoliceThresholds(serious_value=Decimal("10000"), serious_sticks=40_000)
    assert police_advice(totals(value="10000", sticks=40_000), lower) == [
        "business volume ≥ ¥10000 (情节严重)",
        "quantity ≥ 40000支 (情节严重)",
    ]
    assert police_advice(totals(value="10000", sticks=40_000), DEFAULTS) == []


def test_only_counterfeit_goods_count_as_counterfeit_sales_or_stock():
    summed = (
        SeizureTotals()
        .add(Decimal("60000"), 1_000, CaseType.COUNTERFEIT, Disposition.SOLD)
        .add(Decimal("20000"), 2_000, CaseType.COUNTERFEIT, Disposition.UNSOLD)
        .add(Decimal("90000"), 3_000, CaseType.SMUGGLED, Disposition.SOLD)
    )
    assert summed == totals(value="170000", sticks=6_000, sold="60000", unsold="20000")


def test_a_case_with_four_cases_of_counterfeit_stock_is_advised_for_police():
    case = with_seizure(a_case(), seizure_id=SEIZURE, sticks=200_000, value="48000")
    assert police_advice(case.seizure_totals(), DEFAULTS) == [SERIOUS_STICKS]


def test_default_deadlines_follow_the_agreement():
    assert Deadlines() == Deadlines(
        acknowledge=timedelta(days=3), feedback=timedelta(days=15), assistance=timedelta(days=7)
    )
