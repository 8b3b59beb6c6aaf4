"""Shapes every response shares: times in UTC, the acting officer, the answer of a write."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from projections.search_text import COUNT_CAP, MATCH_CAP


def utc_text(moment: datetime) -> str:
    """The one way the API writes a moment: ISO 8601 in UTC with ``Z`` (a time without a zone
    is the library's UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _moment(value: object) -> object:
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


#: A moment in a response: always ISO 8601 in UTC, like ``2026-03-02T02:00:00Z``.
UtcTime = Annotated[
    datetime,
    BeforeValidator(_moment),
    PlainSerializer(utc_text, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-03-02T02:00:00Z"]}),
]


class Public(BaseModel):
    """A response shape: built from what the use case or view query returned."""

    model_config = ConfigDict(from_attributes=True)


class MatchPagePublic(Public):
    """A page of a list or search: how many match (counted up to a cap), and where the page is."""

    total: int = Field(
        description=f"How many match, counted up to {COUNT_CAP:,} ({MATCH_CAP:,} for a list"
        " searched with free text, `q`): when more match, the cap, and `more` is true."
    )
    more: bool = Field(
        description="More match than `total`: narrow the list; paging (`offset`) still"
        " reaches every match."
    )
    limit: int
    offset: int


class ActorPublic(Public):
    """Who did it: the officer, their county and their role."""

    officer_id: str
    county: str
    role: str


class WriteResult(BaseModel):
    """What every write returns: the record's id, its new version (also the ETag) and the log
    position of the last event recorded (for `wait_for=` on the read models); some writes add
    details (the case number, the seizure or request id, a merge's state, police advice)."""

    id: UUID
    version: int
    position: int
    number: str | None = None
    seizure_id: UUID | None = None
    request_id: UUID | None = None
    merged: bool | None = None
    awaiting: list[str] | None = None
    survivor_id: UUID | None = None
    advice: list[str] | None = None
    informant_ref: str | None = None
    model_config = ConfigDict(extra="allow")
