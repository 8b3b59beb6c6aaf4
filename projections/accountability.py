"""Finding breaches of deadlines (问责) in the read models: referrals not acknowledged in time,
accepted leads without feedback in time, assistance requests not answered in time, quarterly
bulletins not issued. Each candidate cites its evidence: the exact events (by log position) that
opened the item, for the referral or request it names, and the late answer if any, as the
workspace recorded them; the deadline; and the position it was found at. ``DeadlineBreaches`` is what the findings scan
use case reads them through (the ``BreachFinder`` port)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from domain.accountability import ENDED_BY_OTHERS, deadline_breach
from projections.bulletins import Quarter
from projections.registry import Views

KIND_OF_ITEM = {  # workspace item -> (finding kind, the event that opened the item, its id's name)
    "acknowledge_referral": ("referral_not_acknowledged", "Lead.Referred", "referral_id"),
    "give_feedback": ("feedback_not_given", "Lead.ReferralAccepted", "referral_id"),
    "answer_assistance": ("assistance_not_answered", "Case.AssistanceRequested", "request_id"),
}


#: A referral's findings keep the subject they had when a lead had one item per county (so a
#: breach recorded then is not recorded again after a rebuild): the deadline tells referrals apart.
SUBJECT_PREFIX = {"acknowledge_referral": "ack", "give_feedback": "feedback"}


def _subject(item: dict[str, Any]) -> str:
    prefix = SUBJECT_PREFIX.get(item["kind"])
    key = f"{prefix}:{item['lead_id']}:{item['county']}" if prefix else item["item_id"]
    return f"{key}@{item['due_at'].isoformat()}"


def _evidence(item: dict[str, Any], event_type: str, id_name: str) -> list[dict[str, Any]]:
    """The exact events of this item, by position: the one that opened it (for the referral or
    request it names) and the late answer if any, or what ended it otherwise (a withdrawal, the
    lead closed: not the county's answer); and the deadline it missed."""
    aggregate = item["lead_id"] or item["case_id"]
    late = ended = None
    if item["done_at"] is not None:
        done = {
            "position": item["done_position"],
            "event_type": item["done_event"],
            "recorded_at": item["done_at"].isoformat(),
        }
        if item["outcome"] in ENDED_BY_OTHERS:
            ended = {**done, "outcome": item["outcome"], "county": item["from_county"]}
        else:
            late = {**done, "county": item["county"]}
    return [
        {
            "position": item["opened_position"],
            "event_type": event_type,
            "aggregate_id": str(aggregate),
            id_name: str(item["ref_id"]) if item["ref_id"] else None,
            "recorded_at": item["created_at"].isoformat(),
            "county": item["from_county"],
        },
        {
            "deadline": item["due_at"].isoformat(),
            "done_at": item["done_at"].isoformat() if item["done_at"] else None,
            "late_answer": late,
            **({"ended_by": ended} if ended else {}),
        },
    ]


def scan(
    views: Views,
    codes: list[str],
    now: datetime,
    tz: tzinfo,
    grace_days: int,
    since: datetime,
) -> tuple[int, list[dict[str, Any]]]:
    """(the position scanned at, candidate findings). Which items are breaches, and how, is the
    domain's rule (``domain.accountability.deadline_breach``)."""
    position = min(
        views.workspace.position(), views.audit.position(), views.bulletin_issues.position()
    )
    items = views.workspace.query(
        "SELECT item_id, county, kind, lead_id, case_id, from_county, title, created_at, due_at,"
        " done_at, outcome, ref_id, opened_position, done_position, done_event"
        " FROM workspace_items WHERE kind = ANY(%s) AND due_at < %s"
        " AND (done_at IS NULL OR done_at > due_at) ORDER BY due_at",
        (list(KIND_OF_ITEM), now),
    )
    candidates = []
    for item in items:
        late = deadline_breach(item["due_at"], item["done_at"], item["outcome"], now)
        if late is None:
            continue
        kind, event_type, id_name = KIND_OF_ITEM[item["kind"]]
        candidates.append(
            {
                "kind": kind,
                "county": item["county"],
                "subject": _subject(item),
                "deadline": item["due_at"],
                "found_at_position": position,
                "evidence": _evidence(item, event_type, id_name),
                "detail": f"{item['kind'].replace('_', ' ')} for {item['title'] or item['item_id']}"
                f" (from {item['from_county']}): {late}",
            }
        )
    issued = views.bulletin_issues.issued_quarters()
    local_now = now.astimezone(tz)
    quarter = Quarter(local_now.year, (local_now.month - 1) // 3 + 1)
    for _ in range(8):  # the last two years at most
        quarter = (
            Quarter(quarter.year - 1, 4)
            if quarter.quarter == 1
            else Quarter(quarter.year, quarter.quarter - 1)
        )
        _, end = quarter.bounds(tz)
        if end <= since:  # the quarter ended before anything was recorded
            break
        deadline = end + timedelta(days=grace_days)
        if deadline > now:
            continue
        for county in codes:
            if (county, quarter.year, quarter.quarter) in issued:
                continue
            candidates.append(
                {
                    "kind": "bulletin_not_issued",
                    "county": county,
                    "subject": f"{county}/{quarter}",
                    "deadline": deadline,
                    "found_at_position": position,
                    "evidence": [{"quarter": str(quarter), "deadline": deadline.isoformat()}],
                    "detail": f"no bulletin issued for {quarter} by {deadline.date()}",
                }
            )
    return position, candidates


@dataclass(frozen=True)
class DeadlineBreaches:
    """The ``BreachFinder`` port: the scan over the read models, with the bulletins' grace
    period from the settings; quarters that ended before the first recorded event are skipped."""

    views: Views
    grace_days: int

    def scan(
        self, now: datetime, counties: list[str], tz: tzinfo
    ) -> tuple[int, list[dict[str, Any]]]:
        first = self.views.audit.query("SELECT min(recorded_at) AS t FROM audit_events")[0]["t"]
        return scan(self.views, counties, now, tz, self.grace_days, first or now)
