"""Officers' pages: the county workspace, the lead register and a lead with every action, case
search and a case with every action and its timeline. Each page calls the same use cases and
view queries as the API routers (`api/routers/leads.py`, `cases.py`, `views.py`), with the same
request models checking the input; a refusal shows the domain's message next to the form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

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
)
from api.deps import OffsetQuery
from api.offload import OffloadedRoute
from api.present import (
    case_public,
    case_summary_public,
    event_public,
    lead_public,
)
from api.routers.cases import case_seizures
from api.schemas import (
    AssistanceAnswer,
    AssistanceCreate,
    CaseClosureCreate,
    CaseCreate,
    CoHandlerInvitation,
    CorroborationCreate,
    FeedbackCreate,
    LeadClosureCreate,
    LeadConversion,
    LeadCreate,
    MergeCreate,
    PoliceAcceptanceCreate,
    PoliceReferralCreate,
    ReasonBody,
    ReferralCreate,
    SeizureCreate,
    ShareCreate,
)
from domain.access import (
    case_list_scope,
    case_list_visibility,
    lead_list_scope,
    require_workspace_reader,
)
from domain.case_summary import CaseSummary
from domain.errors import NotFound
from domain.values import (
    CaseOutcome,
    CaseType,
    CorroborationResult,
    Disposition,
    LeadClosure,
    LeadSource,
    LeadStatus,
    PriceBasis,
    QuantityUnit,
    to_sticks,
)
from projections.workspace import county_workspace
from service.store import Written

router = APIRouter(route_class=OffloadedRoute, include_in_schema=False)
At = Annotated[int | None, Query(ge=0, le=2**62)]


# --- the county workspace ------------------------------------------------------------------------
#: The workspace page shows the soonest deadlines first, this many (all open ones on request):
#: rendering hundreds of rows is what made the page slow, not reading them.
WORKSPACE_ITEMS = 50
WORKSPACE_CASES = 20
#: Timeline events and seizures a case page shows (the latest; `?full=true` shows all).
CASE_ROWS = 50


@router.get("/workspace")
def workspace(p: SignedInPage, at: At = None, every: bool = False) -> Response:
    """What the county must act on, soonest deadline first, overdue marked (the workspace view)."""
    county = p.officer.county
    visible(lambda: require_workspace_reader(p.officer.actor, county))
    views = p.services.views
    wait_for(p.services, [views.workspace, views.case_search], at)
    limit = 1000 if every else WORKSPACE_ITEMS
    data = county_workspace(
        views.workspace, views.case_search, county, p.services.clock(), limit=limit
    )
    return p.render("workspace.html", ws=data, every=every, case_limit=WORKSPACE_CASES)


# --- leads ----------------------------------------------------------------------------------------
@router.get("/leads")
def lead_register(
    p: SignedInPage,
    county: Annotated[str, Query(max_length=6)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    source: Annotated[str, Query(max_length=30)] = "",
    referral: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    offset: OffsetQuery = 0,
    at: At = None,
) -> Response:
    """The lead register (read model): the leads this person may see, filtered and searched."""
    register = p.services.views.leads
    wait_for(p.services, [register], at)
    filters = {"county": county, "status": status, "source": source, "referral": referral, "q": q}
    total, rows = register.search(
        visible_to=lead_list_scope(p.officer.actor),
        county=county if county.isdigit() and len(county) == 6 else None,
        status=status if status in set(LeadStatus) else None,
        source=source if source in set(LeadSource) else None,
        referral=referral
        if referral in {"none", "pending", "accepted", "declined", "withdrawn"}
        else None,
        text=q.replace("\x00", "") or None,
        limit=PAGE_SIZE,
        offset=offset,
    )
    return p.render(
        "leads.html",
        **counted_page(total, rows, offset, q),
        filters=filters,
        options=_options(p),
    )


@router.get("/leads/new")
def new_lead_page(p: SignedInPage) -> Response:
    return p.render("lead_new.html", options=_options(p))


@router.post("/leads/new")
def register_lead(form: SignedInForm) -> Response:
    p = form.page
    data: dict[str, Any] = {
        "summary": form.get("summary"),
        "source": form.get("source"),
        "place_county": form.get("place_county"),
        "place_detail": form.get("place_detail"),
        "suspected_parties": [
            s.strip() for s in form.get("suspected_parties").split("\n") if s.strip()
        ],
        "informant": form.get("informant").strip() or None,
        "received_at": local_moment(p, form.get("received_at")),
    }

    def act(body: Any) -> Written:
        return p.services.app.register_lead(
            p.ctx(),
            summary=body.summary,
            source=body.source,
            place_county=body.place_county,
            place_detail=body.place_detail,
            suspected_parties=body.suspected_parties,
            informant=body.informant,
            received_at=body.received_at,
        )

    def again(status_form_id: str, message: str) -> Response:
        return refused(form, "lead_new.html", status_form_id, message, options=_options(p))

    return run_form(form, "f-new-lead", LeadCreate, data, act, again, lambda w: f"/leads/{w.id}")


@router.get("/leads/{lead_id:uuid}")
def lead_page(
    p: SignedInPage,
    lead_id: UUID,
    version: Annotated[int | None, Query(ge=1, le=10**9)] = None,
    at: At = None,
) -> Response:
    return _lead_page(p, lead_id, version=version)


def _lead_page(
    p: Page, lead_id: UUID, status: int = 200, version: int | None = None, **values: Any
) -> Response:
    lead = visible(
        lambda: p.services.app.get_lead(lead_id, version=version, viewer=p.officer.actor)
    )
    return p.render(
        "lead.html",
        status=status,
        lead=lead_public(lead),
        options=_options(p),
        past=version is not None,
        **values,
    )


def _lead_form_data(p: Page, action: str, form: Form) -> dict[str, Any]:
    if action == "share":
        return {"counties": form.lists.get("counties", []), "reason": form.get("reason")}
    if action == "feedback":
        return {"content": form.get("content"), "final": form.get("final") == "on"}
    if action == "convert":
        return {
            "case_type": form.get("case_type"),
            "title": form.get("title"),
            "summary": form.get("summary"),
            "opened_at": local_moment(p, form.get("opened_at")),
        }
    if action == "close":
        return {
            "closure": form.get("closure"),
            "reason": form.get("reason"),
            "merged_into_lead": form.get("merged_into_lead").strip() or None,
        }
    return {k: v for k, v in form.data.items() if k not in {"csrf", "county"}}


#: Each lead action: its request model (the API's) and the use case it calls.
LEAD_ACTIONS: dict[str, tuple[type[BaseModel] | None, Callable[..., Written]]] = {
    "refer": (ReferralCreate, lambda a, i, b, c, f: a.refer_lead(i, b.to_county, b.reason, c)),
    "accept": (None, lambda a, i, b, c, f: a.accept_referral(i, c, county=f.get("county"))),
    "decline": (
        ReasonBody,
        lambda a, i, b, c, f: a.decline_referral(i, b.reason, c, county=f.get("county")),
    ),
    "withdraw": (
        ReasonBody,
        lambda a, i, b, c, f: a.withdraw_referral(i, f.get("county"), b.reason, c),
    ),
    "share": (ShareCreate, lambda a, i, b, c, f: a.share_lead(i, b.counties, b.reason, c)),
    "feedback": (FeedbackCreate, lambda a, i, b, c, f: a.give_feedback(i, b.content, b.final, c)),
    "corroborate": (
        CorroborationCreate,
        lambda a, i, b, c, f: a.corroborate_lead(i, b.result, b.note, c),
    ),
    "convert": (
        LeadConversion,
        lambda a, i, b, c, f: a.convert_lead(
            i, c, case_type=b.case_type, title=b.title, summary=b.summary, opened_at=b.opened_at
        ),
    ),
    "close": (
        LeadClosureCreate,
        lambda a, i, b, c, f: a.close_lead(i, b.closure, b.reason, c, b.merged_into_lead),
    ),
}


@router.post("/leads/{lead_id:uuid}/{action}")
def lead_action(
    form: SignedInForm,
    lead_id: UUID,
    action: Literal[
        "refer",
        "accept",
        "decline",
        "withdraw",
        "share",
        "feedback",
        "corroborate",
        "convert",
        "close",
    ],
) -> Response:
    p = form.page
    model, call = LEAD_ACTIONS[action]
    per_referral = action in {"accept", "decline", "withdraw"} and form.get("county")
    form_id = f"f-{action}" + (f"-{form.get('county')}" if per_referral else "")

    again = shown_again(form, lambda **shown: _lead_page(p, lead_id, **shown))

    def next_url(written: Written) -> str:
        if action == "convert":
            return f"/cases/{written.id}"
        return f"/leads/{lead_id}"

    return run_form(
        form,
        form_id,
        model,
        _lead_form_data(p, action, form),
        lambda body: call(p.services.app, lead_id, body, p.ctx(), form),
        again,
        next_url,
    )


# --- cases ------------------------------------------------------------------------------------------
@router.get("/cases")
def case_search(
    p: SignedInPage,
    county: Annotated[str, Query(max_length=6)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    case_type: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=20)] = "recorded_at",
    offset: OffsetQuery = 0,
    at: At = None,
) -> Response:
    """Case search (read model): the cases this person may see."""
    view = p.services.views.case_search
    wait_for(p.services, [view], at)
    filters = {"county": county, "status": status, "case_type": case_type, "q": q, "sort": sort}
    total, rows = view.search(
        county=county if county.isdigit() and len(county) == 6 else None,
        visible_to=case_list_scope(p.officer.actor),
        status=status if status in {"open", "closed", "merged"} else None,
        case_type=case_type if case_type in set(CaseType) else None,
        text=q.replace("\x00", "") or None,
        sort=sort
        if sort in {"recorded_at", "opened_at", "modified_at", "number", "value"}
        else "recorded_at",
        descending=True,
        limit=PAGE_SIZE,
        offset=offset,
        most=case_list_visibility(p.officer.actor),
    )
    return p.render(
        "cases.html",
        **counted_page(total, rows, offset, q),
        filters=filters,
        options=_options(p),
    )


@router.get("/cases/new")
def new_case_page(p: SignedInPage) -> Response:
    return p.render("case_new.html", options=_options(p))


@router.post("/cases/new")
def open_case(form: SignedInForm) -> Response:
    p = form.page
    leads = [s.strip() for s in form.get("lead_ids").replace(",", "\n").split("\n") if s.strip()]
    data = {
        "case_type": form.get("case_type"),
        "title": form.get("title"),
        "summary": form.get("summary"),
        "lead_ids": leads,
        "opened_at": local_moment(p, form.get("opened_at")),
    }

    def act(body: Any) -> Written:
        return p.services.app.open_case(
            p.ctx(),
            case_type=body.case_type,
            title=body.title,
            summary=body.summary,
            lead_ids=body.lead_ids,
            opened_at=body.opened_at,
        )

    def again(fid: str, message: str) -> Response:
        return refused(form, "case_new.html", fid, message, options=_options(p))

    return run_form(form, "f-new-case", CaseCreate, data, act, again, lambda w: f"/cases/{w.id}")


@router.get("/cases/by-number/{number}")
def case_by_number(p: SignedInPage, number: str) -> Response:
    case = visible(lambda: p.services.app.find_case_number(number, viewer=p.officer.actor))
    return go(p.request, f"/cases/{case.id}")


@router.get("/cases/{case_id:uuid}")
def case_page(
    p: SignedInPage,
    case_id: UUID,
    version: Annotated[int | None, Query(ge=1, le=10**9)] = None,
    at: At = None,
    full: bool = False,
) -> Response:
    return _case_page(p, case_id, at=at, version=version, full=full)


def _case_page(
    p: Page,
    case_id: UUID,
    status: int = 200,
    at: int | None = None,
    version: int | None = None,
    full: bool = False,
    **values: Any,
) -> Response:
    app = p.services.app
    seen = visible(lambda: app.read_case(case_id, version=version, viewer=p.officer.actor))
    if isinstance(seen, CaseSummary):
        # Only the summary, and the invitation, requests and proposals to answer: no
        # seizures, files, history or timeline.
        return p.render(
            "case_summary.html",
            status=status,
            case=case_summary_public(seen),
            options=_options(p),
            **values,
        )
    case = seen
    audit = p.services.views.audit
    wait_for(p.services, [audit], at)
    # A long case shows its latest events and seizures (the totals count every one), with a
    # link to the whole: a page of every row is slow to make and to read.
    bound = None if full else CASE_ROWS + 1
    rows = audit.timeline(case_id, visible_to=case_list_scope(p.officer.actor), last=bound)
    seizures = case_seizures(p.services, case)
    cut = not full and len(rows) > CASE_ROWS
    timeline = [event_public(row) for row in (rows if full else rows[-CASE_ROWS:])]
    current = version is None
    shown = case_public(
        case,
        seizures if full else seizures[-CASE_ROWS:],
        app.police_advice(case_id, loaded=case) if current else None,
    )
    return p.render(
        "case.html",
        status=status,
        case=shown,
        seizure_count=len(seizures),
        timeline=timeline,
        cut=cut,
        options=_options(p),
        past=not current,
        **values,
    )


def _seizure_data(p: Page, form: Form) -> dict[str, Any]:
    return {
        "brand": form.get("brand"),
        "specification": form.get("specification"),
        "quantity": form.get("quantity") or "0",
        "unit": form.get("unit") or "stick",
        "value": form.get("value") or "0",
        "price_basis": form.get("price_basis"),
        "disposition": form.get("disposition") or "unsold",
        "place": form.get("place"),
        "seized_at": local_moment(p, form.get("seized_at")),
    }


def _case_form_data(p: Page, action: str, form: Form) -> dict[str, Any]:
    if action == "seizure":
        return _seizure_data(p, form)
    if action == "assistance":
        return {
            "to_county": form.get("to_county"),
            "request": form.get("request"),
            "due": local_moment(p, form.get("due")),
        }
    if action == "police-referral":
        return {
            "police_unit": form.get("police_unit"),
            "referred_on": local_moment(p, form.get("referred_on")),
            "reason": form.get("reason"),
        }
    if action == "police-acceptance":
        return {
            "accepted_on": local_moment(p, form.get("accepted_on")),
            "police_case_number": form.get("police_case_number"),
        }
    if action in {"merge", "decline-merge"}:
        return {"survivor_id": _case_ref(p, form.get("survivor")), "reason": form.get("reason")}
    if action == "invite":
        return {"county": form.get("county"), "note": form.get("note")}
    return {k: v for k, v in form.data.items() if k not in {"csrf", "county", "request_id"}}


def _case_ref(p: Page, text: str) -> str:
    """A case named by id or by number (a number names only a case this person may see)."""
    text = text.strip()
    if text.count("-") == 2 and len(text) <= 25:
        try:
            return str(p.services.app.find_case_number(text, viewer=p.officer.actor).id)
        except NotFound:
            return text
    return text


CASE_ACTIONS: dict[str, tuple[type[BaseModel] | None, Callable[..., Written]]] = {
    "seizure": (
        SeizureCreate,
        lambda a, i, b, c, f: a.record_seizure(
            i,
            c,
            brand=b.brand,
            sticks=to_sticks(b.quantity, b.unit),
            value=b.value,
            price_basis=b.price_basis,
            seized_at=b.seized_at,
            specification=b.specification,
            place=b.place,
            disposition=b.disposition,
        ),
    ),
    "invite": (
        CoHandlerInvitation,
        lambda a, i, b, c, f: a.invite_co_handler(i, b.county, b.note, c),
    ),
    "accept-co-handling": (
        None,
        lambda a, i, b, c, f: a.accept_co_handling(i, c, county=f.get("county")),
    ),
    "decline-co-handling": (
        ReasonBody,
        lambda a, i, b, c, f: a.decline_co_handling(i, b.reason, c, county=f.get("county")),
    ),
    "assistance": (
        AssistanceCreate,
        lambda a, i, b, c, f: a.request_assistance(i, b.to_county, b.request, c, b.due),
    ),
    "answer-assistance": (
        AssistanceAnswer,
        lambda a, i, b, c, f: a.answer_assistance(i, _uuid(f.get("request_id")), b.answer, c),
    ),
    "merge": (MergeCreate, lambda a, i, b, c, f: a.merge_cases(i, b.survivor_id, b.reason, c)),
    "decline-merge": (
        MergeCreate,
        lambda a, i, b, c, f: a.decline_merge(i, b.survivor_id, b.reason, c),
    ),
    "unmerge": (ReasonBody, lambda a, i, b, c, f: a.unmerge_case(i, b.reason, c)),
    "police-referral": (
        PoliceReferralCreate,
        lambda a, i, b, c, f: a.refer_to_police(i, b.police_unit, b.referred_on, b.reason, c),
    ),
    "police-acceptance": (
        PoliceAcceptanceCreate,
        lambda a, i, b, c, f: a.record_police_acceptance(i, b.accepted_on, b.police_case_number, c),
    ),
    "close": (CaseClosureCreate, lambda a, i, b, c, f: a.close_case(i, b.outcome, b.reason, c)),
    "reopen": (ReasonBody, lambda a, i, b, c, f: a.reopen_case(i, b.reason, c)),
}


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise NotFound("no such assistance request") from None


@router.post("/cases/{case_id:uuid}/{action}")
def case_action(
    form: SignedInForm,
    case_id: UUID,
    action: Literal[
        "seizure",
        "invite",
        "accept-co-handling",
        "decline-co-handling",
        "assistance",
        "answer-assistance",
        "merge",
        "decline-merge",
        "unmerge",
        "police-referral",
        "police-acceptance",
        "close",
        "reopen",
    ],
) -> Response:
    p = form.page
    model, call = CASE_ACTIONS[action]
    suffix = {
        "accept-co-handling": form.get("county"),
        "decline-co-handling": form.get("county"),
        "answer-assistance": form.get("request_id"),
        "merge": form.get("survivor_key"),
        "decline-merge": form.get("survivor_key"),
    }.get(action)
    form_id = f"f-{action}" + (f"-{suffix}" if suffix else "")

    again = shown_again(form, lambda **shown: _case_page(p, case_id, **shown))

    return run_form(
        form,
        form_id,
        model,
        _case_form_data(p, action, form),
        lambda body: call(p.services.app, case_id, body, p.ctx(), form),
        again,
        lambda written: f"/cases/{case_id}",
    )


# --- shared -------------------------------------------------------------------------------------------
def _options(p: Page) -> dict[str, list[tuple[str, str]]]:
    """The choices of the forms, labelled in the page's language."""
    units = p.units()

    def labelled(kind: str, values: Any) -> list[tuple[str, str]]:
        return [(str(v), p.label(kind, v)) for v in values]

    return {
        "counties": [(code, p.county_name(code)) for code in units],
        "other_counties": [(c, p.county_name(c)) for c in units if c != p.officer.county],
        "sources": labelled("source", LeadSource),
        "lead_statuses": labelled("lead_status", LeadStatus),
        "referral_states": labelled(
            "referral", ["none", "pending", "accepted", "declined", "withdrawn"]
        ),
        "closures": labelled("closure", LeadClosure),
        "corroborations": labelled("corroboration", CorroborationResult),
        "case_types": labelled("case_type", CaseType),
        "case_statuses": labelled("case_status", ["open", "closed", "merged"]),
        "outcomes": labelled("outcome", CaseOutcome),
        "price_bases": labelled("price_basis", PriceBasis),
        "dispositions": labelled("disposition", Disposition),
        "units": labelled(
            "unit",
            [
                QuantityUnit.STICK,
                QuantityUnit.CARTON,
                QuantityUnit.PIECE,
                QuantityUnit.CASE,
                QuantityUnit.PACK,
            ],
        ),
    }
