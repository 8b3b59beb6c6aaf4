"""Value objects of the domain: who acts, when, and the vocabulary of leads, cases and seizures."""

from __future__ import annotations

import base64
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum, StrEnum
from typing import Any, get_type_hints

from eventsourcing.persistence import Transcoding

from domain.errors import InvalidInput, NonPositiveQuantity


class Role(StrEnum):
    OFFICER = "officer"
    LIAISON = "liaison"
    AUDITOR = "auditor"
    COMMITTEE = "committee"
    ADMIN = "admin"


#: Roles that may record enforcement events (auditors and the committee only read here).
WRITER_ROLES = frozenset({Role.OFFICER, Role.LIAISON, Role.ADMIN})
#: Roles of the owning county allowed to read an informant's identity.
INFORMANT_READER_ROLES = frozenset({Role.OFFICER, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    """The acting officer, as recorded on every event."""

    officer_id: str
    county: str
    role: Role

    def __post_init__(self) -> None:
        if not self.officer_id:
            raise InvalidInput("an actor needs an officer id")
        object.__setattr__(self, "role", Role(self.role))


@dataclass(frozen=True)
class Context:
    """Who acts, the server's recorded time, and the correlation id of the request causing it."""

    actor: Actor
    at: datetime
    correlation_id: str

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InvalidInput("recorded time must be timezone-aware")


class LeadSource(StrEnum):
    TIP_OFF = "tip_off"  # 举报
    MARKET_INSPECTION = "market_inspection"  # 市场检查
    PARCEL_SCREENING = "parcel_screening"  # 物流寄递
    ONLINE = "online"  # 互联网
    BUREAU_NOTICE = "bureau_notice"  # 兄弟单位通报


class LeadStatus(StrEnum):
    OPEN = "open"
    CONVERTED = "converted"
    CLOSED = "closed"


class LeadClosure(StrEnum):
    UNFOUNDED = "unfounded"  # 查无实据
    DUPLICATE = "duplicate"
    MERGED = "merged"  # merged into another lead


class ReferralStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class CorroborationResult(StrEnum):
    SEEN = "seen"
    NOT_FOUND = "not_found"


class CaseType(StrEnum):
    COUNTERFEIT = "counterfeit"  # 假冒
    SMUGGLED = "smuggled"  # 走私
    ILLEGAL_CIRCULATION = "illegal_circulation"  # 真烟非法流通
    UNLICENSED = "unlicensed"  # 无证经营
    ONLINE_PARCEL = "online_parcel"  # 互联网+物流寄递
    OTHER = "other"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    MERGED = "merged"


class CaseOutcome(StrEnum):
    PENALTY = "penalty"
    CONFISCATION = "confiscation"
    REFERRED = "referred"
    UNFOUNDED = "unfounded"


class PriceBasis(StrEnum):
    PROVINCIAL = "provincial"  # 省级价格
    NATIONAL = "national"
    ACTUAL_SALE = "actual_sale"


class Disposition(StrEnum):
    """Whether seized goods were unsold stock or evidence of completed sales (matters for thresholds)."""

    UNSOLD = "unsold"
    SOLD = "sold"


class CoHandlerStatus(StrEnum):
    INVITED = "invited"
    JOINED = "joined"
    DECLINED = "declined"


# --- quantities --------------------------------------------------------------------------------
class QuantityUnit(StrEnum):
    STICK = "stick"  # 支
    PACK = "pack"  # 包 = 20支
    CARTON = "carton"  # 条 = 200支
    PIECE = "piece"  # 件 = 50条
    CASE = "case"  # 箱 = 5件


#: No seizure is larger than this (20 million cases): keeps totals within 64-bit integers.
MAX_STICKS = 10**12

STICKS_PER_UNIT: dict[QuantityUnit, int] = {
    QuantityUnit.STICK: 1,
    QuantityUnit.PACK: 20,
    QuantityUnit.CARTON: 200,
    QuantityUnit.PIECE: 10_000,
    QuantityUnit.CASE: 50_000,
}


def to_sticks(amount: Decimal | int | str, unit: QuantityUnit | str) -> int:
    """Converts a quantity in any unit to whole sticks (支); refuses non-positive or fractional sticks."""
    try:
        value = Decimal(str(amount))
        unit = QuantityUnit(unit)
        sticks = value * STICKS_PER_UNIT[unit]
    except (ArithmeticError, ValueError) as e:
        raise InvalidInput(f"not a quantity: {amount!r} {unit!r}") from e
    if not sticks.is_finite() or sticks != sticks.to_integral_value():
        raise InvalidInput(f"{amount} {unit} is not a whole number of sticks")
    if sticks <= 0:
        raise NonPositiveQuantity(f"quantities must be positive: got {amount} {unit}")
    if sticks > MAX_STICKS:
        raise InvalidInput(f"{amount} {unit} is more than any seizure ({MAX_STICKS:,} sticks)")
    return int(sticks)


def describe_sticks(sticks: int) -> dict[str, Any]:
    """Shows a stick count in both 支 and 箱 (cases of 50,000)."""
    return {"sticks": sticks, "cases": str((Decimal(sticks) / 50_000).quantize(Decimal("0.0001")))}


CENT = Decimal("0.01")


def required_text(text: str, what: str) -> str:
    """The text without surrounding blanks; refused when nothing is left."""
    text = text.strip()
    if not text:
        raise InvalidInput(f"{what} must not be empty")
    return text


def to_money(amount: Decimal | int | str, *, allow_zero: bool = True) -> Decimal:
    """Money in yuan, as Decimal rounded to the fen; never a float, never negative."""
    if isinstance(amount, float):
        raise InvalidInput("money must be given as a decimal string, not a float")
    try:
        value = Decimal(str(amount))
    except InvalidOperation as e:
        raise InvalidInput(f"not an amount of money: {amount!r}") from e
    if not value.is_finite():
        raise InvalidInput(f"not an amount of money: {amount!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise NonPositiveQuantity(f"amounts of money must be positive: got {amount}")
    try:
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as e:
        raise InvalidInput(f"not an amount of money: {amount!r}") from e


# --- stored-event transcodings for the value objects -------------------------------------------
class ActorAsDict(Transcoding):
    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, str]:
        return {"officer_id": obj.officer_id, "county": obj.county, "role": str(obj.role)}

    def decode(self, data: dict[str, str]) -> Actor:
        return Actor(officer_id=data["officer_id"], county=data["county"], role=Role(data["role"]))


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class DataclassAsDict(Transcoding):
    """Stores a state dataclass (a referral, a seizure...) inside snapshots; enum fields come
    back as their enum, so a snapshot restores exactly the state that replay would build."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"state:{cls.__qualname__}"
        self._enums = {
            name: hint
            for name, hint in get_type_hints(cls).items()
            if isinstance(hint, type) and issubclass(hint, Enum)
        }

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        for name, enum in self._enums.items():
            if data.get(name) is not None:
                data[name] = enum(data[name])
        return self.type(**data)


class IdSet(set[str]):
    """A set of ids (UUIDs as 32 hex digits) that a snapshot stores compactly: a case's seizure
    ids, which can run to thousands."""


class IdSetAsText(Transcoding):
    """Stores an ``IdSet`` as one base64 text of the ids' 16 bytes each, in sorted order (22
    characters an id instead of a quoted string of 38): a snapshot stays small and decodes fast."""

    type = IdSet
    name = "id_set"

    def encode(self, obj: IdSet) -> str:
        return base64.b64encode(bytes.fromhex("".join(sorted(obj)))).decode("ascii")

    def decode(self, data: str) -> IdSet:
        return IdSet(base64.b64decode(data).hex(" ", 16).split())
