"""Settings of the cooperation agreement that the rules use: deadlines and police thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from domain.values import CaseType, Disposition


@dataclass(frozen=True)
class Deadlines:
    """Defaults: acknowledge a referral within 3 days, feedback within 15, answer assistance in 7."""

    acknowledge: timedelta = timedelta(days=3)
    feedback: timedelta = timedelta(days=15)
    assistance: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class PoliceThresholds:
    """Advisory criminal thresholds (非法经营 情节严重 / 特别严重, counterfeit sales and stock)."""

    serious_value: Decimal = Decimal("50000")
    serious_sticks: int = 200_000
    especially_serious_value: Decimal = Decimal("250000")
    especially_serious_sticks: int = 1_000_000
    counterfeit_sold_value: Decimal = Decimal("50000")
    counterfeit_unsold_value: Decimal = Decimal("150000")


@dataclass(frozen=True)
class SeizureTotals:
    value: Decimal = Decimal(0)
    sticks: int = 0
    counterfeit_sold_value: Decimal = Decimal(0)
    counterfeit_unsold_value: Decimal = Decimal(0)

    def add(
        self, value: Decimal, sticks: int, case_type: CaseType, disposition: Disposition
    ) -> SeizureTotals:
        counterfeit = case_type == CaseType.COUNTERFEIT
        sold = counterfeit and disposition == Disposition.SOLD
        unsold = counterfeit and disposition == Disposition.UNSOLD
        return SeizureTotals(
            value=self.value + value,
            sticks=self.sticks + sticks,
            counterfeit_sold_value=self.counterfeit_sold_value + (value if sold else 0),
            counterfeit_unsold_value=self.counterfeit_unsold_value + (value if unsold else 0),
        )

    def plus(self, other: SeizureTotals) -> SeizureTotals:
        """The totals of two sets of seizures together (a case and a case merged into it)."""
        return SeizureTotals(
            value=self.value + other.value,
            sticks=self.sticks + other.sticks,
            counterfeit_sold_value=self.counterfeit_sold_value + other.counterfeit_sold_value,
            counterfeit_unsold_value=self.counterfeit_unsold_value + other.counterfeit_unsold_value,
        )


def police_advice(totals: SeizureTotals, thresholds: PoliceThresholds) -> list[str]:
    """Names each threshold the totals reach; an empty list means no referral is advised."""
    reached: list[str] = []
    if totals.value >= thresholds.especially_serious_value:
        reached.append(f"business volume ≥ ¥{thresholds.especially_serious_value} (情节特别严重)")
    elif totals.value >= thresholds.serious_value:
        reached.append(f"business volume ≥ ¥{thresholds.serious_value} (情节严重)")
    if totals.sticks >= thresholds.especially_serious_sticks:
        reached.append(f"quantity ≥ {thresholds.especially_serious_sticks}支 (情节特别严重)")
    elif totals.sticks >= thresholds.serious_sticks:
        reached.append(f"quantity ≥ {thresholds.serious_sticks}支 (情节严重)")
    if totals.counterfeit_sold_value >= thresholds.counterfeit_sold_value:
        reached.append(f"counterfeit sales ≥ ¥{thresholds.counterfeit_sold_value}")
    if totals.counterfeit_unsold_value >= thresholds.counterfeit_unsold_value:
        reached.append(f"unsold counterfeit stock ≥ ¥{thresholds.counterfeit_unsold_value}")
    return reached
