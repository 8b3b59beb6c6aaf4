"""Request bodies and response shapes of joint meetings (联席会议)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from api.schemas import NO_NUL, County, IsoDate, Text, example
from api.schemas.common import MatchPagePublic, UtcTime


class MeetingCreate(BaseModel):
    model_config = example(
        held_on="2026-04-02",
        attendees=["150924", "140221", "140222", "130725", "130728", "130708"],
        minutes="Q1 bulletins exchanged; spring operation planned.",
        decisions=["rotate the host to 天镇 next quarter"],
    )
    held_on: IsoDate
    attendees: list[County] = Field(min_length=1, max_length=20)
    minutes: Text
    decisions: list[Annotated[str, StringConstraints(max_length=1000, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=50
    )


class MeetingRow(BaseModel):
    meeting_id: UUID
    held_on: date
    host: str
    attendees: list[str]
    minutes: str
    decisions: list[str]
    recorded_at: UtcTime


class MeetingList(MatchPagePublic):
    items: list[MeetingRow]
