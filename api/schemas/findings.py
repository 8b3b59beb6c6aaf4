"""Request bodies and response shapes of accountability findings (问责)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from api.schemas import Reason, example
from api.schemas.common import MatchPagePublic, UtcTime
from domain.accountability import DECISIONS


class DecisionCreate(BaseModel):
    model_config = example(decision="reminder", reason="first late acknowledgement this year")
    decision: Literal[DECISIONS]  # type: ignore[valid-type]
    reason: Reason


class ScanPublic(BaseModel):
    """What a scan found: the position scanned at, how many breaches it saw, the findings it
    recorded (those not recorded before) and the position to wait for to read them."""

    scanned_at_position: int
    breaches: int
    recorded: list[UUID]
    position: int


class FindingDecisionPublic(BaseModel):
    decision: str
    reason: str
    by: str
    at: UtcTime


class FindingPublic(BaseModel):
    """A finding with its evidence (the events and deadlines) as of the position found at."""

    id: UUID
    version: int
    kind: str
    county: str
    subject: str
    deadline: UtcTime
    found_at_position: int
    found_at: UtcTime
    evidence: list[dict[str, Any]]
    detail: str
    decision: FindingDecisionPublic | None


class FindingRow(BaseModel):
    finding_id: UUID
    kind: str
    county: str
    subject: str
    deadline: UtcTime
    found_at: UtcTime
    found_at_position: int
    detail: str
    decision: str | None
    decided_at: UtcTime | None


class FindingList(MatchPagePublic):
    items: list[FindingRow]
