"""The committee's records and the counties' joint work: the contribution ledger (贡献台账) by
case and by county, accountability findings (问责) with their evidence and the committee's
decision, joint operations (集中整治行动), joint meetings (联席会议) and price mutual inspections
(价格互查). The same use cases and view queries as `api/routers/contributions.py`,
`findings.py`, `operations.py`, `meetings.py` and `price_inspections.py`, with their request
models checking the input; who may read or do what is the domain's (`domain/access.py`), a
refusal shows its message next to the form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from api.console.officers import _case_ref
from api.console.web import (
    PAGE_SIZE,
    Form,
    Page,
    SignedInForm,
    SignedInPage,
    counted_page,
    go,
    local_moment,
    refused,
    run_form,
    shown_again,
    visible,
    wait_for,
    with_position,
)
from api.deps import OffsetQuery
from api.offload import OffloadedRoute
from api.schemas.findings import DecisionCreate
from api.schemas.meetings import MeetingCreate
from api.schemas.operations import (
    AttachedCaseCreate,
    ConclusionCreate,
    OperationCreate,
)
from api.schemas.price_inspections import InspectionCreate
from domain.accountability import DECISIONS
from domain.errors import DomainError
from service.store import Written

router = APIRouter(route_class=OffloadedRoute, include_in_schema=False)
At = Annotated[int | None, Query(ge=0, le=2**62)]


def _counties(p: Page, own: bool = True) -> list[tuple[str, str]]:
    return [(c, p.county_name(c)) for c in p.units() if own or c != p.officer.county]


def _record_list(
    p: Page,
    view: Any,
    template: str,
    offset: int,
    at: int | None,
    status: int,
    *,
    own: bool,
    **values: Any,
) -> Response:
    """A page of the records of a view the caller may list (``view.list_for``: the rule is the
    view's), after the view reached ``at``; ``own``: the caller's county among the choices."""
    wait_for(p.services, [view], at)
    total, rows = view.list_for(p.officer.actor, limit=PAGE_SIZE, offset=offset)
    return p.render(
        template,
        status=status,
        counties=_counties(p, own=own),
        filters={},
        **counted_page(total, rows, offset),
        **values,
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


# --- contributions ----------------------------------------------------------------------------
@router.get("/contributions")
def county_contributions(
    p: SignedInPage,
    county: Annotated[str, Query(max_length=6)] = "",
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> Response:
    """A county's contribution ledger, a page at a time after a log position (its own county's,
    unless committee or auditor: `ledger_county`)."""
    view = p.services.views.contributions
    wait_for(p.services, [view], None)
    chosen = county if county.isdigit() and len(county) == 6 else None
    ledger = visible(lambda: view.county_ledger_for(p.officer.actor, chosen, after, PAGE_SIZE))
    return p.render(
        "contributions.html",
        ledger=ledger,
        after=after,
        more=len(ledger["items"]) == PAGE_SIZE,
        counties=_counties(p),
    )


@router.get("/cases/{case_id:uuid}/contributions")
def case_contributions(
    p: SignedInPage,
    case_id: UUID,
    as_of_position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    offset: OffsetQuery = 0,
) -> Response:
    """Every contribution to the case and the cases merged into it, as of a log position, with
    what each county contributed (a county other than the handling one sees its own)."""
    case = visible(lambda: p.services.app.read_case(case_id, viewer=p.officer.actor))
    wait_for(p.services, [p.services.views.contributions], None)
    ledger = visible(
        lambda: p.services.app.case_contributions(case_id, as_of_position, viewer=p.officer.actor)
    )
    by_county: dict[str, dict[str, Any]] = {}
    for item in ledger.items:
        row = by_county.setdefault(item.county, {"county": item.county, "kinds": {}})
        row["kinds"][item.kind] = row["kinds"].get(item.kind, 0) + 1
    items = [asdict(item) for item in ledger.items]
    return p.render(
        "case_contributions.html",
        ledger=ledger,
        case=case,
        by_county=sorted(by_county.values(), key=lambda r: r["county"]),
        filters={"as_of_position": as_of_position or ""},
        **counted_page(len(items), items[offset : offset + PAGE_SIZE], offset),
    )


# --- findings -----------------------------------------------------------------------------------
@router.get("/findings")
def findings(
    p: SignedInPage,
    county: Annotated[str, Query(max_length=6)] = "",
    undecided: bool = False,
    offset: OffsetQuery = 0,
    at: At = None,
) -> Response:
    """The latest findings (a county reads its own; the committee and auditors any county's)."""
    view = p.services.views.findings
    wait_for(p.services, [view], at)
    chosen = county if county.isdigit() and len(county) == 6 else None
    total, rows = visible(
        lambda: view.list_for(p.officer.actor, chosen, undecided, limit=PAGE_SIZE, offset=offset)
    )
    return p.render(
        "findings.html",
        counties=_counties(p),
        filters={"county": county, "undecided": "true" if undecided else ""},
        **counted_page(total, rows, offset),
    )


@router.post("/findings/scan")
def scan_findings(form: SignedInForm) -> Response:
    """Record a finding for each missed deadline not recorded before (the committee)."""
    p = form.page
    views = p.services.views
    wait_for(p.services, [views.workspace, views.audit, views.bulletin_issues], None)
    try:
        scan = p.services.app.scan_for_breaches(p.ctx())
    except DomainError as e:
        view = views.findings
        total, rows = visible(lambda: view.list_for(p.officer.actor, limit=PAGE_SIZE))
        return refused(
            form,
            "findings.html",
            "f-scan",
            e.message,
            counties=_counties(p),
            filters={"county": "", "undecided": ""},
            **counted_page(total, rows, 0),
        )
    return go(p.request, with_position("/findings?undecided=true", scan.position))


@router.get("/findings/{finding_id:uuid}")
def finding_page(p: SignedInPage, finding_id: UUID, at: At = None) -> Response:
    """A finding with its evidence: the exact events by log position, the deadline, the late
    answer; and the committee's decision."""
    return _finding_page(p, finding_id)


def _finding_page(p: Page, finding_id: UUID, status: int = 200, **values: Any) -> Response:
    finding = visible(lambda: p.services.app.get_finding(finding_id, viewer=p.officer.actor))
    return p.render(
        "finding.html",
        status=status,
        finding=finding.public_state(),
        decisions=[(d, p.label("finding_decision", d)) for d in DECISIONS],
        **values,
    )


@router.post("/findings/{finding_id:uuid}/decision")
def decide_finding(form: SignedInForm, finding_id: UUID) -> Response:
    p = form.page

    return run_form(
        form,
        "f-decide",
        DecisionCreate,
        {"decision": form.get("decision"), "reason": form.get("reason")},
        lambda b: p.services.app.decide_finding(finding_id, b.decision, b.reason, p.ctx()),
        shown_again(form, lambda **shown: _finding_page(p, finding_id, **shown)),
        lambda _: f"/findings/{finding_id}",
    )


# --- joint operations ---------------------------------------------------------------------------
@router.get("/operations")
def operations(p: SignedInPage, offset: OffsetQuery = 0, at: At = None) -> Response:
    """The operations the county takes part in (all, for the committee and auditors)."""
    return _operations(p, offset, at)


def _operations(
    p: Page, offset: int = 0, at: int | None = None, status: int = 200, **values: Any
) -> Response:
    return _record_list(
        p, p.services.views.operations, "operations.html", offset, at, status, own=True, **values
    )


@router.post("/operations/new")
def plan_operation(form: SignedInForm) -> Response:
    p = form.page
    data = {
        "name": form.get("name"),
        "participants": form.lists.get("participants", []),
        "starts_on": form.get("starts_on"),
        "ends_on": form.get("ends_on"),
        "target_area": form.get("target_area"),
        "plan": form.get("plan"),
    }

    def act(b: Any) -> Written:
        return p.services.app.plan_operation(
            p.ctx(),
            name=b.name,
            participants=b.participants,
            starts_on=b.starts_on,
            ends_on=b.ends_on,
            target_area=b.target_area,
            plan=b.plan,
        )

    again = shown_again(form, lambda **shown: _operations(p, **shown))
    return run_form(
        form, "f-plan", OperationCreate, data, act, again, lambda w: f"/operations/{w.id}"
    )


@router.get("/operations/{operation_id:uuid}")
def operation_page(p: SignedInPage, operation_id: UUID, at: At = None) -> Response:
    """The operation with its results rolled up from the attached cases."""
    return _operation_page(p, operation_id, at=at)


def _operation_page(
    p: Page, operation_id: UUID, status: int = 200, at: int | None = None, **values: Any
) -> Response:
    wait_for(p.services, [p.services.views.case_search], at)
    op, results = visible(
        lambda: p.services.app.operation_report(operation_id, viewer=p.officer.actor)
    )
    return p.render(
        "operation.html", status=status, op=op.public_state(), results=results, **values
    )


def _operation_again(form: Form, operation_id: UUID) -> Callable[[str, str], Response]:
    """The operation's page again with a refusal next to the form that was sent."""
    return shown_again(form, lambda **shown: _operation_page(form.page, operation_id, **shown))


@router.post("/operations/{operation_id:uuid}/cases")
def attach_case(form: SignedInForm, operation_id: UUID) -> Response:
    """Attach a case (by number or id) the county leads, opened during the operation."""
    p = form.page
    return run_form(
        form,
        "f-attach",
        AttachedCaseCreate,
        {"case_id": _case_ref(p, form.get("case"))},
        lambda b: p.services.app.attach_case_to_operation(operation_id, b.case_id, p.ctx()),
        _operation_again(form, operation_id),
        lambda _: f"/operations/{operation_id}",
    )


@router.post("/operations/{operation_id:uuid}/conclusion")
def conclude_operation(form: SignedInForm, operation_id: UUID) -> Response:
    p = form.page
    return run_form(
        form,
        "f-conclude",
        ConclusionCreate,
        {"summary": form.get("summary")},
        lambda b: p.services.app.conclude_operation(operation_id, b.summary, p.ctx()),
        _operation_again(form, operation_id),
        lambda _: f"/operations/{operation_id}",
    )


# --- joint meetings -----------------------------------------------------------------------------
@router.get("/meetings")
def meetings(p: SignedInPage, offset: OffsetQuery = 0, at: At = None) -> Response:
    """The meetings the county attended (all, for the committee and auditors), latest first."""
    return _meetings(p, offset, at)


def _meetings(
    p: Page, offset: int = 0, at: int | None = None, status: int = 200, **values: Any
) -> Response:
    return _record_list(
        p, p.services.views.meetings, "meetings.html", offset, at, status, own=True, **values
    )


@router.post("/meetings/new")
def record_meeting(form: SignedInForm) -> Response:
    """Record a joint meeting hosted by the officer's county."""
    p = form.page
    data = {
        "held_on": form.get("held_on"),
        "attendees": form.lists.get("attendees", []),
        "minutes": form.get("minutes"),
        "decisions": _lines(form.get("decisions")),
    }

    def act(b: Any) -> Written:
        return p.services.app.record_meeting(
            p.ctx(),
            held_on=b.held_on,
            attendees=b.attendees,
            minutes=b.minutes,
            decisions=b.decisions,
        )

    again = shown_again(form, lambda **shown: _meetings(p, **shown))
    return run_form(form, "f-meeting", MeetingCreate, data, act, again, lambda _: "/meetings")


# --- price mutual inspections ---------------------------------------------------------------------
@router.get("/price-inspections")
def price_inspections(p: SignedInPage, offset: OffsetQuery = 0, at: At = None) -> Response:
    """The inspections made by or in the county (all, for the committee and auditors)."""
    return _inspections(p, offset, at)


def _inspections(
    p: Page, offset: int = 0, at: int | None = None, status: int = 200, **values: Any
) -> Response:
    return _record_list(
        p,
        p.services.views.price_inspections,
        "price_inspections.html",
        offset,
        at,
        status,
        own=False,
        **values,
    )


@router.post("/price-inspections/new")
def record_inspection(form: SignedInForm) -> Response:
    """Record a price mutual inspection in a neighbour's area."""
    p = form.page
    data = {
        "inspected_county": form.get("inspected_county"),
        "area": form.get("area"),
        "group_name": form.get("group_name"),
        "brand": form.get("brand"),
        "agreed_price": form.get("agreed_price"),
        "observed_price": form.get("observed_price"),
        "inspected_at": local_moment(p, form.get("inspected_at")),
        "note": form.get("note"),
    }

    def act(b: Any) -> Written:
        return p.services.app.record_price_inspection(
            p.ctx(),
            inspected_county=b.inspected_county,
            area=b.area,
            group_name=b.group_name,
            brand=b.brand,
            agreed_price=b.agreed_price,
            observed_price=b.observed_price,
            inspected_at=b.inspected_at,
            note=b.note,
        )

    again = shown_again(form, lambda **shown: _inspections(p, **shown))
    return run_form(
        form, "f-inspection", InspectionCreate, data, act, again, lambda _: "/price-inspections"
    )
