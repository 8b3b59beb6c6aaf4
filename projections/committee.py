"""What the reward committee reads: the contribution ledger (append-only, one row per
contribution, attributed to county, officer, case or lead, and kind) with the links that
attribute leads to cases and absorbed cases to survivors; rewards, findings, joint operations,
meetings, price inspections and bulletin issues as lists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
import psycopg

from domain.reward_proposal import Contribution
from projections.base import Batch, BatchProjection, View, clean


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


class CommitteeView(View):
    name = "committee"
    tables = (
        "contributions",
        "contribution_links",
        "rewards",
        "findings",
        "operations",
        "meetings",
        "price_inspections",
        "bulletin_issues",
    )
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
        """CREATE TABLE IF NOT EXISTS rewards (
            reward_id uuid PRIMARY KEY,
            case_id uuid NOT NULL,
            case_number text NOT NULL,
            claimant_county text NOT NULL,
            status text NOT NULL,
            total numeric(16, 2),
            updated_at timestamptz NOT NULL
        )""",
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
        """CREATE TABLE IF NOT EXISTS meetings (
            meeting_id uuid PRIMARY KEY,
            held_on date NOT NULL,
            host text NOT NULL,
            attendees text[] NOT NULL,
            minutes text NOT NULL,
            decisions jsonb NOT NULL,
            recorded_at timestamptz NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS price_inspections (
            inspection_id uuid PRIMARY KEY,
            inspecting_county text NOT NULL,
            inspected_county text NOT NULL,
            area text NOT NULL,
            group_name text NOT NULL,
            brand text NOT NULL,
            agreed_price numeric(12, 2) NOT NULL,
            observed_price numeric(12, 2) NOT NULL,
            inspected_at timestamptz NOT NULL,
            note text NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS bulletin_issues (
            county text NOT NULL,
            year integer NOT NULL,
            quarter integer NOT NULL,
            as_of_position bigint NOT NULL,
            sha256 text NOT NULL,
            issued_at timestamptz NOT NULL,
            PRIMARY KEY (county, year, quarter)
        )""",
    )

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        """Contributions (most of what this view writes) are copied in one COPY per batch;
        the rest run as statements in order."""
        contributions: list[tuple[Any, ...]] = []
        with cursor.connection.pipeline():
            for event, tracking, _ in batch:
                kind = type(event).__qualname__
                contribution = CONTRIBUTION_KINDS.get(kind)
                if contribution is not None:
                    contributions.append(
                        _contribution_row(event, tracking.notification_id, contribution)
                    )
                    continue
                handler = HANDLERS.get(kind)
                if handler is not None:
                    for sql, params in handler(event, tracking.notification_id):
                        cursor.execute(sql, clean(params))
        if contributions:
            with cursor.copy(
                "COPY contributions (position, kind, county, officer_id, case_id, lead_id,"
                " recorded_at, sticks, value) FROM STDIN"
            ) as copy:
                for row in contributions:
                    copy.write_row(row)

    # --- the ledger ------------------------------------------------------------------------------
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
        cases, leads = self.family(case_id, as_of)
        return self.query(
            "SELECT position, kind, county, officer_id, case_id, lead_id, recorded_at, sticks,"
            " value FROM contributions WHERE position <= %s"
            " AND (case_id = ANY(%s) OR lead_id = ANY(%s)) ORDER BY position, kind",
            (as_of, list(cases), list(leads)),
        )

    def county_ledger(self, county: str, after: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        return self.query(
            "SELECT position, kind, county, officer_id, case_id, lead_id, recorded_at, sticks,"
            " value FROM contributions WHERE county = %s AND position > %s"
            " ORDER BY position, kind LIMIT %s",
            (county, after, limit),
        )


def as_contributions(rows: list[dict[str, Any]]) -> list[Contribution]:
    return [
        Contribution(
            position=r["position"],
            kind=r["kind"],
            county=r["county"],
            officer_id=r["officer_id"],
            case_id=r["case_id"],
            lead_id=r["lead_id"],
        )
        for r in rows
    ]


def case_value(rows: list[dict[str, Any]]) -> Decimal:
    return sum((r["value"] for r in rows if r["kind"] == "seizure_made"), Decimal(0))


Statement = tuple[str, tuple[Any, ...]]


CONTRIBUTION_KINDS: dict[str, tuple[str, bool]] = {  # event -> (kind, about a case?)
    "Lead.Registered": ("lead_registered", False),
    "Lead.Referred": ("lead_referred", False),
    "Lead.Corroborated": ("lead_corroborated", False),
    "Case.Opened": ("case_led", True),
    "Case.CoHandlerJoined": ("case_co_handled", True),
    "Case.AssistanceAnswered": ("assistance_answered", True),
    "Case.SeizureRecorded": ("seizure_made", True),
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


def _link(kind: str, to_attr: str) -> Any:
    def handler(e: Any, position: int) -> list[Statement]:
        return [
            (
                "INSERT INTO contribution_links VALUES (%s, %s, %s, %s)",
                (position, kind, e.originator_id, getattr(e, to_attr)),
            )
        ]

    return handler


def _reward(status: str) -> Any:
    def handler(e: Any, position: int) -> list[Statement]:
        if status == "claimed":
            return [
                (
                    "INSERT INTO rewards VALUES (%s, %s, %s, %s, 'claimed', NULL, %s)",
                    (e.originator_id, e.case_id, e.case_number, e.claimant_county, e.timestamp),
                )
            ]
        total = getattr(e, "total", None)
        return [
            (
                "UPDATE rewards SET status = %s, total = coalesce(%s, total), updated_at = %s"
                " WHERE reward_id = %s",
                (status, total, e.timestamp, e.originator_id),
            )
        ]

    return handler


def _finding(e: Any, position: int) -> list[Statement]:
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


def _decision(e: Any, position: int) -> list[Statement]:
    return [
        (
            "UPDATE findings SET decision = %s, decided_at = %s WHERE finding_id = %s",
            (e.decision, e.timestamp, e.originator_id),
        )
    ]


def _operation(e: Any, position: int) -> list[Statement]:
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


def _meeting(e: Any, position: int) -> list[Statement]:
    return [
        (
            "INSERT INTO meetings VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.held_on,
                e.host,
                e.attendees,
                e.minutes,
                _json(e.decisions),
                e.timestamp,
            ),
        )
    ]


def _inspection(e: Any, position: int) -> list[Statement]:
    return [
        (
            "INSERT INTO price_inspections VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.inspecting_county,
                e.inspected_county,
                e.area,
                e.group_name,
                e.brand,
                e.agreed_price,
                e.observed_price,
                e.inspected_at,
                e.note,
            ),
        )
    ]


def _bulletin(e: Any, position: int) -> list[Statement]:
    return [
        (
            "INSERT INTO bulletin_issues VALUES (%s, %s, %s, %s, %s, %s)",
            (e.county, e.year, e.quarter, e.as_of_position, e.sha256, e.timestamp),
        )
    ]


HANDLERS = {
    "Lead.ConvertedToCase": _link("converted", "case_id"),
    "Case.MergedInto": _link("merged", "survivor_id"),
    "Case.MergeReversed": _link("unmerged", "survivor_id"),
    "Reward.ClaimFiled": _reward("claimed"),
    "Reward.ProposalComputed": _reward("proposed"),
    "Reward.Approved": _reward("approved"),
    "Reward.Adjusted": _reward("approved"),
    "Reward.PaymentRecorded": _reward("paid"),
    "Finding.Recorded": _finding,
    "Finding.DecisionRecorded": _decision,
    "JointOperation.Planned": _operation,
    "JointOperation.CaseAttached": _attached,
    "JointOperation.Concluded": _concluded,
    "JointMeeting.Held": _meeting,
    "PriceInspection.Recorded": _inspection,
    "BulletinIssue.Issued": _bulletin,
}


class CommitteeProjection(BatchProjection):
    name = "committee"
