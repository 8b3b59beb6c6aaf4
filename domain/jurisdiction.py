"""Jurisdictions (participating units, reference data with validity dates) and the liaison directory
(联络通讯录): one designated information liaison per unit at a time, with its history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import InvalidInput, JurisdictionEnded
from domain.events import JointCreated, JointEvent, stamp
from domain.values import Context, required_text

NAMESPACE = uuid5(NAMESPACE_URL, "https://jointcase.invalid/")


@dataclass(frozen=True)
class UnitData:
    code: str
    name: str
    name_zh: str
    city: str
    province: str


#: The default 五县一区 of the 乌大张 cooperation (GB/T 2260 codes).
DEFAULT_UNITS: tuple[UnitData, ...] = (
    UnitData("150924", "Xinghe County", "兴和县", "乌兰察布 Ulanqab", "内蒙古 Inner Mongolia"),
    UnitData("140221", "Yanggao County", "阳高县", "大同 Datong", "山西 Shanxi"),
    UnitData("140222", "Tianzhen County", "天镇县", "大同 Datong", "山西 Shanxi"),
    UnitData("130725", "Shangyi County", "尚义县", "张家口 Zhangjiakou", "河北 Hebei"),
    UnitData("130728", "Huai'an County", "怀安县", "张家口 Zhangjiakou", "河北 Hebei"),
    UnitData("130708", "Wanquan District", "万全区", "张家口 Zhangjiakou", "河北 Hebei"),
)


def check_code(code: str) -> str:
    code = code.strip()
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        raise InvalidInput(f"a unit code is six digits (GB/T 2260), not {code!r}")
    return code


@dataclass
class Liaison:
    name: str
    phone: str
    email: str
    since: date
    until: date | None = None


class Jurisdiction(Aggregate):
    class Event(JointEvent):
        pass

    class Registered(JointCreated, Event):
        code: str
        name: str
        name_zh: str
        city: str
        province: str
        valid_from: date

        def apply(self, unit: Jurisdiction) -> None:
            unit.code = self.code
            unit.name = self.name
            unit.name_zh = self.name_zh
            unit.city = self.city
            unit.province = self.province
            unit.valid_from = self.valid_from
            unit.valid_to = None
            unit.liaisons = []

    class LiaisonDesignated(Event):
        name: str
        phone: str
        email: str
        since: date

        def apply(self, unit: Jurisdiction) -> None:
            if unit.liaisons and unit.liaisons[-1].until is None:
                unit.liaisons[-1].until = self.since
            unit.liaisons.append(Liaison(self.name, self.phone, self.email, self.since))

    class ValidityEnded(Event):
        valid_to: date
        reason: str

        def apply(self, unit: Jurisdiction) -> None:
            unit.valid_to = self.valid_to

    code: str = field(init=False)
    name: str = field(init=False)
    name_zh: str = field(init=False)
    city: str = field(init=False)
    province: str = field(init=False)
    valid_from: date = field(init=False)
    valid_to: date | None = field(init=False)
    liaisons: list[Liaison] = field(init=False)

    @staticmethod
    def id_for(code: str) -> UUID:
        return uuid5(NAMESPACE, f"jurisdiction/{code}")

    @classmethod
    def register(cls, unit: UnitData, valid_from: date, ctx: Context) -> Jurisdiction:
        code = check_code(unit.code)
        return cls._create(
            cls.Registered,
            id=cls.id_for(code),
            code=code,
            name=required_text(unit.name, "a unit's name"),
            name_zh=unit.name_zh.strip(),
            city=unit.city.strip(),
            province=unit.province.strip(),
            valid_from=valid_from,
            **stamp(ctx),
        )

    def designate_liaison(
        self, name: str, phone: str, email: str, since: date, ctx: Context
    ) -> None:
        if self.valid_to is not None:
            raise JurisdictionEnded(f"unit {self.code} left the cooperation on {self.valid_to}")
        current = self.current_liaison
        if current is not None and since < current.since:
            raise InvalidInput(
                f"a new liaison cannot start ({since}) before the current one did ({current.since})"
            )
        self.trigger_event(
            self.LiaisonDesignated,
            name=required_text(name, "the liaison's name"),
            phone=phone.strip(),
            email=email.strip(),
            since=since,
            **stamp(ctx),
        )

    def end_validity(self, valid_to: date, reason: str, ctx: Context) -> None:
        if self.valid_to is not None:
            raise JurisdictionEnded(
                f"unit {self.code} already left the cooperation on {self.valid_to}"
            )
        if valid_to < self.valid_from:
            raise InvalidInput("a unit cannot leave before it joined")
        self.trigger_event(
            self.ValidityEnded,
            valid_to=valid_to,
            reason=required_text(reason, "a reason"),
            **stamp(ctx),
        )

    @property
    def current_liaison(self) -> Liaison | None:
        if self.liaisons and self.liaisons[-1].until is None:
            return self.liaisons[-1]
        return None

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def public_state(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "name_zh": self.name_zh,
            "city": self.city,
            "province": self.province,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "liaison": vars(self.current_liaison).copy() if self.current_liaison else None,
            "liaison_history": [vars(x).copy() for x in self.liaisons],
            "version": self.version,
        }


class JurisdictionRegistry(Aggregate):
    """The list of unit codes, so that all units can be listed (one aggregate, fixed id)."""

    ID = uuid5(NAMESPACE, "jurisdiction-registry")

    class Event(JointEvent):
        pass

    class Started(JointCreated, Event):
        def apply(self, registry: JurisdictionRegistry) -> None:
            registry.codes = []

    class CodeAdded(Event):
        code: str

        def apply(self, registry: JurisdictionRegistry) -> None:
            registry.codes.append(self.code)

    codes: list[str] = field(init=False)

    @classmethod
    def start(cls, ctx: Context) -> JurisdictionRegistry:
        return cls._create(cls.Started, id=cls.ID, **stamp(ctx))

    def add(self, code: str, ctx: Context) -> None:
        self.trigger_event(self.CodeAdded, code=code, **stamp(ctx))


class CaseNumberSequence(Aggregate):
    """Issues case numbers per county and year. It is saved in the same transaction as the case it
    numbers, so two cases opened at the same moment can never share a number and no number is
    skipped: the loser of a race retries with the next one."""

    class Event(JointEvent):
        pass

    class Started(JointCreated, Event):
        county: str
        year: int

        def apply(self, seq: CaseNumberSequence) -> None:
            seq.county = self.county
            seq.year = self.year
            seq.last = 0

    class NumberIssued(Event):
        sequence: int
        number: str
        case_id: UUID

        def apply(self, seq: CaseNumberSequence) -> None:
            seq.last = self.sequence

    county: str = field(init=False)
    year: int = field(init=False)
    last: int = field(init=False)

    @staticmethod
    def id_for(county: str, year: int) -> UUID:
        return uuid5(NAMESPACE, f"case-numbers/{county}/{year}")

    @classmethod
    def start(cls, county: str, year: int, ctx: Context) -> CaseNumberSequence:
        return cls._create(
            cls.Started, id=cls.id_for(county, year), county=county, year=year, **stamp(ctx)
        )

    def issue(self, case_id: UUID, ctx: Context) -> str:
        sequence = self.last + 1
        number = f"{self.county}-{self.year}-{sequence:04d}"
        self.trigger_event(
            self.NumberIssued, sequence=sequence, number=number, case_id=case_id, **stamp(ctx)
        )
        return number
