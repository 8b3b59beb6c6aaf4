"""Seizures (查获) recorded on a case by its lead county or a joined co-handler, and their totals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.case_state import CaseState, Seizure
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

        def apply(self, case: Seizures) -> None:
            case.seizures.append(
                Seizure(
                    seizure_id=self.seizure_id,
                    county=self.actor.county,
                    officer_id=self.actor.officer_id,
                    brand=self.brand,
                    specification=self.specification,
                    sticks=self.sticks,
                    value=self.value,
                    price_basis=PriceBasis(self.price_basis),
                    disposition=Disposition(self.disposition),
                    place=self.place,
                    seized_at=self.seized_at,
                    recorded_at=self.timestamp,
                )
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
        if any(s.seizure_id == seizure_id for s in self.seizures):
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
        totals = SeizureTotals()
        for s in self.seizures:
            totals = totals.add(s.value, s.sticks, self.case_type, s.disposition)
        return totals
