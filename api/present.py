"""How leads, cases and events are shown: informant ciphertext never leaves the server, stick
counts are shown in both 支 and 箱."""

from __future__ import annotations

from typing import Any

from domain.case import Case
from domain.informants import PRIVATE_EVENT_FIELDS
from domain.lead import Lead
from domain.values import describe_sticks

HIDDEN_FIELDS = PRIVATE_EVENT_FIELDS


def lead_out(lead: Lead) -> dict[str, Any]:
    return lead.public_state()


def case_out(case: Case) -> dict[str, Any]:
    state = case.public_state()
    for seizure in state["seizures"]:
        seizure["quantity"] = describe_sticks(seizure["sticks"])
    totals = case.seizure_totals()
    state["totals"] = {"value": totals.value, "quantity": describe_sticks(totals.sticks)}
    return state


def event_out(event: Any, position: int | None = None) -> dict[str, Any]:
    data = {
        k: v
        for k, v in vars(event).items()
        if k
        not in {
            "originator_id",
            "originator_version",
            "timestamp",
            "originator_topic",
            "actor",
            "correlation_id",
        }
        and k not in HIDDEN_FIELDS
    }
    if "informant_ciphertext" in vars(event):
        data["has_informant"] = event.informant_ciphertext is not None
    out: dict[str, Any] = {
        "type": type(event).__qualname__,
        "aggregate_id": event.originator_id,
        "version": event.originator_version,
        "recorded_at": event.timestamp,
        "actor": getattr(event, "actor", None),
        "correlation_id": getattr(event, "correlation_id", None),
        "data": data,
    }
    if position is not None:
        out["position"] = position
    return out
