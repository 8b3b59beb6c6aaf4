"""The bulletin's figures as they were computed before they were made linear in the quarter's
events (commit 50f7499): every row of the bulletin's event types up to the position is read and
walked, once per received referral (quadratic). Kept as the baseline of ``bench.bulletins`` and as
the oracle the tests compare ``projections.bulletins.bulletin_data`` with, byte for byte."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from domain.values import CaseType, describe_sticks
from projections.audit import AuditView
from projections.bulletins import CASE_TYPE_NAMES, TYPES, Quarter


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def bulletin_data_by_scan(
    audit: AuditView, county: str, quarter: Quarter, as_of: int, tz: tzinfo
) -> dict[str, Any]:
    start, end = quarter.bounds(tz)
    rows = audit.query(
        "SELECT position, aggregate_id, event_type, recorded_at, county, data FROM audit_events"
        " WHERE position <= %s AND event_type = ANY(%s) ORDER BY position",
        (as_of, list(TYPES)),
    )

    def in_quarter(row: dict[str, Any]) -> bool:
        return bool(start <= row["recorded_at"] < end)

    by_aggregate: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_aggregate[row["aggregate_id"]].append(row)

    case_county: dict[Any, str] = {}
    case_type: dict[Any, str] = {}
    for row in rows:
        if row["event_type"] == "Case.Opened":
            case_county[row["aggregate_id"]] = row["data"]["county"]
            case_type[row["aggregate_id"]] = row["data"]["case_type"]
    own_cases = {case for case, c in case_county.items() if c == county}

    # referrals: sent and received in the quarter, and how received ones were answered
    referred = received = 0
    acknowledgement = Counter[str]()
    feedback = Counter[str]()
    received_referrals: list[dict[str, Any]] = []
    for row in rows:
        if row["event_type"] != "Lead.Referred" or not in_quarter(row):
            continue
        if row["county"] == county:
            referred += 1
        if row["data"]["to_county"] == county:
            received += 1
            received_referrals.append(row)
    for referral in received_referrals:
        lead = referral["aggregate_id"]
        later = [
            r
            for r in rows
            if r["aggregate_id"] == lead
            and r["position"] > referral["position"]
            and r["county"] == county
        ]
        withdrawn = any(
            r["event_type"] == "Lead.ReferralWithdrawn"
            and r["data"]["to_county"] == county
            and r["aggregate_id"] == lead
            and r["position"] > referral["position"]
            for r in rows
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

    opened = sum(
        1
        for r in rows
        if r["event_type"] == "Case.Opened" and in_quarter(r) and r["data"]["county"] == county
    )
    merged_into_others = sum(
        1
        for r in rows
        if r["event_type"] == "Case.MergedInto" and in_quarter(r) and r["aggregate_id"] in own_cases
    )
    absorbed_others = sum(
        1
        for r in rows
        if r["event_type"] == "Case.CaseAbsorbed"
        and in_quarter(r)
        and r["aggregate_id"] in own_cases
    )
    joint = {
        r["aggregate_id"]
        for r in rows
        if r["event_type"] == "Case.CoHandlerJoined"
        and in_quarter(r)
        and (r["aggregate_id"] in own_cases or r["county"] == county)
    }
    police = sum(
        1
        for r in rows
        if r["event_type"] == "Case.ReferredToPolice"
        and in_quarter(r)
        and r["aggregate_id"] in own_cases
    )

    by_type: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"sticks": 0, "value": Decimal(0), "seizures": 0}
    )
    for r in rows:
        if r["event_type"] == "Case.SeizureRecorded" and in_quarter(r) and r["county"] == county:
            entry = by_type[case_type.get(r["aggregate_id"], "other")]
            entry["sticks"] += int(r["data"]["sticks"])
            entry["value"] += Decimal(str(r["data"]["value"]))
            entry["seizures"] += 1
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

    operations = []
    for r in rows:
        if r["event_type"] != "JointOperation.Planned" or county not in r["data"]["participants"]:
            continue
        starts, ends = (
            date.fromisoformat(r["data"]["starts_on"]),
            date.fromisoformat(r["data"]["ends_on"]),
        )
        if starts <= quarter.last_day(tz) and ends >= start.date():
            attached = sum(
                1
                for a in rows
                if a["event_type"] == "JointOperation.CaseAttached"
                and a["aggregate_id"] == r["aggregate_id"]
            )
            operations.append(
                {
                    "name": r["data"]["name"],
                    "starts_on": str(starts),
                    "ends_on": str(ends),
                    "lead_county": r["data"]["county"],
                    "cases_attached": attached,
                }
            )
    findings = Counter(
        r["data"]["kind"]
        for r in rows
        if r["event_type"] == "Finding.Recorded" and in_quarter(r) and r["data"]["county"] == county
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
        for r in rows
        if r["event_type"] == "PriceInspection.Recorded"
        and in_quarter(r)
        and county in (r["data"]["inspecting_county"], r["data"]["inspected_county"])
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
