"""Response shapes of the contribution ledger (贡献台账)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import UtcTime


class ContributionPublic(BaseModel):
    """One contribution derived from an event: who did what for which case or lead."""

    position: int
    kind: str
    county: str
    officer_id: str
    case_id: UUID | None
    lead_id: UUID | None
    recorded_at: UtcTime
    sticks: int | None
    value: Decimal | None


class CaseLedgerPublic(BaseModel):
    """A case's contributions (with the cases merged into it) as of a log position."""

    case_id: UUID
    as_of_position: int
    value: Decimal
    items: list[ContributionPublic]


class CountyLedgerPublic(BaseModel):
    """A page of a county's contributions; ``next_after`` continues the listing."""

    county: str
    items: list[ContributionPublic]
    next_after: int
