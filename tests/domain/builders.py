"""Builders for the "given" part: aggregates brought to a state through their own commands."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.case import Case
from domain.lead import Lead
from domain.merging import merge
from domain.values import CaseOutcome, CaseType, LeadClosure, LeadSource, PriceBasis
from tests.domain.gwt import T0, XINGHE, at, ctx

LEAD = UUID("00000000-0000-4000-8000-00000000000a")
OTHER_LEAD = UUID("00000000-0000-4000-8000-00000000000b")
CASE = UUID("00000000-0000-4000-8000-0000000000c1")
OTHER_CASE = UUID("00000000-0000-4000-8000-0000000000c2")
THIRD_CASE = UUID("00000000-0000-4000-8000-0000000000c3")
SEIZURE = UUID("00000000-0000-4000-8000-0000000000e1")
REQUEST = UUID("00000000-0000-4000-8000-0000000000f1")
SECOND_SEIZURE = UUID("00000000-0000-4000-8000-0000000000e2")
SECOND_REQUEST = UUID("00000000-0000-4000-8000-0000000000f2")


# --- leads -------------------------------------------------------------------------------------
def a_lead(owner: str = XINGHE, *, lead_id: UUID = LEAD, when: datetime = T0, **details) -> Lead:
    fields = {
        "summary": "Counterfeit 中华 stored in a farmyard",
        "source": LeadSource.TIP_OFF,
        "place_county": owner,
    }
    fields.update(details)
    return Lead.register(lead_id=lead_id, ctx=ctx(owner, when), **fields)


def referred(lead: Lead, to_county: str, when: datetime | None = None) -> Lead:
    when = when or at(hours=1)
    lead.refer(
        to_county,
        "the warehouse lies across the border",
        ctx(lead.responsible_county, when),
        acknowledge_by=when + timedelta(days=3),
        feedback_by=when + timedelta(days=15),
    )
    return lead


def accepted(lead: Lead, county: str, when: datetime | None = None) -> Lead:
    lead.accept_referral(ctx(county, when or at(hours=2)))
    return lead


def declined(lead: Lead, county: str, when: datetime | None = None) -> Lead:
    lead.decline_referral("not in our area", ctx(county, when or at(hours=2)))
    return lead


def converted(lead: Lead, case_id: UUID = CASE, number: str = "150924-2026-0001") -> Lead:
    lead.convert_to_case(case_id, number, ctx(lead.responsible_county, at(days=1)))
    return lead


def closed_lead(lead: Lead) -> Lead:
    lead.close(LeadClosure.UNFOUNDED, "nothing found", ctx(lead.responsible_county, at(days=1)))
    return lead


# --- cases -------------------------------------------------------------------------------------
def a_case(
    county: str = XINGHE,
    *,
    case_id: UUID = CASE,
    number: str | None = None,
    case_type: CaseType = CaseType.COUNTERFEIT,
    when: datetime = T0,
    **details,
) -> Case:
    return Case.open(
        case_id=case_id,
        number=number or f"{county}-2026-{str(case_id)[-2:]}",
        year=2026,
        ctx=ctx(county, when),
        case_type=case_type,
        title=details.pop("title", "Farmyard warehouse of counterfeit 中华"),
        **details,
    )


def with_co_handler(case: Case, county: str, *, joined: bool = True) -> Case:
    case.invite_co_handler(county, "the buyers live in your county", ctx(case.county, at(hours=1)))
    if joined:
        case.accept_co_handling(ctx(county, at(hours=2)))
    return case


def with_seizure(
    case: Case,
    county: str | None = None,
    *,
    seizure_id: UUID = SEIZURE,
    sticks: int = 50_000,
    value: str = "45000",
    disposition: str = "unsold",
) -> Case:
    case.record_seizure(
        seizure_id=seizure_id,
        ctx=ctx(county or case.county, at(hours=3)),
        brand="中华(硬)",
        sticks=sticks,
        value=Decimal(value),
        price_basis="provincial",
        seized_at=at(hours=2),
        disposition=disposition,
    )
    return case


def with_assistance_request(case: Case, to_county: str) -> Case:
    case.request_assistance(
        REQUEST, to_county, "check the parcel depot", at(days=7), ctx(case.county, at(hours=4))
    )
    return case


def closed_case(case: Case, when: datetime | None = None) -> Case:
    case.close(CaseOutcome.PENALTY, "fined and goods confiscated", ctx(case.county, when or at(5)))
    return case


def merged(absorbed: Case, survivor: Case, when: datetime | None = None) -> tuple[Case, Case]:
    """Merges with the consent of every county needed (one for a same-county merge, else two)."""
    when = when or at(days=10)
    for county in dict.fromkeys([absorbed.county, survivor.county]):
        merge(absorbed, survivor, "same supplier", ctx(county, when), survivor_chain=[])
    assert absorbed.merged_into == survivor.id
    return absorbed, survivor


# --- commands, for "when" ------------------------------------------------------------------------
def seize(county: str = XINGHE, **overrides):
    details = {
        "seizure_id": SECOND_SEIZURE,
        "brand": "中华(硬)",
        "sticks": 200_000,
        "value": Decimal("180000"),
        "price_basis": PriceBasis.PROVINCIAL,
        "seized_at": at(days=1),
        "place": " G6 service area ",
        "specification": " 84mm ",
    }
    details.update(overrides)
    return lambda case: case.record_seizure(ctx=ctx(county, at(days=1, hours=1)), **details)


def refer_to_police(county: str = XINGHE, unit: str = "兴和县公安局 经侦大队", reason: str = "4箱"):
    return lambda case: case.refer_to_police(
        unit, at(days=3), reason, ["quantity ≥ 200000支 (情节严重)"], ctx(county, at(days=3))
    )


def refer(to_county: str, county: str = XINGHE, when=None):
    when = when or at(hours=3)
    return lambda lead: lead.refer(
        to_county,
        "the buyer lives there",
        ctx(county, when),
        acknowledge_by=when + timedelta(days=3),
        feedback_by=when + timedelta(days=15),
    )
