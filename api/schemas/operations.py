"""Request bodies and response shapes of joint operations (集中整治行动)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from api.schemas import NO_NUL, County, IsoDate, ShortText, Text, example
from api.schemas.cases import CaseSummaryFields
from api.schemas.common import MatchPagePublic, UtcTime


class OperationCreate(BaseModel):
    model_config = example(
        name="2026年春季联合打假打私集中整治行动",
        participants=["140221", "140222", "130725"],
        starts_on="2026-04-01",
        ends_on="2026-05-31",
        target_area="G6 corridor and the express depots along it",
        plan="joint checkpoints on weekends; parcel screening at the three depots",
    )
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
    participants: list[County] = Field(min_length=1, max_length=20)
    starts_on: IsoDate
    ends_on: IsoDate
    target_area: ShortText = ""
    plan: Annotated[str, StringConstraints(max_length=4000, pattern=NO_NUL)] = ""


class AttachedCaseCreate(BaseModel):
    model_config = example(case_id="6f1c1e0a-7d8e-4d55-9d64-0f0c7a1b2c3d")
    case_id: UUID


class ConclusionCreate(BaseModel):
    model_config = example(summary="12 cases, 40箱 seized; two networks referred to police")
    summary: Text


class AttachedCase(CaseSummaryFields):
    """The summary of an attached case its participants may read (``domain.case_summary``),
    and whether it was referred to the police."""

    case_id: UUID
    police_referred: bool


class OperationResults(BaseModel):
    cases: int
    seizures: int
    sticks: int
    value: Decimal
    referred_to_police: int
    by_case: list[AttachedCase]


class OperationPublic(BaseModel):
    """The operation with its results rolled up from the attached cases."""

    id: UUID
    version: int
    name: str
    county: str
    participants: list[str]
    starts_on: date
    ends_on: date
    target_area: str
    plan: str
    case_ids: list[UUID]
    concluded: bool
    summary: str | None
    results: OperationResults


class OperationRow(BaseModel):
    operation_id: UUID
    name: str
    county: str
    participants: list[str]
    starts_on: date
    ends_on: date
    case_ids: list[UUID]
    concluded: bool
    recorded_at: UtcTime


class OperationList(MatchPagePublic):
    items: list[OperationRow]
