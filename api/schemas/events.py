"""The one shape of an event wherever the API shows one (a case's history and timeline, the
global log, the audit trail and its exports), and the pages that carry them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from api.schemas.common import ActorPublic, Public, UtcTime


class EventPublic(Public):
    """An event: its kind and log position, whose it is (aggregate and version), who did it,
    when it was recorded and when it happened (business time, if it has one), why, the request
    that caused it, and its remaining fields (`data`; never informant identities)."""

    type: str = Field(examples=["Case.SeizureRecorded"])
    position: int = Field(description="Position in the event log (may have gaps).")
    aggregate_type: str = Field(examples=["Case"])
    aggregate_id: UUID
    version: int
    actor: ActorPublic | None
    recorded_at: UtcTime = Field(description="When the server recorded it.")
    business_time: UtcTime | None = Field(
        default=None, description="When it happened, as the officer said (if the event has one)."
    )
    reason: str | None = None
    correlation_id: str | None = None
    case_id: UUID | None = Field(default=None, description="The case it concerns, if any.")
    lead_id: UUID | None = Field(default=None, description="The lead it concerns, if any.")
    data: dict[str, Any] = Field(description="The event's remaining fields; times in UTC.")


class CaseEventsPublic(Public):
    """A case's events and those of every case merged into it (un-merges included), in log
    order."""

    case_id: UUID
    events: list[EventPublic]


class EventLogPublic(Public):
    """A page of the global log: page on with `after=<next_after>`."""

    items: list[EventPublic]
    next_after: int
    last_position: int


class AuditPagePublic(Public):
    """A page of the audit trail: page on with `after=<next_after>`."""

    items: list[EventPublic]
    next_after: int


class FindingPublic(Public):
    kind: str = Field(examples=["altered"])
    position: int
    aggregate_id: UUID | None
    version: int | None
    detail: str


class ChainedStretchPublic(Public):
    """Consecutive verified events chained the same way."""

    first_position: int
    last_position: int
    events: int = Field(description="How many verified events the stretch holds.")


class BackfilledStretchPublic(ChainedStretchPublic):
    """Events written before the chain, chained and signed later by the backfill."""

    chained_at: UtcTime | None = Field(description="When the backfill chained them.")
    key_id: str = Field(description="The key the backfill signed with.")


class VerificationPublic(Public):
    """The events table checked against the chain written with it; `finding` names the first
    bad event."""

    ok: bool
    checked: int
    head_position: int
    head_link: str | None
    signed_position: int = Field(description="The last position covered by a valid signature.")
    chained_at_write: list[ChainedStretchPublic] = Field(
        default=[], description="The verified positions chained in the transaction that wrote them."
    )
    backfilled: list[BackfilledStretchPublic] = Field(
        default=[],
        description="The verified positions of a log written before the chain, chained and "
        "signed later (`jointcase db init`).",
    )
    finding: FindingPublic | None = None


class ChainHeadPublic(Public):
    """The chain link at a position, to keep outside the system as an anchor."""

    position: int
    link: str = Field(description="sha256, hex.")
