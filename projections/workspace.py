"""County workspaces: what each county has to act on (referrals to acknowledge, accepted leads
awaiting feedback, assistance requests and co-handling invitations to answer, merges awaiting
its consent), with deadlines. Overdue is computed when asked, against the current time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from projections.base import Batch, BatchProjection, View, clean
from projections.cases import CaseSearchView


class WorkspaceView(View):
    name = "workspace"
    tables = ("workspace_items", "workspace_leads", "workspace_cases")
    ddl = (
        """CREATE TABLE IF NOT EXISTS workspace_leads (
            lead_id uuid PRIMARY KEY,
            owner_county text NOT NULL,
            summary text NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS workspace_cases (
            case_id uuid PRIMARY KEY,
            county text NOT NULL,
            number text NOT NULL,
            title text NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS workspace_items (
            item_id text PRIMARY KEY,
            county text NOT NULL,
            kind text NOT NULL,
            lead_id uuid,
            case_id uuid,
            from_county text,
            title text NOT NULL,
            created_at timestamptz NOT NULL,
            due_at timestamptz,
            done_at timestamptz,
            outcome text,
            ref_id uuid,
            opened_position bigint,
            done_position bigint,
            done_event text
        )""",
        # Columns added since (a workspace rebuild fills them for earlier events): the
        # referral or assistance request an item is about, and the exact events that opened
        # and closed it, for the evidence of findings.
        "ALTER TABLE workspace_items ADD COLUMN IF NOT EXISTS ref_id uuid",
        "ALTER TABLE workspace_items ADD COLUMN IF NOT EXISTS opened_position bigint",
        "ALTER TABLE workspace_items ADD COLUMN IF NOT EXISTS done_position bigint",
        "ALTER TABLE workspace_items ADD COLUMN IF NOT EXISTS done_event text",
        "CREATE INDEX IF NOT EXISTS workspace_open ON workspace_items (county, due_at)"
        " WHERE done_at IS NULL",
        "CREATE INDEX IF NOT EXISTS workspace_items_lead ON workspace_items (lead_id)"
        " WHERE lead_id IS NOT NULL",
    )
    #: Read by the queries only (``apply`` finds items by their id, or by their lead).
    query_indexes = ("workspace_open",)

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        with cursor.connection.pipeline():
            for event, tracking, _ in batch:
                handler = HANDLERS.get(type(event).__qualname__)
                if handler is not None:
                    for sql, params in handler(event, tracking.notification_id):
                        cursor.execute(sql, clean(params))

    def items(
        self, county: str, now: datetime, include_done: bool = False, limit: int = 200
    ) -> list[dict[str, Any]]:
        """The county's items, soonest deadline first (at most ``limit``)."""
        return self.query(
            "SELECT item_id, kind, lead_id, case_id, from_county, title, created_at, due_at,"
            " done_at, outcome, (done_at IS NULL AND due_at < %(now)s) AS overdue"
            " FROM workspace_items WHERE county = %(county)s AND kind <> 'feedback_deadline'"
            + ("" if include_done else " AND done_at IS NULL")
            + " ORDER BY due_at NULLS LAST, created_at LIMIT %(limit)s",
            {"county": county, "now": now, "limit": limit},
        )

    def counts(self, county: str, now: datetime) -> dict[str, int]:
        row = self.query(
            "SELECT count(*) AS open, count(*) FILTER (WHERE due_at < %(now)s) AS overdue"
            " FROM workspace_items WHERE county = %(county)s AND done_at IS NULL"
            " AND kind <> 'feedback_deadline'",
            {"county": county, "now": now},
        )[0]
        return {"open": row["open"], "overdue": row["overdue"]}


def _open(
    item_id: str,
    county: str,
    kind: str,
    e: Any,
    position: int,
    title_sql: str,
    title_param: Any,
    lead_id: Any = None,
    case_id: Any = None,
    due: Any = None,
    ref_id: Any = None,
) -> tuple[str, tuple[Any, ...]]:
    return (
        "INSERT INTO workspace_items (item_id, county, kind, lead_id, case_id, from_county, title,"
        f" created_at, due_at, ref_id, opened_position)"
        f" VALUES (%s, %s, %s, %s, %s, %s, {title_sql}, %s, %s, %s, %s)"
        " ON CONFLICT (item_id) DO NOTHING",
        (
            item_id,
            county,
            kind,
            lead_id,
            case_id,
            e.actor.county,
            title_param,
            e.timestamp,
            due,
            ref_id,
            position,
        ),
    )


def _close(item_id: str, e: Any, outcome: str, position: int) -> tuple[str, tuple[Any, ...]]:
    """Marks the item done by this event (its position and type are the evidence of when)."""
    return (
        "UPDATE workspace_items SET done_at = %s, outcome = %s, done_position = %s,"
        " done_event = %s WHERE item_id = %s AND done_at IS NULL",
        (e.timestamp, outcome, position, type(e).__qualname__, item_id),
    )


LEAD_TITLE = "coalesce((SELECT summary FROM workspace_leads WHERE lead_id = %s), '')"
CASE_TITLE = "coalesce((SELECT number || ' ' || title FROM workspace_cases WHERE case_id = %s), '')"


def _ack(referral_id: Any) -> str:
    """One acknowledgement item per referral (a re-referral to the same county is a new one)."""
    return f"ack:{referral_id}"


def _fb(referral_id: Any) -> str:
    return f"feedback:{referral_id}"


def _pending_fb(referral_id: Any) -> str:
    return f"pending-feedback:{referral_id}"


def _close_referral_item(
    kind: str, e: Any, county: str, outcome: str, position: int
) -> tuple[str, tuple[Any, ...]]:
    """Marks done the county's open item of this kind for the referral the event names (an
    event recorded before referral ids names none: the county's one open item on the lead)."""
    return (
        "UPDATE workspace_items SET done_at = %s, outcome = %s, done_position = %s,"
        " done_event = %s WHERE kind = %s AND lead_id = %s AND county = %s AND done_at IS NULL"
        " AND (%s::uuid IS NULL OR ref_id = %s::uuid)",
        (
            e.timestamp,
            outcome,
            position,
            type(e).__qualname__,
            kind,
            e.originator_id,
            county,
            e.referral_id,
            e.referral_id,
        ),
    )


def lead_registered(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [
        (
            "INSERT INTO workspace_leads VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (e.originator_id, e.county, e.summary),
        )
    ]


def case_opened(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [
        (
            "INSERT INTO workspace_cases VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (e.originator_id, e.county, e.number, e.title),
        )
    ]


def referred(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [
        _open(
            _ack(e.referral_id),
            e.to_county,
            "acknowledge_referral",
            e,
            position,
            LEAD_TITLE,
            e.originator_id,
            lead_id=e.originator_id,
            due=e.acknowledge_by,
            ref_id=e.referral_id,
        ),
        # The feedback deadline is known now; it becomes an item once the referral is accepted.
        (
            "INSERT INTO workspace_items (item_id, county, kind, lead_id, title, created_at, due_at,"
            " done_at, outcome, ref_id, opened_position)"
            " VALUES (%s, %s, 'feedback_deadline', %s, '', %s, %s, %s, 'pending', %s, %s)"
            " ON CONFLICT (item_id) DO NOTHING",
            (
                _pending_fb(e.referral_id),
                e.to_county,
                e.originator_id,
                e.timestamp,
                e.feedback_by,
                e.timestamp,
                e.referral_id,
                position,
            ),
        ),
    ]


def accepted(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    county = e.actor.county
    return [
        _close_referral_item("acknowledge_referral", e, county, "accepted", position),
        (
            "INSERT INTO workspace_items (item_id, county, kind, lead_id, from_county, title,"
            " created_at, due_at, ref_id, opened_position)"
            " SELECT 'feedback:' || p.ref_id, %s, 'give_feedback', %s, %s, "
            + LEAD_TITLE
            + ", %s, p.due_at, p.ref_id, %s FROM workspace_items p"
            " WHERE p.kind = 'feedback_deadline' AND p.lead_id = %s AND p.county = %s"
            " AND (%s::uuid IS NULL OR p.ref_id = %s::uuid)"
            " ORDER BY p.created_at DESC LIMIT 1 ON CONFLICT (item_id) DO NOTHING",
            (
                county,
                e.originator_id,
                e.from_county,
                e.originator_id,
                e.timestamp,
                position,
                e.originator_id,
                county,
                e.referral_id,
                e.referral_id,
            ),
        ),
    ]


def declined(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    county = e.actor.county
    return [_close_referral_item("acknowledge_referral", e, county, "declined", position)]


def withdrawn(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [_close_referral_item("acknowledge_referral", e, e.to_county, "withdrawn", position)]


def feedback(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [_close_referral_item("give_feedback", e, e.actor.county, "given", position)]


def lead_closed(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [
        (
            "UPDATE workspace_items SET done_at = %s, outcome = 'lead closed', done_position = %s,"
            " done_event = %s"
            " WHERE lead_id = %s AND done_at IS NULL AND kind = 'acknowledge_referral'",
            (e.timestamp, position, type(e).__qualname__, e.originator_id),
        )
    ]


def invited(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    item = f"invite:{e.originator_id}:{e.county}"
    return [
        ("DELETE FROM workspace_items WHERE item_id = %s", (item,)),
        _open(
            item,
            e.county,
            "answer_invitation",
            e,
            position,
            CASE_TITLE,
            e.originator_id,
            case_id=e.originator_id,
        ),
    ]


def invitation_answered(outcome: str) -> Any:
    def handler(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
        return [_close(f"invite:{e.originator_id}:{e.actor.county}", e, outcome, position)]

    return handler


def assistance_requested(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [
        _open(
            f"assist:{e.originator_id}:{e.request_id}",
            e.to_county,
            "answer_assistance",
            e,
            position,
            CASE_TITLE,
            e.originator_id,
            case_id=e.originator_id,
            due=e.due,
            ref_id=e.request_id,
        )
    ]


def assistance_answered(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [_close(f"assist:{e.originator_id}:{e.request_id}", e, "answered", position)]


def assistance_cancelled(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    """A cancelled request is dropped: nothing is left to do, and nothing is overdue."""
    return [
        (
            "DELETE FROM workspace_items WHERE item_id = %s",
            (f"assist:{e.originator_id}:{e.request_id}",),
        )
    ]


def merge_consent(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
    other = e.survivor_county if e.actor.county != e.survivor_county else None
    item = f"merge:{e.originator_id}:{e.survivor_id}"
    if other is None:  # the survivor's county consented first: the absorbed case's county acts
        return [
            (
                "INSERT INTO workspace_items (item_id, county, kind, case_id, from_county, title,"
                " created_at, opened_position) SELECT %s, county, 'consent_to_merge', %s, %s,"
                " number || ' ' || title, %s, %s FROM workspace_cases WHERE case_id = %s"
                " ON CONFLICT (item_id) DO NOTHING",
                (item, e.originator_id, e.actor.county, e.timestamp, position, e.originator_id),
            )
        ]
    return [
        _open(
            item,
            other,
            "consent_to_merge",
            e,
            position,
            CASE_TITLE,
            e.originator_id,
            case_id=e.originator_id,
        )
    ]


def merge_settled(outcome: str) -> Any:
    def handler(e: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
        return [_close(f"merge:{e.originator_id}:{e.survivor_id}", e, outcome, position)]

    return handler


HANDLERS = {
    "Lead.Registered": lead_registered,
    "Case.Opened": case_opened,
    "Lead.Referred": referred,
    "Lead.ReferralAccepted": accepted,
    "Lead.ReferralDeclined": declined,
    "Lead.ReferralWithdrawn": withdrawn,
    "Lead.FeedbackGiven": feedback,
    "Lead.Closed": lead_closed,
    "Case.CoHandlerInvited": invited,
    "Case.CoHandlerJoined": invitation_answered("accepted"),
    "Case.CoHandlerDeclined": invitation_answered("declined"),
    "Case.AssistanceRequested": assistance_requested,
    "Case.AssistanceAnswered": assistance_answered,
    "Case.AssistanceCancelled": assistance_cancelled,
    "Case.MergeConsentGiven": merge_consent,
    "Case.MergedInto": merge_settled("merged"),
    "Case.MergeProposalDeclined": merge_settled("declined"),
}


class WorkspaceProjection(BatchProjection):
    name = "workspace"


def county_workspace(
    workspace: WorkspaceView,
    cases: CaseSearchView,
    county: str,
    now: datetime,
    include_done: bool = False,
    limit: int = 200,
) -> dict[str, Any]:
    """A county's workspace: its items (soonest deadline first, at most ``limit``), how many are
    open and overdue against ``now``, and its open cases, led and co-handled."""
    counts = workspace.counts(county, now)
    _, led = cases.search(county=county, status="open", limit=100)
    return {
        "county": county,
        "as_of": now,
        "position": min(workspace.position(), cases.position()),
        "items": workspace.items(county, now, include_done, limit),
        "open": counts["open"],
        "overdue": counts["overdue"],
        "open_cases": {"lead": led, "co_handled": cases.co_handled(county)},
    }
