"""Request bodies (with an example each, shown in /docs); the response shapes are in this
package's modules by resource (`common`, `leads`, `cases`, `events`, `reference`)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from api.schemas.common import WriteResult
from domain.values import (
    CaseOutcome,
    CaseType,
    CorroborationResult,
    Disposition,
    LeadClosure,
    LeadSource,
    PriceBasis,
    QuantityUnit,
)

#: Text never carries NUL (U+0000): PostgreSQL text cannot hold it, and one NUL in a case title
#: was stored in the event log and then stopped the read models' runner for good.
NO_NUL = r"^[^\x00]*$"
County = Annotated[str, StringConstraints(pattern=r"^\d{6}$"), Field(examples=["140221"])]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=NO_NUL)]
ShortText = Annotated[str, StringConstraints(max_length=400, pattern=NO_NUL)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=NO_NUL)]
#: Upper bounds of a seizure, so sticks stay within 64 bits and money within the decimal context
#: (unbounded, 1E+30 cases was recorded and then made the case unreadable).
MAX_QUANTITY = Decimal(10**9)
MAX_VALUE = Decimal(10**12)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_date(value: object) -> object:
    """Dates only as ISO 8601 text (a number such as 0 is not 1970-01-01)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise ValueError("a date is written as ISO 8601 text, like 2026-03-02")


def _iso_datetime(value: object) -> object:
    """Times only as ISO 8601 text with an offset (a number is not a Unix time here)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        return value
    raise ValueError(
        "a time is written as ISO 8601 text with its offset, like 2026-03-02T10:00:00+08:00"
    )


#: A calendar date, accepted only as ISO 8601 text.
IsoDate = Annotated[date, BeforeValidator(_iso_date), Field(examples=["2026-03-02"])]
#: A moment, accepted only as ISO 8601 text carrying its offset.
IsoDateTime = Annotated[
    AwareDatetime, BeforeValidator(_iso_datetime), Field(examples=["2026-03-02T10:00:00+08:00"])
]


def example(**values: Any) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [values]})


class LeadCreate(BaseModel):
    model_config = example(
        summary="A van unloads counterfeit 中华 cartons at night near the G6 exit",
        source="tip_off",
        place_county="140221",
        place_detail="G6 service road, 罗文皂镇 exit",
        suspected_parties=["晋B·7K3xx van"],
        informant="张某, 138-0000-1234",
        received_at="2026-03-01T20:30:00+08:00",
    )
    summary: Text
    source: LeadSource
    place_county: County
    place_detail: ShortText = ""
    suspected_parties: list[ShortText] = Field(default_factory=list, max_length=50)
    informant: ShortText | None = Field(
        default=None, description="Identity of the informant; sealed, never shown in views."
    )
    received_at: IsoDateTime | None = Field(default=None, description="Business time.")


class ReferralCreate(BaseModel):
    model_config = example(to_county="140221", reason="the unloading point is in 阳高")
    to_county: County
    reason: Reason


class ReasonBody(BaseModel):
    model_config = example(reason="the address is in 尚义, not 怀安")
    reason: Reason


class ShareCreate(BaseModel):
    model_config = example(counties=["140221", "150924"], reason="same packaging as the tip-off")
    counties: list[County] = Field(min_length=1, max_length=20)
    reason: ShortText = ""


class FeedbackCreate(BaseModel):
    model_config = example(content="Surveillance set up; the van was seen twice", final=False)
    content: Text
    final: bool = False


class CorroborationCreate(BaseModel):
    model_config = example(result="seen", note="same cartons seized in 2024")
    result: CorroborationResult
    note: ShortText = ""


class LeadClosureCreate(BaseModel):
    model_config = example(closure="unfounded", reason="nothing found at the address")
    closure: LeadClosure
    reason: Reason
    merged_into_lead: UUID | None = None


class LeadConversion(BaseModel):
    model_config = example(
        case_type="counterfeit", title="Counterfeit 中华 network along the G6", summary=""
    )
    case_type: CaseType
    title: Annotated[str, StringConstraints(min_length=1, max_length=400, pattern=NO_NUL)]
    summary: Annotated[str, StringConstraints(max_length=4000, pattern=NO_NUL)] = ""
    opened_at: IsoDateTime | None = None


class InformantDisclosure(BaseModel):
    model_config = example(purpose="call back the informant to arrange a meeting")
    purpose: Reason


class CaseCreate(BaseModel):
    model_config = example(
        case_type="counterfeit",
        title="Counterfeit 中华 network along the G6",
        summary="Van deliveries to retailers in three counties",
        lead_ids=["6f1c1e0a-7d8e-4d55-9d64-0f0c7a1b2c3d"],
        opened_at="2026-03-02T09:00:00+08:00",
    )
    case_type: CaseType
    title: Annotated[str, StringConstraints(min_length=1, max_length=400, pattern=NO_NUL)]
    summary: Annotated[str, StringConstraints(max_length=4000, pattern=NO_NUL)] = ""
    lead_ids: list[UUID] = Field(default_factory=list, max_length=100)
    opened_at: IsoDateTime | None = Field(default=None, description="Business time.")


class SeizureCreate(BaseModel):
    model_config = example(
        brand="中华(硬)",
        specification="84mm",
        quantity="3",
        unit="case",
        value="135000.00",
        price_basis="provincial",
        disposition="unsold",
        place="G6 service road",
        seized_at="2026-03-02T03:10:00+08:00",
    )
    brand: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
    specification: ShortText = ""
    quantity: Decimal = Field(
        ge=-MAX_QUANTITY,
        le=MAX_QUANTITY,
        description="Amount in `unit`; stored as whole sticks (支).",
    )
    unit: QuantityUnit = QuantityUnit.STICK
    value: Decimal = Field(ge=0, le=MAX_VALUE, description="Yuan (元), as a decimal string.")
    price_basis: PriceBasis
    disposition: Disposition = Disposition.UNSOLD
    place: ShortText = ""
    seized_at: IsoDateTime


class CoHandlerInvitation(BaseModel):
    model_config = example(county="150924", note="networked case: joint handling")
    county: County
    note: ShortText = ""


class AssistanceCreate(BaseModel):
    model_config = example(
        to_county="130725",
        request="check the depot for parcels from the same sender",
        due="2026-03-09T18:00:00+08:00",
    )
    to_county: County
    request: Text
    due: IsoDateTime | None = Field(default=None, description="Defaults to the agreement's 7 days.")


class AssistanceAnswer(BaseModel):
    model_config = example(answer="Two parcels from the same sender found and held")
    answer: Text


class MergeCreate(BaseModel):
    model_config = example(
        survivor_id="6f1c1e0a-7d8e-4d55-9d64-0f0c7a1b2c3d", reason="supplied by the same network"
    )
    survivor_id: UUID
    reason: Reason


class PoliceReferralCreate(BaseModel):
    model_config = example(
        police_unit="大同市公安局阳高分局",
        referred_on="2026-03-05T10:00:00+08:00",
        reason="business volume over the 情节严重 threshold",
    )
    police_unit: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
    referred_on: IsoDateTime
    reason: Reason


class PoliceAcceptanceCreate(BaseModel):
    model_config = example(
        accepted_on="2026-03-08T10:00:00+08:00", police_case_number="阳公立字[2026]0137号"
    )
    accepted_on: IsoDateTime
    police_case_number: ShortText = ""


class CaseClosureCreate(BaseModel):
    model_config = example(outcome="confiscation", reason="goods confiscated, fine imposed")
    outcome: CaseOutcome
    reason: Reason


class JurisdictionCreate(BaseModel):
    model_config = example(
        code="150981",
        name="Fengzhen City",
        name_zh="丰镇市",
        city="乌兰察布 Ulanqab",
        province="内蒙古 Inner Mongolia",
        valid_from="2027-01-01",
    )
    code: County
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
    name_zh: ShortText = ""
    city: ShortText = ""
    province: ShortText = ""
    valid_from: IsoDate


class JurisdictionEnd(BaseModel):
    model_config = example(valid_to="2027-12-31", reason="left the cooperation agreement")
    valid_to: IsoDate
    reason: Reason


class LiaisonCreate(BaseModel):
    model_config = example(
        county="140221",
        name="李强",
        phone="0352-5550221",
        email="liaison@yanggao.example",
        since="2026-01-01",
    )
    county: County
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
    phone: ShortText = ""
    email: ShortText = ""
    since: IsoDate


__all__ = ["WriteResult"]
