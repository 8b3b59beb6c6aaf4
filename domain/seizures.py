"""Seizures (查获) recorded on a case by its lead county or a joined co-handler, and their totals.

The case keeps the ids and running totals, not the seizures: their details are shown from the
read model of seizures (``projections/seizures.py``), so a case with thousands of seizures
loads (and snapshots) as fast as one with none."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.case_state import CaseState
from domain.errors import InvalidInput, NonPositiveQuantity
from domain.events import JointEvent, stamp
from domain.policy import SeizureTotals
from domain.values import MAX_STICKS, Context, Disposition, PriceBasis, required_text, to_money


class Seizures(CaseState):
    """The seizures part of ``Case``: each county records its own, none edits another's."""

    class SeizureRecorded(JointEvent):
        seizure_id: UUID
        brand: str
        specification: str
        sticks: int
        value: Decimal
        price_basis: str
        disposition: str
        place: str
        seized_at: datetime

        def details(self) -> dict[str, Any]:
            """The seizure as a case shows it (the read model of seizures stores this)."""
            return {
                "seizure_id": self.seizure_id,
                "county": self.actor.county,
                "officer_id": self.actor.officer_id,
                "brand": self.brand,
                "specification": self.specification,
                "sticks": self.sticks,
                "value": self.value,
                "price_basis": self.price_basis,
                "disposition": self.disposition,
                "place": self.place,
                "seized_at": self.seized_at,
                "recorded_at": self.timestamp,
            }

        def apply(self, case: Seizures) -> None:
            case.seizure_ids.add(self.seizure_id.hex)
            case.seized = case.seized.add(
                self.value, self.sticks, case.case_type, Disposition(self.disposition)
            )

    def record_seizure(
        self,
        *,
        seizure_id: UUID,
        ctx: Context,
        brand: str,
        sticks: int,
        value: Decimal,
        price_basis: PriceBasis | str,
        seized_at: datetime,
        specification: str = "",
        place: str = "",
        disposition: Disposition | str = Disposition.UNSOLD,
    ) -> None:
        self._check_active()
        self._check_participant(ctx)
        if isinstance(sticks, int) and sticks > MAX_STICKS:
            raise InvalidInput(f"a seizure holds at most {MAX_STICKS:,} sticks")
        if isinstance(sticks, bool) or not isinstance(sticks, int) or sticks <= 0:
            raise NonPositiveQuantity(
                f"a seizure's quantity must be a positive number of sticks, got {sticks}"
            )
        value = to_money(value)
        try:
            price_basis = PriceBasis(price_basis)
            disposition = Disposition(disposition)
        except ValueError as e:
            raise InvalidInput(str(e)) from e
        if seizure_id.hex in self.seizure_ids:
            raise InvalidInput(f"seizure {seizure_id} is already recorded")
        self.trigger_event(
            self.SeizureRecorded,
            seizure_id=seizure_id,
            brand=required_text(brand, "a seizure's brand"),
            specification=specification.strip(),
            sticks=sticks,
            value=value,
            price_basis=str(price_basis),
            disposition=str(disposition),
            place=place.strip(),
            seized_at=seized_at,
            **stamp(ctx),
        )

    def seizure_totals(self) -> SeizureTotals:
        """The case's own totals, summed as each seizure was recorded."""
        return self.seized

    def seizure_count(self) -> int:
        return len(self.seizure_ids)
