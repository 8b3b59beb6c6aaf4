"""The committee's pages and those every county shares with it: the rewards list and the reward
workflow (claim from the case page, proposal, adjustment into a new version within the policy's
caps, approval by a member who neither proposed nor adjusted it, payment), and the quarterly
bulletins (季度通报) with their chart, printable, and issuing one's own county's bulletin. The
same use cases as `api/routers/rewards.py` and `bulletins.py`. Contributions, findings and
joint work (operations, meetings, price inspections) are in `joint.py`."""

from __future__ import annotations

from collections.abc import Callable
from itertools import zip_longest
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from starlette.responses import Response

from api.bulletin_page import bulletin_html
from api.console.web import (
    PAGE_SIZE,
    Page,
    SignedInForm,
    SignedInPage,
    counted_page,
    go,
    refusal_status,
    run_form,
    shown_again,
    visible,
    wait_for,
)
from api.deps import OffsetQuery
from api.offload import OffloadedRoute
from api.schemas.rewards import AdjustmentCreate, ApprovalCreate, ClaimCreate, PaymentCreate
from domain.contributions import ProposalLine
from domain.errors import DomainError
from service.store import Written

router = APIRouter(route_class=OffloadedRoute, include_in_schema=False)
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
    return _bulletin(p, county, year, quarter)


def _bulletin(p: Page, county: str, year: int, quarter: int, **values: Any) -> Response:
    """The bulletin's page: its digest and the printable page it shows are of one position
    (the log may grow between the two requests)."""
    shown = visible(lambda: p.services.app.bulletin(county, year, quarter))
    return p.render(
        "bulletin.html",
        county=county,
        year=year,
        quarter=quarter,
        sha256=shown.sha256,
        as_of=shown.figures["as_of_position"],
        unit_name=shown.unit_name,
        **values,
    )


@router.get("/bulletins/{county}/{year}/{quarter}/page")
def bulletin_page(
    p: SignedInPage,
    county: County,
    year: Year,
    quarter: Quarter,
    as_of_position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """The bulletin's own printable page (the same bytes as the API's `format=html`), as of a
    log position (default: the issued one's, else the latest)."""
    shown = visible(lambda: p.services.app.bulletin(county, year, quarter, as_of_position))
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
        return _bulletin(
            p,
            county,
            year,
            quarter,
            status=refusal_status(p.request),
            errors={"f-issue": e.message},
        )
    return go(p.request, f"/bulletins/{county}/{year}/{quarter}")


# --- rewards ----------------------------------------------------------------------------------------
@router.get("/committee")
def committee(
    p: SignedInPage,
    offset: OffsetQuery = 0,
    at: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> Response:
    """The rewards, the latest changed first, and where each stands (the committee and
    auditors), a page at a time."""
    rewards = p.services.views.rewards
    wait_for(p.services, [rewards], at)
    total, rows = visible(lambda: rewards.list_for(p.officer.actor, limit=PAGE_SIZE, offset=offset))
    return p.render("committee.html", filters={}, **counted_page(total, rows, offset))


@router.get("/rewards/{reward_id:uuid}")
def reward_page(
    p: SignedInPage, reward_id: UUID, at: Annotated[int | None, Query(ge=0, le=2**62)] = None
) -> Response:
    """A reward and its next step (read from the aggregate: `at`, the position of the step just
    recorded, needs no waiting)."""
    return _reward_page(p, reward_id)


def _reward_page(p: Page, reward_id: UUID, status: int = 200, **values: object) -> Response:
    reward = visible(lambda: p.services.app.get_reward(reward_id, viewer=p.officer.actor))
    return p.render(
        "reward.html",
        status=status,
        reward=reward.public_state(),
        counties=[(c, p.county_name(c)) for c in p.units()],
        **values,
    )


@router.post("/cases/{case_id:uuid}/reward-claim")
def file_claim(form: SignedInForm, case_id: UUID) -> Response:
    """File the case's reward claim (一案一奖) from the case page."""
    from api.console.officers import _case_page

    p = form.page
    return run_form(
        form,
        "f-claim",
        ClaimCreate,
        {"case_id": case_id, "note": form.get("note")},
        lambda b: p.services.app.file_reward_claim(b.case_id, b.note, p.ctx()),
        shown_again(form, lambda **shown: _case_page(p, case_id, **shown)),
        lambda w: f"/rewards/{w.id}",
    )


def _step(
    form: SignedInForm,
    reward_id: UUID,
    form_id: str,
    model: type[BaseModel] | None,
    run: Callable[[Page, Any], Written],
    data: dict[str, Any] | None = None,
) -> Response:
    """A step of the reward through ``run_form``: ``data`` is the form shaped as the API's body
    (by default the form's fields); a refusal shows the reward again with the message next to
    the form (a form shaped by ``data`` keeps what was sent; the others show the reward's own
    figures again, such as the decided total to pay)."""
    p = form.page
    kept: dict[str, Any] = (
        {"sent": {form_id: dict(form.data)}, "sent_lists": {form_id: form.lists}}
        if data is not None
        else {}
    )
    body = data if data is not None else {k: v for k, v in form.data.items() if k != "csrf"}
    return run_form(
        form,
        form_id,
        model,
        body,
        lambda b: run(p, b),
        lambda fid, message: _reward_page(p, reward_id, errors={fid: message}, **kept),
        lambda _: f"/rewards/{reward_id}",
    )


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


def _adjusted_lines(form: SignedInForm) -> list[dict[str, Any]]:
    """The adjustment form's rows (county, officer, share, amount; one row per line) as the
    API's lines; a row left empty (the spare one) is not a line."""
    rows = zip_longest(
        *(form.lists.get(name, []) for name in ("county", "officer_id", "share", "amount")),
        fillvalue="",
    )
    return [
        {
            "county": county.strip(),
            "officer_id": officer_id.strip() or None,
            "share": share,
            "amount": amount.strip(),
        }
        for county, officer_id, share, amount in rows
        if county.strip() or amount.strip()
    ]


@router.post("/rewards/{reward_id:uuid}/adjust")
def adjust(form: SignedInForm, reward_id: UUID) -> Response:
    """A new version of the proposal with a written reason (the domain keeps it within the
    policy's caps and refuses it to the member who proposed)."""
    return _step(
        form,
        reward_id,
        "f-adjust",
        AdjustmentCreate,
        lambda p, b: p.services.app.adjust_reward(
            reward_id,
            [ProposalLine(x.county, x.officer_id, x.share, x.amount) for x in b.lines],
            b.reason,
            p.ctx(),
        ),
        data={"lines": _adjusted_lines(form), "reason": form.get("reason")},
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
