"""The committee's pages and those every county shares with it: the rewards list and the reward
workflow (claim from the case page, proposal, approval by another member, payment), and the
quarterly bulletins (季度通报) with their chart, printable, and issuing one's own county's
bulletin. The same use cases as `api/routers/rewards.py` and `bulletins.py`. Not built yet (the
API serves them): adjustments of a proposal, contributions, findings, joint operations,
meetings and price inspections."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from api.bulletin_page import bulletin_html
from api.console.web import (
    Page,
    SignedInForm,
    SignedInPage,
    go,
    input_error,
    refusal_status,
    visible,
    wait_for,
    with_position,
)
from api.schemas.rewards import ApprovalCreate, ClaimCreate, PaymentCreate
from domain.errors import DomainError

router = APIRouter(include_in_schema=False)
County = Annotated[str, Path(pattern=r"^\d{6}$")]
Year = Annotated[int, Path(ge=2000, le=2100)]
Quarter = Annotated[int, Path(ge=1, le=4)]


def _this_quarter(p: Page) -> tuple[int, int]:
    now = p.services.clock().astimezone(ZoneInfo(p.services.settings.timezone))
    return now.year, (now.month - 1) // 3 + 1


@router.get("/bulletins")
def bulletins(
    p: SignedInPage,
    county: Annotated[str, Query(max_length=6)] = "",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
) -> Response:
    """Choose a county's bulletin for a quarter; a county's officers issue their own."""
    this_year, this_quarter = _this_quarter(p)
    if county and year and quarter:
        return go(p.request, f"/bulletins/{county}/{year}/{quarter}")
    return p.render(
        "bulletins.html",
        counties=[(c, p.county_name(c)) for c in p.units()],
        year=year or this_year,
        quarter=quarter or this_quarter,
    )


@router.get("/bulletins/{county}/{year}/{quarter}")
def bulletin(p: SignedInPage, county: County, year: Year, quarter: Quarter) -> Response:
    """The bulletin inside the console, with its issue form for the county's own officers."""
    wait_for(p.services, [p.services.views.audit], None)
    shown = visible(lambda: p.services.app.bulletin(county, year, quarter))
    return p.render(
        "bulletin.html",
        county=county,
        year=year,
        quarter=quarter,
        sha256=shown.sha256,
        unit_name=shown.unit_name,
    )


@router.get("/bulletins/{county}/{year}/{quarter}/page")
def bulletin_page(p: SignedInPage, county: County, year: Year, quarter: Quarter) -> Response:
    """The bulletin's own printable page (the same bytes as the API's `format=html`)."""
    shown = visible(lambda: p.services.app.bulletin(county, year, quarter))
    page = bulletin_html(shown.figures, shown.unit_name)
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"X-Bulletin-SHA256": shown.sha256, "Cache-Control": "no-store"},
    )


@router.post("/bulletins/{year}/{quarter}/issue")
def issue(form: SignedInForm, year: Year, quarter: Quarter) -> Response:
    p = form.page
    county = p.officer.county
    try:
        p.services.app.issue_bulletin(year, quarter, p.ctx())
    except DomainError as e:
        shown = visible(lambda: p.services.app.bulletin(county, year, quarter))
        return p.render(
            "bulletin.html",
            status=refusal_status(p.request),
            county=county,
            year=year,
            quarter=quarter,
            sha256=shown.sha256,
            unit_name=shown.unit_name,
            errors={"f-issue": e.message},
        )
    return go(p.request, f"/bulletins/{county}/{year}/{quarter}")


# --- rewards ----------------------------------------------------------------------------------------
@router.get("/committee")
def committee(p: SignedInPage, at: Annotated[int | None, Query(ge=0, le=2**62)] = None) -> Response:
    """The latest rewards and where each stands (the committee and auditors)."""
    rewards = p.services.views.rewards
    wait_for(p.services, [rewards], at)
    rows = visible(lambda: rewards.list_for(p.officer.actor))
    return p.render("committee.html", rows=rows)


@router.get("/rewards/{reward_id:uuid}")
def reward_page(
    p: SignedInPage, reward_id: UUID, at: Annotated[int | None, Query(ge=0, le=2**62)] = None
) -> Response:
    """A reward and its next step (read from the aggregate: `at`, the position of the step just
    recorded, needs no waiting)."""
    return _reward_page(p, reward_id)


def _reward_page(p: Page, reward_id: UUID, status: int = 200, **values: object) -> Response:
    reward = visible(lambda: p.services.app.get_reward(reward_id, viewer=p.officer.actor))
    return p.render("reward.html", status=status, reward=reward.public_state(), **values)


@router.post("/cases/{case_id:uuid}/reward-claim")
def file_claim(form: SignedInForm, case_id: UUID) -> Response:
    """File the case's reward claim (一案一奖) from the case page."""
    p = form.page
    try:
        body = ClaimCreate.model_validate({"case_id": case_id, "note": form.get("note")})
        written = p.services.app.file_reward_claim(body.case_id, body.note, p.ctx())
    except (ValidationError, DomainError) as e:
        message = input_error(p._, e) if isinstance(e, ValidationError) else e.message
        from api.console.officers import _case_page

        return _case_page(
            p,
            case_id,
            status=refusal_status(p.request),
            errors={"f-claim": message},
            sent={"f-claim": dict(form.data)},
        )
    return go(p.request, f"/rewards/{written.id}")


def _step(
    form: SignedInForm, reward_id: UUID, form_id: str, model: type[BaseModel] | None, run: object
) -> Response:
    p = form.page
    try:
        body = (
            model.model_validate({k: v for k, v in form.data.items() if k != "csrf"})
            if model
            else None
        )
        written = run(p, body)  # type: ignore[operator]
    except ValidationError as e:
        return _reward_page(
            p, reward_id, refusal_status(p.request), errors={form_id: input_error(p._, e)}
        )
    except DomainError as e:
        return _reward_page(p, reward_id, refusal_status(p.request), errors={form_id: e.message})
    return go(p.request, with_position(f"/rewards/{reward_id}", written.position))


@router.post("/rewards/{reward_id:uuid}/propose")
def propose(form: SignedInForm, reward_id: UUID) -> Response:
    return _step(
        form,
        reward_id,
        "f-propose",
        None,
        lambda p, b: p.services.app.propose_reward(reward_id, p.ctx()),
    )


@router.post("/rewards/{reward_id:uuid}/approve")
def approve(form: SignedInForm, reward_id: UUID) -> Response:
    return _step(
        form,
        reward_id,
        "f-approve",
        ApprovalCreate,
        lambda p, b: p.services.app.approve_reward(reward_id, b.reason, p.ctx()),
    )


@router.post("/rewards/{reward_id:uuid}/pay")
def pay(form: SignedInForm, reward_id: UUID) -> Response:
    return _step(
        form,
        reward_id,
        "f-pay",
        PaymentCreate,
        lambda p, b: p.services.app.record_reward_payment(
            reward_id, b.amount, b.paid_on, b.reference, p.ctx()
        ),
    )
