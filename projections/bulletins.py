"""Quarterly bulletins (季度通报) per county, generated from the audit trail as of a fixed log
position: regenerating one later gives the same figures. No informant data is ever read for
them."""

from __future__ import annotations

from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from threading import Lock
from typing import Any

import orjson

from domain.values import CaseType, describe_sticks
from projections.audit import REFERRAL_ANSWERS_SQL, AuditView, sql_literals
from projections.bulletin_issues import BulletinIssuesView

TYPES = (
    "Lead.Referred",
    "Lead.ReferralAccepted",
    "Lead.ReferralDeclined",
    "Lead.ReferralWithdrawn",
    "Lead.FeedbackGiven",
    "Case.Opened",
    "Case.MergedInto",
    "Case.CaseAbsorbed",
    "Case.CoHandlerJoined",
    "Case.ReferredToPolice",
    "Case.SeizureRecorded",
    "JointOperation.Planned",
    "JointOperation.CaseAttached",
    "Finding.Recorded",
    "PriceInspection.Recorded",
)
CASE_TYPE_NAMES = {
    "counterfeit": "假冒 counterfeit",
    "smuggled": "走私 smuggled",
    "illegal_circulation": "真烟非法流通 illegal circulation",
    "unlicensed": "无证经营 unlicensed",
    "online_parcel": "互联网+物流寄递 online/parcel",
    "other": "其他 other",
}


@dataclass(frozen=True)
class Quarter:
    year: int
    quarter: int

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        start = datetime(self.year, 3 * self.quarter - 2, 1, tzinfo=tz)
        end = (
            datetime(self.year + 1, 1, 1, tzinfo=tz)
            if self.quarter == 4
            else datetime(self.year, 3 * self.quarter + 1, 1, tzinfo=tz)
        )
        return start, end

    def last_day(self, tz: tzinfo) -> date:
        from datetime import timedelta

        return (self.bounds(tz)[1] - timedelta(days=1)).date()

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter}"


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


#: Changes of a case counted when they happen in the quarter to a case of the county (or, for
#: joint handling, by the county).
CASE_CHANGES = (
    "Case.MergedInto",
    "Case.CaseAbsorbed",
    "Case.CoHandlerJoined",
    "Case.ReferredToPolice",
)


#: Whether a case was opened by the county (its opening, ``audit_events_openings``).
_OWN = """EXISTS (SELECT 1 FROM audit_events o WHERE o.event_type = 'Case.Opened'
    AND o.aggregate_id = q.aggregate_id AND o.subject_county = %(county)s)"""
#: The county's case figures: the cases it opened in the quarter and the quarter's changes of
#: its cases (joint handling also when the county joined another's case), counted from the
#: indexes alone (``audit_events_quarter``, ``audit_events_openings``).
_CASES = f"""
SELECT count(*) FILTER (WHERE event_type = 'Case.Opened') AS opened,
  count(*) FILTER (WHERE event_type = 'Case.MergedInto' AND {_OWN}) AS merged_into_other_cases,
  count(*) FILTER (WHERE event_type = 'Case.CaseAbsorbed' AND {_OWN}) AS other_cases_merged_in,
  count(DISTINCT aggregate_id) FILTER (WHERE event_type = 'Case.CoHandlerJoined'
    AND (county = %(county)s OR {_OWN})) AS jointly_handled,
  count(*) FILTER (WHERE event_type = 'Case.ReferredToPolice' AND {_OWN}) AS referred_to_police
FROM audit_events q
WHERE event_type IN ({sql_literals(("Case.Opened", *CASE_CHANGES))})
  AND recorded_at >= %(start)s AND recorded_at < %(end)s AND position <= %(as_of)s
  AND (event_type <> 'Case.Opened' OR subject_county = %(county)s)"""
#: The county's seizures in the quarter by the type of their case (from its opening; "other"
#: for a case without one), summed from the indexes alone (``audit_events_seizures``); each
#: case's opening is looked up by its id (a join let the planner read every opening).
_SEIZED = """
WITH per_case AS MATERIALIZED (
  SELECT aggregate_id, count(*) AS seizures, sum(sticks) AS sticks, sum(value) AS value
  FROM audit_events WHERE event_type = 'Case.SeizureRecorded' AND county = %(county)s
    AND recorded_at >= %(start)s AND recorded_at < %(end)s AND position <= %(as_of)s
  GROUP BY aggregate_id)
SELECT CASE WHEN o.found IS NULL THEN 'other' ELSE o.case_type END AS case_type,
  sum(p.seizures) AS seizures, sum(p.sticks) AS sticks, sum(p.value) AS value
FROM per_case p LEFT JOIN LATERAL (
  SELECT true AS found, case_type FROM audit_events
  WHERE event_type = 'Case.Opened' AND aggregate_id = p.aggregate_id LIMIT 1) o ON true
GROUP BY 1"""
#: The quarter's referrals sent or received by the county (each read by type, time and
#: county), and its findings and price inspections (a few; other counties' left out below).
_QUARTER_TIME = "recorded_at >= %(start)s AND recorded_at < %(end)s AND position <= %(as_of)s"
_REFERRAL = (
    "SELECT position, aggregate_id, event_type, recorded_at, county, subject_county,"
    " data->>'acknowledge_by' AS acknowledge_by, data->>'feedback_by' AS feedback_by,"
    " NULL::jsonb AS data FROM audit_events WHERE event_type = 'Lead.Referred'"
)
_WITH_DATA = f"""
{_REFERRAL} AND {_QUARTER_TIME} AND county = %(county)s
UNION ALL
{_REFERRAL} AND {_QUARTER_TIME}
  AND subject_county = %(county)s AND county IS DISTINCT FROM %(county)s
UNION ALL
SELECT position, aggregate_id, event_type, recorded_at, county, subject_county, NULL, NULL, data
FROM audit_events WHERE event_type IN ('Finding.Recorded', 'PriceInspection.Recorded')
  AND {_QUARTER_TIME}
ORDER BY position"""
#: What followed the referrals, up to the position (``audit_events_answers``).
_ANSWERS = f"""
SELECT position, aggregate_id, event_type, recorded_at, county, subject_county FROM audit_events
WHERE event_type IN ({REFERRAL_ANSWERS_SQL}) AND aggregate_id = ANY(%s)
  AND position > %s AND position <= %s ORDER BY position"""


Rows = Callable[[str, Any], list[dict[str, Any]]]


def bulletin_data(
    audit: AuditView, county: str, quarter: Quarter, as_of: int, tz: tzinfo
) -> dict[str, Any]:
    """The county's figures for the quarter from the audit trail up to ``as_of``.

    Time linear in the county's part of the quarter, and mostly index reads: the case figures
    and the seizures are counted and summed by the database from covering indexes (the
    quarter's events by type, time and county; each case's county and type from its opening:
    ``AuditView.ddl``), and only the quarter's referrals of the county, its findings and price
    inspections come back as rows, with what followed each referral (at any time). Only rows
    up to ``as_of`` are read, so the same position gives the same figures."""
    with audit.datastore.transaction(commit=False) as curs:

        def rows(sql: str, params: Any) -> list[dict[str, Any]]:
            curs.execute(sql, params)
            return list(curs.fetchall())

        return _figures(rows, county, quarter, as_of, tz)


def _figures(rows: Rows, county: str, quarter: Quarter, as_of: int, tz: tzinfo) -> dict[str, Any]:
    """``bulletin_data`` on one connection, in one snapshot."""
    start, end = quarter.bounds(tz)
    window = {"start": start, "end": end, "as_of": as_of, "county": county}
    case_figures = rows(_CASES, window)[0]
    seized = rows(_SEIZED, window)
    of_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(_WITH_DATA, window):
        of_type[row["event_type"]].append(row)

    # referrals: sent and received in the quarter, and how received ones were answered
    referred = received = 0
    acknowledgement = Counter[str]()
    feedback = Counter[str]()
    received_referrals: list[dict[str, Any]] = []
    for row in of_type["Lead.Referred"]:
        if row["county"] == county:
            referred += 1
        if row["subject_county"] == county:
            received += 1
            received_referrals.append(row)
    after_referral: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    if received_referrals:
        for row in rows(
            _ANSWERS,
            (
                list({r["aggregate_id"] for r in received_referrals}),
                received_referrals[0]["position"],
                as_of,
            ),
        ):
            after_referral[row["aggregate_id"]].append(row)
    for referral in received_referrals:
        following = [
            r
            for r in after_referral[referral["aggregate_id"]]
            if r["position"] > referral["position"]
        ]
        later = [r for r in following if r["county"] == county]
        withdrawn = any(
            r["event_type"] == "Lead.ReferralWithdrawn" and r["subject_county"] == county
            for r in following
        )
        answer = next(
            (
                r
                for r in later
                if r["event_type"] in ("Lead.ReferralAccepted", "Lead.ReferralDeclined")
            ),
            None,
        )
        due = _dt(referral["acknowledge_by"])
        if answer is None:
            acknowledgement["withdrawn" if withdrawn else "unanswered"] += 1
            continue
        acknowledgement["in_time" if answer["recorded_at"] <= due else "late"] += 1
        if answer["event_type"] == "Lead.ReferralAccepted":
            first = next(
                (
                    r
                    for r in later
                    if r["event_type"] == "Lead.FeedbackGiven"
                    and r["position"] > answer["position"]
                ),
                None,
            )
            feedback_due = _dt(referral["feedback_by"])
            if first is None:
                feedback["none_yet"] += 1
            else:
                feedback["in_time" if first["recorded_at"] <= feedback_due else "late"] += 1

    by_type = {row["case_type"]: row for row in seized}
    seizures = [
        {
            "case_type": t,
            "label": CASE_TYPE_NAMES[t],
            "seizures": int(by_type[t]["seizures"]),
            "quantity": describe_sticks(int(by_type[t]["sticks"])),
            "value": str(by_type[t]["value"].quantize(Decimal("0.01"))),
        }
        for t in (ct.value for ct in CaseType)
        if t in by_type
    ]
    total_sticks = sum(int(v["sticks"]) for v in by_type.values())
    total_value = sum((v["value"] for v in by_type.values()), Decimal(0))

    operations = _operations(rows, county, quarter, as_of, tz)
    findings = Counter(
        r["data"]["kind"] for r in of_type["Finding.Recorded"] if r["data"]["county"] == county
    )
    market = [
        {
            "inspecting_county": r["data"]["inspecting_county"],
            "inspected_county": r["data"]["inspected_county"],
            "area": r["data"]["area"],
            "brand": r["data"]["brand"],
            "agreed_price": str(r["data"]["agreed_price"]),
            "observed_price": str(r["data"]["observed_price"]),
            "deviation": str(
                Decimal(str(r["data"]["observed_price"])) - Decimal(str(r["data"]["agreed_price"]))
            ),
        }
        for r in of_type["PriceInspection.Recorded"]
        if county in (r["data"]["inspecting_county"], r["data"]["inspected_county"])
    ]
    return {
        "county": county,
        "quarter": str(quarter),
        "period": {"from": start.date().isoformat(), "to": quarter.last_day(tz).isoformat()},
        "as_of_position": as_of,
        "leads": {
            "referred": referred,
            "received": received,
            "acknowledgement": {
                k: acknowledgement.get(k, 0) for k in ("in_time", "late", "unanswered", "withdrawn")
            },
            "feedback": {k: feedback.get(k, 0) for k in ("in_time", "late", "none_yet")},
        },
        "cases": {k: int(v) for k, v in case_figures.items()},
        "seizures": {
            "by_case_type": seizures,
            "total": {
                "quantity": describe_sticks(total_sticks),
                "value": str(total_value.quantize(Decimal("0.01"))),
            },
        },
        "joint_operations": operations,
        "findings": {k: findings[k] for k in sorted(findings)},
        "market_notes": market,
    }


def _operations(
    rows: Rows, county: str, quarter: Quarter, as_of: int, tz: tzinfo
) -> list[dict[str, Any]]:
    """The joint operations the county takes part in whose days overlap the quarter (planned at
    any time), each with the number of cases attached to it."""
    start = quarter.bounds(tz)[0].date()
    planned = []
    for r in rows(
        "SELECT aggregate_id, data FROM audit_events WHERE event_type = 'JointOperation.Planned'"
        " AND position <= %s ORDER BY position",
        (as_of,),
    ):
        if county not in r["data"]["participants"]:
            continue
        starts, ends = (
            date.fromisoformat(r["data"]["starts_on"]),
            date.fromisoformat(r["data"]["ends_on"]),
        )
        if starts <= quarter.last_day(tz) and ends >= start:
            planned.append((r, starts, ends))
    if not planned:
        return []
    attached = {
        row["aggregate_id"]: row["cases"]
        for row in rows(
            "SELECT aggregate_id, count(*) AS cases FROM audit_events"
            " WHERE aggregate_id = ANY(%s) AND event_type = 'JointOperation.CaseAttached'"
            " AND position <= %s GROUP BY aggregate_id",
            (list({r["aggregate_id"] for r, _, _ in planned}), as_of),
        )
    }
    return [
        {
            "name": r["data"]["name"],
            "starts_on": str(starts),
            "ends_on": str(ends),
            "lead_county": r["data"]["county"],
            "cases_attached": attached.get(r["aggregate_id"], 0),
        }
        for r, starts, ends in planned
    ]


class RecentFigures:
    """The figures of the bulletins computed lately, by county, quarter, time zone, position and
    the chain's link at that position. A bulletin's figures at a position never change (that
    is what makes its digest mean something), so the console's bulletin page and the printable
    page it shows, an issued bulletin read again, or one read while nothing was recorded, are
    computed once. The link keeps a history rewritten behind a position (a restore, or a
    failover that lost the newest events) from being answered with the figures of the old
    one. Kept as their JSON, so no caller can change what another reads."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._lock = Lock()
        self._items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
        figures: dict[str, Any] = orjson.loads(found)
        return figures

    def put(self, key: tuple[Any, ...], figures: dict[str, Any]) -> None:
        kept = orjson.dumps(figures)
        with self._lock:
            self._items[key] = kept
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class AuditBulletins:
    """The ``BulletinSource`` port: a bulletin's figures from the audit trail as of a position,
    and the position an issued bulletin was fixed at."""

    audit: AuditView
    issues: BulletinIssuesView
    recent: RecentFigures = field(default_factory=RecentFigures)

    def position(self) -> int:
        return self.audit.position()

    def issued(self, county: str, year: int, quarter: int) -> int | None:
        return self.issues.issued_position(county, year, quarter)

    def figures(
        self, county: str, year: int, quarter: int, as_of: int, tz: tzinfo
    ) -> dict[str, Any]:
        link = self.audit.head(as_of)
        key = (county, year, quarter, str(tz), as_of, link["link"] if link else None)
        found = self.recent.get(key)
        if found is None:
            found = bulletin_data(self.audit, county, Quarter(year, quarter), as_of, tz)
            self.recent.put(key, found)
        return found
