"""Request bodies and response shapes of price mutual inspections (价格互查)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from api.schemas import NO_NUL, County, IsoDateTime, ShortText, example
from api.schemas.common import MatchPagePublic, UtcTime


class InspectionCreate(BaseModel):
    model_config = example(
        inspected_county="130725",
        area="尚义 county town",
        group_name="自律互助小组 #2",
        brand="中华(硬)",
        agreed_price="450.00",
        observed_price="430.00",
        inspected_at="2026-04-12T10:00:00+08:00",
        note="two of five shops below the agreed price",
    )
    inspected_county: County
    area: ShortText = ""
    group_name: ShortText = ""
    brand: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
    agreed_price: Decimal = Field(gt=0, le=10**6)
    observed_price: Decimal = Field(gt=0, le=10**6)
    inspected_at: IsoDateTime
    note: ShortText = ""


class InspectionRow(BaseModel):
    inspection_id: UUID
    inspecting_county: str
    inspected_county: str
    area: str
    group_name: str
    brand: str
    agreed_price: Decimal
    observed_price: Decimal
    inspected_at: UtcTime
    note: str
    deviation: Decimal


class InspectionList(MatchPagePublic):
    items: list[InspectionRow]
