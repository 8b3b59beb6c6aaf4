"""The list of joint meetings (联席会议): date, host, attendees, minutes and decisions."""

from __future__ import annotations

from typing import Any

from domain.access import reads_all_committee_records
from domain.values import Actor
from projections.base import BatchProjection
from projections.statements import Statement, StatementView, as_json


def _held(e: Any, position: int) -> list[Statement]:
    return [
        (
            "INSERT INTO meetings VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.held_on,
                e.host,
                e.attendees,
                e.minutes,
                as_json(e.decisions),
                e.timestamp,
            ),
        )
    ]


class MeetingsView(StatementView):
    name = "meetings"
    tables = ("meetings",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS meetings (
            meeting_id uuid PRIMARY KEY,
            held_on date NOT NULL,
            host text NOT NULL,
            attendees text[] NOT NULL,
            minutes text NOT NULL,
            decisions jsonb NOT NULL,
            recorded_at timestamptz NOT NULL
        )""",
    )
    handlers = {"JointMeeting.Held": _held}

    def list_for(
        self, viewer: Actor, *, limit: int = 50, offset: int = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of the meetings the viewer may read (those its county attended), latest
        first; and how many (``page``)."""
        return self.page(
            "meetings",
            "*",
            "%(all)s OR attendees @> ARRAY[%(county)s]::text[]",
            "held_on DESC, meeting_id",
            {
                "all": reads_all_committee_records(viewer),
                "county": viewer.county,
                "limit": limit,
                "offset": offset,
            },
        )


class MeetingsProjection(BatchProjection):
    name = "meetings"
