"""How leads, cases and events are shown: informant ciphertext never leaves the server, stick
counts are shown in both 支 and 箱, every event has one shape and every moment is in UTC."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from api.schemas.cases import CasePublic, CaseSummaryPublic
from api.schemas.common import ActorPublic, utc_text
from api.schemas.events import EventPublic
from api.schemas.leads import LeadPublic
from domain.case import Case
from domain.case_summary import CaseSummary
from domain.lead import Lead
from domain.records import BUSINESS_TIME_FIELDS
from domain.values import describe_sticks
from projections.search_text import count_cap

#: A moment as event data holds it (ISO 8601 with an offset), to be rewritten in UTC.
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$")


def search_page(
    total: int, rows: list[dict[str, Any]], text: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """A page of a list or search (``text``: its free text, if any): the view counts up to
    its cap and one more when more match (``projections.search_text.count_cap``), shown as the
    cap and ``more``."""
    cap = count_cap(text)
    more = total > cap
    return {"total": min(total, cap), "more": more, "limit": limit, "offset": offset, "items": rows}


def lead_public(lead: Lead) -> LeadPublic:
    return LeadPublic.model_validate(lead.public_state())


def case_public(
    case: Case, seizures: list[dict[str, Any]], police_advice: list[str] | None = None
) -> CasePublic:
    """The case with its seizures (rows of the read model of seizures, at the case's version)."""
    state = case.public_state()
    state["seizures"] = [
        {**seizure, "quantity": describe_sticks(seizure["sticks"])} for seizure in seizures
    ]
    totals = case.seizure_totals()
    state["totals"] = {"value": totals.value, "quantity": describe_sticks(totals.sticks)}
    state["police_advice"] = police_advice
    return CasePublic.model_validate(state)


def case_summary_public(summary: CaseSummary) -> CaseSummaryPublic:
    """The case summary (``domain.case_summary``) as the API shows it."""
    return CaseSummaryPublic.model_validate(asdict(summary))


def in_utc(value: Any) -> Any:
    """Event data with every moment rewritten in UTC (data is JSON: moments are text)."""
    if isinstance(value, str) and _MOMENT.match(value):
        return utc_text(datetime.fromisoformat(value))
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, Mapping):
        return {k: in_utc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [in_utc(v) for v in value]
    return value


def event_public(record: Mapping[str, Any]) -> EventPublic:
    """An event's flat record (``domain.records.event_record``, or an audit trail row) in the
    API's one event shape: reason and business time lifted out of the data."""
    data = dict(record["data"])
    reason = record["reason"]
    if reason is not None and data.get("reason") == reason:
        del data["reason"]
    business_time = None
    for name in BUSINESS_TIME_FIELDS:
        if name in data:
            business_time = data.pop(name)
            break
    actor = None
    if record["officer_id"] is not None:
        actor = ActorPublic(
            officer_id=record["officer_id"], county=record["county"], role=record["role"]
        )
    return EventPublic(
        type=record["event_type"],
        position=record["position"],
        aggregate_type=record["aggregate_type"],
        aggregate_id=record["aggregate_id"],
        version=record["version"],
        actor=actor,
        recorded_at=record["recorded_at"],
        business_time=business_time,
        reason=reason,
        correlation_id=record["correlation_id"],
        case_id=record["case_id"],
        lead_id=record["lead_id"],
        data=in_utc(data),
    )


#: The columns of an event in a CSV export, in order (`actor` spread over three).
EVENT_COLUMNS = (
    "position",
    "type",
    "aggregate_type",
    "aggregate_id",
    "version",
    "recorded_at",
    "business_time",
    "officer_id",
    "county",
    "role",
    "correlation_id",
    "case_id",
    "lead_id",
    "reason",
    "data",
)


def event_row(event: EventPublic) -> dict[str, Any]:
    """An event flattened for a CSV line (the same values as its JSON form)."""
    shown = event.model_dump(mode="json")
    actor = shown.pop("actor") or {}
    return {**shown, **{k: actor.get(k) for k in ("officer_id", "county", "role")}}
