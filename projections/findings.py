"""The list of accountability findings (问责) and the committee's decisions on them."""

from __future__ import annotations

from typing import Any

from domain.access import findings_county
from domain.values import Actor
from projections.base import BatchProjection
from projections.statements import Statement, StatementView


def _recorded(e: Any, position: int) -> list[Statement]:
    return [
        (
            "INSERT INTO findings VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL)",
            (
                e.originator_id,
                e.kind,
                e.county,
                e.subject,
                e.deadline,
                e.timestamp,
                e.found_at_position,
                e.detail,
            ),
        )
    ]


def _decided(e: Any, position: int) -> list[Statement]:
    return [
        (
            "UPDATE findings SET decision = %s, decided_at = %s WHERE finding_id = %s",
            (e.decision, e.timestamp, e.originator_id),
        )
    ]


class FindingsView(StatementView):
    name = "findings"
    tables = ("findings",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS findings (
            finding_id uuid PRIMARY KEY,
            kind text NOT NULL,
            county text NOT NULL,
            subject text NOT NULL,
            deadline timestamptz NOT NULL,
            found_at timestamptz NOT NULL,
            found_at_position bigint NOT NULL,
            detail text NOT NULL,
            decision text,
            decided_at timestamptz
        )""",
        "CREATE INDEX IF NOT EXISTS findings_county ON findings (county, found_at)",
    )
    handlers = {"Finding.Recorded": _recorded, "Finding.DecisionRecorded": _decided}

    def list_for(
        self,
        viewer: Actor,
        county: str | None = None,
        undecided: bool = False,
        *,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of the findings the viewer may read (a county reads its own), of one county
        or all, optionally only those not decided yet, latest first; and how many (``page``)."""
        county = findings_county(viewer, county)
        return self.page(
            "findings",
            "*",
            "(%(county)s::text IS NULL OR county = %(county)s)"
            " AND (NOT %(undecided)s OR decision IS NULL)",
            "found_at DESC, finding_id",
            {"county": county, "undecided": undecided, "limit": limit, "offset": offset},
        )


class FindingsProjection(BatchProjection):
    name = "findings"
