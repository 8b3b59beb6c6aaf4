"""The contribution ledger (贡献台账): append-only, one row per contribution derived from an
event, attributed to county, officer, case or lead, and kind; with the links that attribute
leads to cases and absorbed cases to their survivors. The reward use cases read it through the
``ContributionLedger`` port."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from domain.access import ledger_county
from domain.contributions import Contribution, corroboration_kind
from domain.values import Actor
from projections.base import Batch, BatchProjection, View, clean
from projections.statements import Statement

COLUMNS = "position, kind, county, officer_id, case_id, lead_id, recorded_at, sticks, value"
#: How the COPY writes each column (given once: psycopg otherwise looks up a dumper per value).
COPY_TYPES = ("int8", "text", "text", "text", "uuid", "uuid", "timestamptz", "int8", "numeric")

CONTRIBUTION_KINDS: dict[str, tuple[str, bool]] = {  # event -> (kind, about a case?)
    "Lead.Registered": ("lead_registered", False),
    "Lead.Referred": ("lead_referred", False),
    "Lead.Corroborated": ("lead_corroborated", False),
    "Case.Opened": ("case_led", True),
    "Case.CoHandlerJoined": ("case_co_handled", True),
    "Case.AssistanceAnswered": ("assistance_answered", True),
    "Case.SeizureRecorded": ("seizure_made", True),
}

LINK_KINDS: dict[str, tuple[str, str]] = {  # event -> (link kind, attribute naming the target)
    "Lead.ConvertedToCase": ("converted", "case_id"),
    "Case.MergedInto": ("merged", "survivor_id"),
    "Case.MergeReversed": ("unmerged", "survivor_id"),
}


class ContributionsView(View):
    name = "contributions"
    tables = ("contributions", "contribution_links")
    ddl = (
        """CREATE TABLE IF NOT EXISTS contributions (
            position bigint NOT NULL,
            kind text NOT NULL,
            county text NOT NULL,
            officer_id text NOT NULL,
            case_id uuid,
            lead_id uuid,
            recorded_at timestamptz NOT NULL,
            sticks bigint,
            value numeric(16, 2),
            PRIMARY KEY (position, kind)
        )""",
        "CREATE INDEX IF NOT EXISTS contributions_case ON contributions (case_id, position)",
        "CREATE INDEX IF NOT EXISTS contributions_lead ON contributions (lead_id, position)",
        "CREATE INDEX IF NOT EXISTS contributions_county ON contributions (county, position)",
        """CREATE TABLE IF NOT EXISTS contribution_links (
            position bigint NOT NULL,
            kind text NOT NULL,
            from_id uuid NOT NULL,
            to_id uuid NOT NULL,
            PRIMARY KEY (position, from_id)
        )""",
        "CREATE INDEX IF NOT EXISTS contribution_links_to ON contribution_links (to_id, kind)",
        "CREATE INDEX IF NOT EXISTS contribution_links_merges ON contribution_links (from_id, position)"
        " WHERE kind IN ('merged', 'unmerged')",
    )
    #: Read by the queries only (the rows are found by their key when applied).
    query_indexes = (
        "contributions_case",
        "contributions_lead",
        "contributions_county",
        "contribution_links_to",
        "contribution_links_merges",
    )

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        """Contributions (most of what this view writes) are copied in one COPY per batch; the
        links run as statements in order."""
        contributions: list[tuple[Any, ...]] = []
        with cursor.connection.pipeline():
            for event, tracking, _ in batch:
                kind = type(event).__qualname__
                contribution = CONTRIBUTION_KINDS.get(kind)
                if kind == "Lead.Corroborated":
                    contribution = (corroboration_kind(event.result), False)
                if contribution is not None:
                    contributions.append(
                        _contribution_row(event, tracking.notification_id, contribution)
                    )
                    continue
                link = LINK_KINDS.get(kind)
                if link is not None:
                    sql, params = _link_row(event, tracking.notification_id, link)
                    cursor.execute(sql, clean(params))
        if contributions:
            with cursor.copy(f"COPY contributions ({COLUMNS}) FROM STDIN") as copy:
                copy.set_types(COPY_TYPES)
                for row in contributions:
                    copy.write_row(row)

    # --- queries -----------------------------------------------------------------------------
    def family(self, case_id: UUID, as_of: int) -> tuple[set[UUID], set[UUID]]:
        """The case with every case merged into it as of a position (a merge reversed by then
        no longer counts), and the leads converted into any of them: (case ids, lead ids)."""
        rows = self.query(
            """WITH RECURSIVE latest AS (
                   SELECT DISTINCT ON (from_id) from_id, to_id, kind FROM contribution_links
                   WHERE position <= %(at)s AND kind IN ('merged', 'unmerged')
                   ORDER BY from_id, position DESC
               ), family(id) AS (
                   SELECT %(case)s::uuid
                   UNION
                   SELECT l.from_id FROM latest l JOIN family f ON l.to_id = f.id
                   WHERE l.kind = 'merged'
               )
               SELECT id, NULL::uuid AS lead FROM family
               UNION ALL
               SELECT NULL, c.from_id FROM contribution_links c
               WHERE c.kind = 'converted' AND c.position <= %(at)s
               AND c.to_id IN (SELECT id FROM family)""",
            {"at": as_of, "case": case_id},
        )
        cases = {r["id"] for r in rows if r["id"] is not None}
        leads = {r["lead"] for r in rows if r["lead"] is not None}
        return cases, leads

    def case_ledger(self, case_id: UUID, as_of: int) -> list[dict[str, Any]]:
        """The rows of the case's ledger (with the cases merged into it) as of a position."""
        cases, leads = self.family(case_id, as_of)
        return self.query(
            f"SELECT {COLUMNS} FROM contributions WHERE position <= %s"
            " AND (case_id = ANY(%s) OR lead_id = ANY(%s)) ORDER BY position, kind",
            (as_of, list(cases), list(leads)),
        )

    def contributions(self, case_id: UUID, as_of: int) -> list[Contribution]:
        """The case's ledger as the domain's contributions (the ``ContributionLedger`` port)."""
        return [Contribution(**row) for row in self.case_ledger(case_id, as_of)]

    def county_ledger(self, county: str, after: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        return self.query(
            f"SELECT {COLUMNS} FROM contributions WHERE county = %s AND position > %s"
            " ORDER BY position, kind LIMIT %s",
            (county, after, limit),
        )

    def county_ledger_for(
        self, viewer: Actor, county: str | None, after: int = 0, limit: int = 200
    ) -> dict[str, Any]:
        """A page of a county's ledger as the viewer may read it (its own, unless committee or
        auditor), after a position; ``next_after`` continues it."""
        county = ledger_county(viewer, county)
        rows = self.county_ledger(county, after, limit)
        return {
            "county": county,
            "items": rows,
            "next_after": rows[-1]["position"] if rows else after,
        }


def _contribution_row(e: Any, position: int, contribution: tuple[str, bool]) -> tuple[Any, ...]:
    kind, about_case = contribution
    return clean(
        (
            position,
            kind,
            e.actor.county,
            e.actor.officer_id,
            e.originator_id if about_case else None,
            None if about_case else e.originator_id,
            e.timestamp,
            getattr(e, "sticks", None),
            getattr(e, "value", None),
        )
    )


def _link_row(e: Any, position: int, link: tuple[str, str]) -> Statement:
    kind, to_attr = link
    return (
        "INSERT INTO contribution_links VALUES (%s, %s, %s, %s)",
        (position, kind, e.originator_id, getattr(e, to_attr)),
    )


class ContributionsProjection(BatchProjection):
    name = "contributions"
