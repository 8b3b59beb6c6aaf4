"""Quarterly bulletins (季度通报) per county, generated from the audit trail as of a fixed log
position: regenerating one later gives the same figures. No informant data is ever read for
them."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from domain.values import CaseType, describe_sticks
from projections.audit import AuditView
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
#: joint handling, by the county); the other events of the quarter are read only when they name
#: the county (seizures are summed by the database).
CASE_CHANGES = (
    "Case.MergedInto",
    "Case.CaseAbsorbed",
    "Case.CoHandlerJoined",
    "Case.ReferredToPolice",
)
#: What may follow a referral, at any time up to the bulletin's position.
REFERRAL_ANSWERS = (
    "Lead.ReferralAccepted",
    "Lead.ReferralDeclined",
    "Lead.ReferralWithdrawn",
    "Lead.FeedbackGiven",
)
#: The events read in the quarter (those not naming the county stay in the database).
IN_QUARTER = (
    "Lead.Referred",
    "Case.Opened",
    *CASE_CHANGES,
    "Finding.Recorded",
    "PriceInspection.Recorded",
)
_ROW = "position, aggregate_id, event_type, recorded_at, county, data"


def _in_quarter(audit: AuditView, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Runs a query over the quarter's events of some types. The audit trail indexes them by
    type and time (``audit_events_type_time``, ``audit_events_type_county_time``); the planner
    prefers a plain scan of the time index, which reads every event of the quarter (it is
    ordered like the table), so plain index scans are off for this query: it reads only the
    rows it needs, through a bitmap of the type-and-time index."""
    with audit.datastore.transaction(commit=False) as curs:
        curs.execute("SET LOCAL enable_indexscan = off")
        curs.execute(sql, params)
        return list(curs.fetchall())


def bulletin_data(
    audit: AuditView, county: str, quarter: Quarter, as_of: int, tz: tzinfo
) -> dict[str, Any]:
    """The county's figures for the quarter from the audit trail up to ``as_of``.

    Time linear in the quarter's events (of the types it counts): they are found by type and
    time, those of other counties left in the database, the county's seizures summed per case
    by the database, and what lies outside
    the quarter is looked up by aggregate id (``audit_events_aggregate``): the cases' openings
    (county and type), the answers to the quarter's referrals and the joint operations' cases.
    Only rows up to ``as_of`` are read, so the same position gives the same figures."""
    start, end = quarter.bounds(tz)
    rows = _in_quarter(
        audit,
        f"SELECT {_ROW} FROM audit_events WHERE event_type = ANY(%(types)s)"
        " AND recorded_at >= %(start)s AND recorded_at < %(end)s AND position <= %(as_of)s AND ("
        " (event_type = 'Lead.Referred'"
        "  AND (county = %(county)s OR data->>'to_county' = %(county)s))"
        " OR (event_type = 'Case.Opened' AND data->>'county' = %(county)s)"
        " OR event_type = ANY(%(case_types)s)"
        " OR (event_type = 'Finding.Recorded' AND data->>'county' = %(county)s)"
        " OR (event_type = 'PriceInspection.Recorded' AND %(county)s IN"
        "  (data->>'inspecting_county', data->>'inspected_county'))"
        ") ORDER BY position",
        {
            "start": start,
            "end": end,
            "as_of": as_of,
            "county": county,
            "types": list(IN_QUARTER),
            "case_types": list(CASE_CHANGES),
        },
    )
    seized = _in_quarter(
        audit,
        "SELECT aggregate_id, count(*) AS seizures, sum((data->>'sticks')::bigint) AS sticks,"
        " sum((data->>'value')::numeric) AS value FROM audit_events"
        " WHERE event_type = 'Case.SeizureRecorded' AND county = %(county)s"
        " AND recorded_at >= %(start)s AND recorded_at < %(end)s AND position <= %(as_of)s"
        " GROUP BY aggregate_id",
        {"start": start, "end": end, "as_of": as_of, "county": county},
    )
    of_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        of_type[row["event_type"]].append(row)

    # every case the quarter's rows name: its county and type, from its opening
    cases = {r["aggregate_id"] for r in rows if r["event_type"].startswith("Case.")}
    cases.update(s["aggregate_id"] for s in seized)
    case_county: dict[Any, str] = {}
    case_type: dict[Any, str] = {}
    # A case's opening is its first event (so it lies before any row of the case read here).
    for row in audit.query(
        "SELECT c.id, o.data->>'county' AS county, o.data->>'case_type' AS case_type"
        " FROM unnest(%s::uuid[]) AS c(id) CROSS JOIN LATERAL (SELECT event_type, data"
        "  FROM audit_events WHERE aggregate_id = c.id ORDER BY position LIMIT 1) AS o"
        " WHERE o.event_type = 'Case.Opened'",
        (list(cases),),
    ):
        case_county[row["id"]] = row["county"]
        case_type[row["id"]] = row["case_type"]
    own_cases = {case for case, c in case_county.items() if c == county}

    # referrals: sent and received in the quarter, and how received ones were answered
    referred = received = 0
    acknowledgement = Counter[str]()
    feedback = Counter[str]()
    received_referrals: list[dict[str, Any]] = []
    for row in of_type["Lead.Referred"]:
        if row["county"] == county:
            referred += 1
        if row["data"]["to_county"] == county:
            received += 1
            received_referrals.append(row)
    after_referral: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    if received_referrals:
        for row in audit.query(
            f"SELECT {_ROW} FROM audit_events WHERE aggregate_id = ANY(%s)"
            " AND event_type = ANY(%s) AND position > %s AND position <= %s ORDER BY position",
            (
                list({r["aggregate_id"] for r in received_referrals}),
                list(REFERRAL_ANSWERS),
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
            r["event_type"] == "Lead.ReferralWithdrawn" and r["data"]["to_county"] == county
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
        due = _dt(referral["data"]["acknowledge_by"])
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
            feedback_due = _dt(referral["data"]["feedback_by"])
            if first is None:
                feedback["none_yet"] += 1
            else:
                feedback["in_time" if first["recorded_at"] <= feedback_due else "late"] += 1

    opened = sum(1 for r in of_type["Case.Opened"] if r["data"]["county"] == county)
    merged_into_others = sum(
        1 for r in of_type["Case.MergedInto"] if r["aggregate_id"] in own_cases
    )
    absorbed_others = sum(1 for r in of_type["Case.CaseAbsorbed"] if r["aggregate_id"] in own_cases)
    joint = {
        r["aggregate_id"]
        for r in of_type["Case.CoHandlerJoined"]
        if r["aggregate_id"] in own_cases or r["county"] == county
    }
    police = sum(1 for r in of_type["Case.ReferredToPolice"] if r["aggregate_id"] in own_cases)

    by_type: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"sticks": 0, "value": Decimal(0), "seizures": 0}
    )
    for s in seized:
        entry = by_type[case_type.get(s["aggregate_id"], "other")]
        entry["sticks"] += int(s["sticks"])
        entry["value"] += s["value"]
        entry["seizures"] += s["seizures"]
    seizures = [
        {
            "case_type": t,
            "label": CASE_TYPE_NAMES[t],
            "seizures": by_type[t]["seizures"],
            "quantity": describe_sticks(by_type[t]["sticks"]),
            "value": str(by_type[t]["value"].quantize(Decimal("0.01"))),
        }
        for t in (ct.value for ct in CaseType)
        if t in by_type
    ]
    total_sticks = sum(v["sticks"] for v in by_type.values())
    total_value = sum((v["value"] for v in by_type.values()), Decimal(0))

    operations = _operations(audit, county, quarter, as_of, tz)
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
        "cases": {
            "opened": opened,
            "merged_into_other_cases": merged_into_others,
            "other_cases_merged_in": absorbed_others,
            "jointly_handled": len(joint),
            "referred_to_police": police,
        },
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
    audit: AuditView, county: str, quarter: Quarter, as_of: int, tz: tzinfo
) -> list[dict[str, Any]]:
    """The joint operations the county takes part in whose days overlap the quarter (planned at
    any time), each with the number of cases attached to it."""
    start = quarter.bounds(tz)[0].date()
    planned = []
    for r in audit.query(
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
        for row in audit.query(
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


@dataclass(frozen=True)
class AuditBulletins:
    """The ``BulletinSource`` port: a bulletin's figures from the audit trail as of a position,
    and the position an issued bulletin was fixed at."""

    audit: AuditView
    issues: BulletinIssuesView

    def position(self) -> int:
        return self.audit.position()

    def issued(self, county: str, year: int, quarter: int) -> int | None:
        return self.issues.issued_position(county, year, quarter)

    def figures(
        self, county: str, year: int, quarter: int, as_of: int, tz: tzinfo
    ) -> dict[str, Any]:
        return bulletin_data(self.audit, county, Quarter(year, quarter), as_of, tz)
