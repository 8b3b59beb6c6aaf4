"""Response shapes of quarterly bulletins (季度通报)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import WriteResult


class Period(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    to: str


class Acknowledgement(BaseModel):
    in_time: int
    late: int
    unanswered: int
    withdrawn: int


class Feedback(BaseModel):
    in_time: int
    late: int
    none_yet: int


class LeadFigures(BaseModel):
    referred: int
    received: int
    acknowledgement: Acknowledgement
    feedback: Feedback


class CaseFigures(BaseModel):
    opened: int
    merged_into_other_cases: int
    other_cases_merged_in: int
    jointly_handled: int
    referred_to_police: int


class Quantity(BaseModel):
    sticks: int
    cases: str


class SeizuresOfType(BaseModel):
    case_type: str
    label: str
    seizures: int
    quantity: Quantity
    value: str


class SeizureTotal(BaseModel):
    quantity: Quantity
    value: str


class SeizureFigures(BaseModel):
    by_case_type: list[SeizuresOfType]
    total: SeizureTotal


class OperationTaken(BaseModel):
    name: str
    starts_on: str
    ends_on: str
    lead_county: str
    cases_attached: int


class MarketNote(BaseModel):
    inspecting_county: str
    inspected_county: str
    area: str
    brand: str
    agreed_price: str
    observed_price: str
    deviation: str


class BulletinPublic(BaseModel):
    """A county's bulletin for a quarter as of a log position (sent as canonical JSON: sorted
    keys, indented; its SHA-256 is in `X-Bulletin-SHA256`)."""

    county: str
    quarter: str
    period: Period
    as_of_position: int
    leads: LeadFigures
    cases: CaseFigures
    seizures: SeizureFigures
    joint_operations: list[OperationTaken]
    findings: dict[str, int]
    market_notes: list[MarketNote]


class BulletinIssued(WriteResult):
    """The issue recorded: the position the bulletin is fixed at and the digest of its JSON."""

    as_of_position: int
    sha256: str
