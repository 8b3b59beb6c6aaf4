"""An event as one flat record, the same wherever it is read (the audit trail, a case's history,
the global log): its kind, whose it is, who did it, when, why, which case or lead it concerns, and
its own fields without informant data."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.informants import PRIVATE_EVENT_FIELDS

#: Fields every event carries that a record shows apart from its data.
BASE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "actor",
        "correlation_id",
    }
)
#: The fields that carry an event's business time (when it happened, as the officer says),
#: as opposed to the time the server recorded it.
BUSINESS_TIME_FIELDS = (
    "received_at",
    "opened_at",
    "seized_at",
    "referred_on",
    "accepted_on",
    "inspected_at",
)


def event_fields(event: Any) -> dict[str, Any]:
    """The event's own fields (its data), without the base fields and informant data."""
    return {
        k: v
        for k, v in vars(event).items()
        if k not in BASE_FIELDS and k not in PRIVATE_EVENT_FIELDS
    }


def event_refs(event: Any, aggregate_type: str) -> tuple[UUID | None, UUID | None, str | None]:
    """(case_id, lead_id, reason) of an event, for finding it again."""
    case_id = lead_id = None
    if aggregate_type == "Case":
        case_id = event.originator_id
    elif aggregate_type == "Lead":
        lead_id = event.originator_id
        case_id = getattr(event, "case_id", None)
    elif aggregate_type == "InformantAccessLog":
        lead_id = getattr(event, "lead_id", None)
    reason = getattr(event, "reason", None)
    return case_id, lead_id, reason if isinstance(reason, str) else None


def event_record(event: Any, position: int, data: Any) -> dict[str, Any]:
    """The event at a log position as the flat record the audit trail stores, with its data
    as given (the JSON of ``event_fields``)."""
    event_type = type(event).__qualname__
    aggregate_type = event_type.split(".", 1)[0]
    actor = getattr(event, "actor", None)
    case_id, lead_id, reason = event_refs(event, aggregate_type)
    return {
        "position": position,
        "aggregate_id": event.originator_id,
        "aggregate_type": aggregate_type,
        "version": event.originator_version,
        "event_type": event_type,
        "recorded_at": event.timestamp,
        "officer_id": actor.officer_id if actor else None,
        "county": actor.county if actor else None,
        "role": str(actor.role) if actor else None,
        "correlation_id": getattr(event, "correlation_id", None),
        "case_id": case_id,
        "lead_id": lead_id,
        "reason": reason,
        "data": data,
    }
