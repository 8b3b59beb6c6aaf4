"""Quarterly bulletins (季度通报) per county, generated from the audit trail as of a fixed log
position: regenerating one later gives the same bytes. Served as JSON and as an HTML document
with a chart of seizures by case type. No informant data is ever read for them."""

from __future__ import annotations

import hashlib
import html
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

import orjson

from domain.values import CaseType, describe_sticks
from projections.audit import AuditView

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


def bulletin_data(
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


def bulletin_json(data: dict[str, Any]) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _chart(seizures: list[dict[str, Any]]) -> str:
    """An inline SVG bar chart of seizure value by case type (no scripts, no external files)."""
    width, bar_height, gap, label_width = 640, 26, 10, 230
    values = [Decimal(s["value"]) for s in seizures]
    top = max(values, default=Decimal(0)) or Decimal(1)
    height = max(1, len(seizures)) * (bar_height + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="Seizure value by case type">'
    ]
    for i, (s, value) in enumerate(zip(seizures, values, strict=True)):
        y = gap + i * (bar_height + gap)
        length = int((value / top) * (width - label_width - 120))
        parts.append(
            f'<text x="0" y="{y + 18}" font-size="13">{html.escape(s["label"])}</text>'
            f'<rect x="{label_width}" y="{y}" width="{max(length, 1)}" height="{bar_height}" '
            f'fill="#b22222"></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 18}" font-size="13">¥{s["value"]} · '
            f"{s['quantity']['cases']}箱</text>"
        )
    if not seizures:
        parts.append('<text x="0" y="20" font-size="13">No seizures this quarter</text>')
    parts.append("</svg>")
    return "".join(parts)


def bulletin_html(data: dict[str, Any], unit_name: str) -> bytes:
    esc = html.escape
    leads, cases, seizures = data["leads"], data["cases"], data["seizures"]
    rows = "".join(
        f"<tr><td>{esc(s['label'])}</td><td>{s['seizures']}</td>"
        f"<td>{s['quantity']['sticks']:,}</td><td>{s['quantity']['cases']}</td><td>¥{s['value']}</td></tr>"
        for s in seizures["by_case_type"]
    )
    operations = (
        "".join(
            f"<li>{esc(o['name'])} ({o['starts_on']} to {o['ends_on']}), {o['cases_attached']} case(s)</li>"
            for o in data["joint_operations"]
        )
        or "<li>none</li>"
    )
    findings = (
        "".join(f"<li>{esc(k)}: {v}</li>" for k, v in data["findings"].items()) or "<li>none</li>"
    )
    market = (
        "".join(
            f"<li>{esc(m['area'])} {esc(m['brand'])}: agreed ¥{m['agreed_price']}, observed "
            f"¥{m['observed_price']} (deviation ¥{m['deviation']})</li>"
            for m in data["market_notes"]
        )
        or "<li>none</li>"
    )
    ack, fb = leads["acknowledgement"], leads["feedback"]
    document = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{esc(unit_name)} {data["quarter"]} 季度通报</title>
<style>body{{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}</style></head>
<body>
<h1>{esc(unit_name)} ({data["county"]}) 季度通报 {data["quarter"]}</h1>
<p>Period {data["period"]["from"]} to {data["period"]["to"]}; figures as of event log position
{data["as_of_position"]}.</p>
<h2>Leads 线索</h2>
<p>Referred to neighbours: {leads["referred"]}. Received: {leads["received"]}.
Acknowledged in time: {ack["in_time"]}, late: {ack["late"]}, unanswered: {ack["unanswered"]},
withdrawn: {ack["withdrawn"]}. Feedback in time: {fb["in_time"]}, late: {fb["late"]},
none yet: {fb["none_yet"]}.</p>
<h2>Cases 案件</h2>
<p>Opened: {cases["opened"]}. Merged into other cases: {cases["merged_into_other_cases"]};
other cases merged in: {cases["other_cases_merged_in"]}. Jointly handled:
{cases["jointly_handled"]}. Referred to police: {cases["referred_to_police"]}.</p>
<h2>Seizures 查获</h2>
{_chart(seizures["by_case_type"])}
<table><tr><th>Case type</th><th>Seizures</th><th>支</th><th>箱</th><th>Value</th></tr>{rows}
<tr><th>Total</th><th></th><th>{seizures["total"]["quantity"]["sticks"]:,}</th>
<th>{seizures["total"]["quantity"]["cases"]}</th><th>¥{seizures["total"]["value"]}</th></tr></table>
<h2>Joint operations 集中整治行动</h2><ul>{operations}</ul>
<h2>Accountability findings 问责</h2><ul>{findings}</ul>
<h2>Market notes 价格互查</h2><ul>{market}</ul>
</body></html>
"""
    return document.encode()
