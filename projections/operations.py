"""The list of joint operations (集中整治行动) with their participants and attached cases, and
the summaries of attached cases their results roll up from."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.access import reads_all_committee_records
from domain.case_summary import SUMMARY_FIELDS, summary_row
from domain.values import Actor
from projections.base import BatchProjection
from projections.statements import Statement, StatementView


def _planned(e: Any, position: int) -> list[Statement]:
    return [
        (
            "INSERT INTO operations (operation_id, name, county, participants, starts_on, ends_on,"
            " recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.name,
                e.county,
                e.participants,
                e.starts_on,
                e.ends_on,
                e.timestamp,
            ),
        )
    ]


def _attached(e: Any, position: int) -> list[Statement]:
    return [
        (
            "UPDATE operations SET case_ids = array_append(case_ids, %s) WHERE operation_id = %s",
            (e.case_id, e.originator_id),
        )
    ]


def _concluded(e: Any, position: int) -> list[Statement]:
    return [("UPDATE operations SET concluded = true WHERE operation_id = %s", (e.originator_id,))]


class OperationsView(StatementView):
    name = "operations"
    tables = ("operations",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS operations (
            operation_id uuid PRIMARY KEY,
            name text NOT NULL,
            county text NOT NULL,
            participants text[] NOT NULL,
            starts_on date NOT NULL,
            ends_on date NOT NULL,
            case_ids uuid[] NOT NULL DEFAULT '{}',
            concluded boolean NOT NULL DEFAULT false,
            recorded_at timestamptz NOT NULL
        )""",
    )
    handlers = {
        "JointOperation.Planned": _planned,
        "JointOperation.CaseAttached": _attached,
        "JointOperation.Concluded": _concluded,
    }

    def list_for(
        self, viewer: Actor, *, limit: int = 50, offset: int = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of the operations the viewer may read (those its county takes part in),
        latest first; and how many (``page``)."""
        return self.page(
            "operations",
            "*",
            "%(all)s OR participants @> ARRAY[%(county)s]::text[]",
            "starts_on DESC, operation_id",
            {
                "all": reads_all_committee_records(viewer),
                "county": viewer.county,
                "limit": limit,
                "offset": offset,
            },
        )

    def summaries(self, case_ids: list[UUID]) -> list[dict[str, Any]]:
        """The summaries of the attached cases (``domain.case_summary.summary_row``), with
        whether each was referred to the police (an operation's result), by number (the
        ``CaseSummaries`` port)."""
        rows = self.query(
            f"SELECT case_id, {', '.join(SUMMARY_FIELDS)}, police_referred FROM case_search"
            " WHERE case_id = ANY(%s) ORDER BY number",
            (case_ids,),
        )
        return [{**summary_row(r), "police_referred": r["police_referred"]} for r in rows]


class OperationsProjection(BatchProjection):
    name = "operations"
