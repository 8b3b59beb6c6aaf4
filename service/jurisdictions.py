"""Use cases of the reference data: the participating units (with their validity) and the
liaison directory; and the check every other use case makes that a county takes part."""

from __future__ import annotations

from datetime import date, datetime
from threading import Lock
from typing import Any

from domain.access import require_admin
from domain.errors import JurisdictionExists, PermissionDenied, UnknownJurisdiction
from domain.jurisdiction import DEFAULT_UNITS, Jurisdiction, JurisdictionRegistry, UnitData
from domain.values import Context, Role
from service.store import SYSTEM_ACTOR, Decided, Store, Written, decided


class JurisdictionUseCases(Store):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._units: dict[str, Jurisdiction] = {}
        self._units_lock = Lock()
        super().__init__(*args, **kwargs)

    def _refresh_units(self) -> None:
        registry = self._find(JurisdictionRegistry, JurisdictionRegistry.ID)
        if registry is None:
            return
        units: dict[str, Jurisdiction] = {}
        for code in registry.codes:
            units[code] = self._load(Jurisdiction, Jurisdiction.id_for(code))
        with self._units_lock:
            self._units = units

    def _after_write(self, outcome: Decided) -> None:
        if isinstance(outcome.main, Jurisdiction):
            self._refresh_units()

    def check_county(self, code: str, on: datetime | None = None) -> Jurisdiction:
        """The unit with this code, refusing codes that are unknown or no longer participating."""
        unit = self._units.get(code)
        if unit is None:
            self._refresh_units()
            unit = self._units.get(code)
        if unit is None:
            raise UnknownJurisdiction(f"no participating unit has the code {code!r}")
        if on is not None and not unit.is_valid_on(on.astimezone(self.timezone).date()):
            self._refresh_units()
            unit = self._units[code]
            if not unit.is_valid_on(on.astimezone(self.timezone).date()):
                raise UnknownJurisdiction(f"unit {code} does not participate on {on.date()}")
        return unit

    def _check_actor_county(self, ctx: Context) -> None:
        self.check_county(ctx.actor.county, ctx.at)

    def register_jurisdiction(self, unit: UnitData, valid_from: date, ctx: Context) -> Written:
        def decide() -> Decided:
            registry = self._find(JurisdictionRegistry, JurisdictionRegistry.ID)
            if registry is None:
                registry = JurisdictionRegistry.start(ctx)
            if unit.code in registry.codes:
                raise JurisdictionExists(f"unit {unit.code} is already registered")
            jurisdiction = Jurisdiction.register(unit, valid_from, ctx)
            registry.add(jurisdiction.code, ctx)
            return decided(jurisdiction, registry)

        return self.write(ctx, decide, check=require_admin)

    def seed_default_jurisdictions(self, valid_from: date, ctx: Context | None = None) -> int:
        """Registers the default six units unless they exist; returns how many were added."""
        ctx = ctx or Context(SYSTEM_ACTOR, datetime.now(self.timezone), "seed")
        self._refresh_units()
        added = 0
        for unit in DEFAULT_UNITS:
            if unit.code not in self._units:
                self.register_jurisdiction(unit, valid_from, ctx)
                added += 1
        return added

    def designate_liaison(
        self, code: str, name: str, phone: str, email: str, since: date, ctx: Context
    ) -> Written:
        if ctx.actor.role != Role.ADMIN and ctx.actor.county != code:
            raise PermissionDenied("a unit designates its own liaison (or an administrator does)")

        def decide() -> Decided:
            unit = self._load(Jurisdiction, self.check_county(code).id)
            unit.designate_liaison(name, phone, email, since, ctx)
            return decided(unit)

        return self.write(ctx, decide)

    def end_jurisdiction(self, code: str, valid_to: date, reason: str, ctx: Context) -> Written:
        def decide() -> Decided:
            unit = self._load(Jurisdiction, self.check_county(code).id)
            unit.end_validity(valid_to, reason, ctx)
            return decided(unit)

        return self.write(ctx, decide, check=require_admin)

    def list_jurisdictions(self) -> list[Jurisdiction]:
        self._refresh_units()
        return [self._units[c] for c in sorted(self._units)]
