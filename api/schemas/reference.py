"""What the API shows of reference data and of its own health."""

from __future__ import annotations

from datetime import date

from api.schemas.common import Public


class LiaisonPublic(Public):
    name: str
    phone: str
    email: str
    since: date
    until: date | None = None


class JurisdictionPublic(Public):
    code: str
    name: str
    name_zh: str
    city: str
    province: str
    valid_from: date
    valid_to: date | None
    liaison: LiaisonPublic | None
    liaison_history: list[LiaisonPublic]
    version: int


class JurisdictionListPublic(Public):
    items: list[JurisdictionPublic]


class LiaisonEntryPublic(Public):
    county: str
    unit: str
    current: LiaisonPublic | None
    history: list[LiaisonPublic]


class LiaisonDirectoryPublic(Public):
    items: list[LiaisonEntryPublic]


class HealthPublic(Public):
    status: str


class ViewLagPublic(Public):
    position: int
    lag: int


class ReadyPublic(Public):
    status: str
    last_position: int
    views: dict[str, ViewLagPublic]
