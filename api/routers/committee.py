"""Contributions, rewards, accountability findings, joint operations, joint meetings, price
inspections and quarterly bulletins. The committee decides; auditors read; a county sees its
own ledger and bulletins."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response

from api.deps import (
    CurrentOfficer,
    RequestContext,
    Services,
    ServicesDep,
    WriteDep,
    require_roles,
)
from api.errors import ApiProblem
from api.jsonresp import JSONResponse
from api.schemas import (
    NO_NUL,
    County,
    IsoDate,
    IsoDateTime,
    Reason,
    ShortText,
    WriteResult,
    example,
)
from api.waiting import WaitFor, await_views
from domain.accountability import DECISIONS
from domain.case import Case
from domain.reward_policy import PolicyError, RewardPolicy
from domain.reward_proposal import ProposalLine, compute_proposal
from domain.values import Role
from projections.accountability import scan
from projections.bulletins import Quarter, bulletin_data, bulletin_html, bulletin_json, digest
from projections.committee import as_contributions, case_value

router = APIRouter(prefix="/v1", tags=["committee"])
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=NO_NUL)]


def policy(services: Services) -> RewardPolicy:
    try:
        return RewardPolicy.load(services.settings.reward_policy)
    except PolicyError as e:
        raise ApiProblem(503, str(e), "reward-policy-invalid") from None


def _views_position(services: Services) -> int:
    return services.views.committee.position()


# --- contributions -----------------------------------------------------------------------------
@router.get("/cases/{case_id}/contributions")
def case_contributions(
    case_id: UUID,
    services: ServicesDep,
    officer: CurrentOfficer,
    as_of_position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    wait_for: WaitFor = None,
) -> JSONResponse:
    """Every contribution to the case and to the cases merged into it (with their original
    counties), as of a log position (default: what the ledger has reached)."""
    case = services.app.get_case(case_id, viewer=officer.actor)
    await_views(services, [services.views.committee], wait_for)
    at = min(as_of_position or _views_position(services), _views_position(services))
    rows = services.views.committee.case_ledger(case_id, at)
    if officer.role not in (Role.COMMITTEE, Role.AUDITOR) and officer.county != case.county:
        rows = [r for r in rows if r["county"] == officer.county]
    return JSONResponse(
        {"case_id": case_id, "as_of_position": at, "value": case_value(rows), "items": rows}
    )


@router.get("/contributions")
def county_contributions(
    services: ServicesDep,
    officer: CurrentOfficer,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    wait_for: WaitFor = None,
) -> JSONResponse:
    """A county's contribution ledger (its own, unless committee or auditor)."""
    county = county or officer.county
    if county != officer.county and officer.role not in (Role.COMMITTEE, Role.AUDITOR):
        raise ApiProblem(403, "a county sees its own ledger", "permission-denied")
    await_views(services, [services.views.committee], wait_for)
    rows = services.views.committee.county_ledger(county, after, limit)
    return JSONResponse(
        {"county": county, "items": rows, "next_after": rows[-1]["position"] if rows else after}
    )


# --- rewards -------------------------------------------------------------------------------------
class ClaimCreate(BaseModel):
    model_config = example(case_id="6f1c1e0a-7d8e-4d55-9d64-0f0c7a1b2c3d", note="一案一奖")
    case_id: UUID
    note: ShortText = ""


class ApprovalCreate(BaseModel):
    model_config = example(reason="figures checked against the ledger")
    reason: Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)] = ""


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county: County
    officer_id: Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)] | None = None
    share: Literal["lead_provider", "handling", "co_handler"]
    amount: Decimal = Field(ge=0, le=10**9)


class AdjustmentCreate(BaseModel):
    model_config = example(
        lines=[{"county": "140221", "officer_id": None, "share": "handling", "amount": "3000.00"}],
        reason="the co-handler's share was agreed at the joint meeting of 2026-04-02",
    )
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    reason: Reason


class PaymentCreate(BaseModel):
    model_config = example(amount="3000.00", paid_on="2026-05-10", reference="付款凭证 2026-117")
    amount: Decimal = Field(ge=0, le=10**9)
    paid_on: IsoDate
    reference: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]


def _entitled(services: Services, case: Case, at: int) -> set[str]:
    """Who files the claim: for a cross-county case the referring party (the units that
    provided and referred its leads), otherwise the handling county."""
    rows = services.views.committee.case_ledger(case.id, at)
    providers = {
        r["county"]
        for r in rows
        if r["kind"] in ("lead_registered", "lead_referred") and r["county"] != case.county
    }
    return providers or {case.county}


def _reward_body(services: Services, reward_id: UUID) -> dict[str, Any]:
    return services.app.get_reward(reward_id).public_state()


@router.post("/rewards", status_code=201, response_model=WriteResult)
def file_claim(body: ClaimCreate, w: WriteDep) -> object:
    """File the reward claim for a case (one per case; the referring party files it for a
    cross-county case)."""
    app = w.services.app
    case = app.get_case(body.case_id, viewer=w.officer.actor)
    entitled = _entitled(w.services, case, _views_position(w.services))
    return w.run(
        lambda: app.file_reward_claim(case.id, entitled, body.note, w.ctx),
        status=201,
        location=lambda written: f"/v1/rewards/{written.id}",
    )


@router.get("/rewards/{reward_id}")
def get_reward(reward_id: UUID, services: ServicesDep, officer: CurrentOfficer) -> JSONResponse:
    reward = services.app.get_reward(reward_id)
    if officer.role not in (Role.COMMITTEE, Role.AUDITOR):
        services.app.get_case(reward.case_id, viewer=officer.actor)
    return JSONResponse(reward.public_state(), headers={"ETag": f'"{reward.version}"'})


@router.get("/rewards")
def list_rewards(
    services: ServicesDep,
    officer: CurrentOfficer,
    status: Literal["claimed", "proposed", "approved", "paid"] | None = None,
    wait_for: WaitFor = None,
) -> JSONResponse:
    require_roles(officer, Role.COMMITTEE, Role.AUDITOR)
    await_views(services, [services.views.committee], wait_for)
    rows = services.views.committee.query(
        "SELECT * FROM rewards WHERE %(status)s::text IS NULL OR status = %(status)s"
        " ORDER BY updated_at DESC LIMIT 500",
        {"status": status},
    )
    return JSONResponse({"items": rows})


@router.post("/rewards/{reward_id}/proposal", response_model=WriteResult)
def propose(reward_id: UUID, w: WriteDep) -> object:
    """Compute the proposal from the policy and the case's contributions as of the ledger's
    current position; the policy version and position are recorded with it."""
    require_roles(w.officer, Role.COMMITTEE)
    services = w.services
    reward = services.app.get_reward(reward_id)
    case = services.app.get_case(reward.case_id)
    rules = policy(services)
    at = _views_position(services)
    proposal = proposal_as_of(services, case, rules, at)
    return w.run(
        lambda: services.app.propose_reward(
            reward_id, rules, proposal, at, w.ctx, w.expected_version
        ),
        body=lambda _: _reward_body(services, reward_id),
    )


def proposal_as_of(services: Services, case: Case, rules: RewardPolicy, at: int) -> Any:
    rows = services.views.committee.case_ledger(case.id, at)
    co_handlers = sorted(
        {r["county"] for r in rows if r["kind"] in ("case_co_handled", "case_led")} - {case.county}
    )
    return compute_proposal(
        rules, case_value(rows), case.county, co_handlers, as_contributions(rows)
    )


@router.get("/rewards/{reward_id}/recomputation")
def recompute(reward_id: UUID, services: ServicesDep, officer: CurrentOfficer) -> JSONResponse:
    """Recomputes the recorded proposal from the events as of its log position with the same
    policy file: the figures must match (reproducible decisions)."""
    require_roles(officer, Role.COMMITTEE, Role.AUDITOR)
    reward = services.app.get_reward(reward_id)
    if reward.proposal is None:
        raise ApiProblem(409, "the reward has no proposal yet", "reward-step-out-of-order")
    rules = policy(services)
    recorded = reward.proposal
    same_policy = rules.digest == recorded["policy_digest"]
    again = proposal_as_of(
        services, services.app.get_case(reward.case_id), rules, recorded["as_of_position"]
    )
    lines = [line.as_dict() for line in again.lines]
    return JSONResponse(
        {
            "reward_id": reward_id,
            "as_of_position": recorded["as_of_position"],
            "policy_version": recorded["policy_version"],
            "same_policy_file": same_policy,
            "recorded": {"total": str(recorded["total"]), "lines": recorded["lines"]},
            "recomputed": {"total": str(again.total), "lines": lines},
            "matches": str(again.total) == str(recorded["total"]) and lines == recorded["lines"],
        }
    )


@router.post("/rewards/{reward_id}/approval", response_model=WriteResult)
def approve(reward_id: UUID, body: ApprovalCreate, w: WriteDep) -> object:
    """Approve the proposal as computed (not by the member who proposed it)."""
    require_roles(w.officer, Role.COMMITTEE)
    return w.run(
        lambda: w.services.app.approve_reward(reward_id, body.reason, w.ctx, w.expected_version),
        body=lambda _: _reward_body(w.services, reward_id),
    )


@router.post("/rewards/{reward_id}/adjustment", response_model=WriteResult)
def adjust(reward_id: UUID, body: AdjustmentCreate, w: WriteDep) -> object:
    """Decide different figures, with a written reason (not by the member who proposed)."""
    require_roles(w.officer, Role.COMMITTEE)
    lines = [ProposalLine(x.county, x.officer_id, x.share, x.amount) for x in body.lines]
    return w.run(
        lambda: w.services.app.adjust_reward(
            reward_id, lines, body.reason, w.ctx, w.expected_version
        ),
        body=lambda _: _reward_body(w.services, reward_id),
    )


@router.post("/rewards/{reward_id}/payment", response_model=WriteResult)
def pay(reward_id: UUID, body: PaymentCreate, w: WriteDep) -> object:
    """Record the payment of the decided reward."""
    require_roles(w.officer, Role.COMMITTEE)
    return w.run(
        lambda: w.services.app.record_reward_payment(
            reward_id, body.amount, body.paid_on, body.reference, w.ctx, w.expected_version
        ),
        body=lambda _: _reward_body(w.services, reward_id),
    )


@router.get("/policies/current")
def current_policy(services: ServicesDep, officer: CurrentOfficer) -> JSONResponse:
    return JSONResponse(policy(services).model_dump(mode="json"))


# --- accountability ------------------------------------------------------------------------------
class DecisionCreate(BaseModel):
    model_config = example(decision="reminder", reason="first late acknowledgement this year")
    decision: Literal[DECISIONS]  # type: ignore[valid-type]
    reason: Reason


@router.post("/findings/scan")
def scan_findings(
    services: ServicesDep, officer: CurrentOfficer, ctx: RequestContext
) -> JSONResponse:
    """Record a finding for each missed deadline not recorded before (committee)."""
    require_roles(officer, Role.COMMITTEE)
    first = services.views.audit.query("SELECT min(recorded_at) AS t FROM audit_events")[0]["t"]
    now = services.clock()
    position, candidates = scan(
        services.views,
        [u.code for u in services.app.list_jurisdictions()],
        now,
        services.app.timezone,
        services.settings.bulletin_grace_days,
        first or now,
    )
    recorded = services.app.record_findings(candidates, ctx)
    return JSONResponse(
        {
            "scanned_at_position": position,
            "breaches": len(candidates),
            "recorded": [str(w.id) for w in recorded],
            "position": recorded[-1].position if recorded else position,
        }
    )


@router.get("/findings")
def list_findings(
    services: ServicesDep,
    officer: CurrentOfficer,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    undecided: bool = False,
    wait_for: WaitFor = None,
) -> JSONResponse:
    if officer.role not in (Role.COMMITTEE, Role.AUDITOR):
        if county not in (None, officer.county):
            raise ApiProblem(403, "a county sees its own findings", "permission-denied")
        county = officer.county
    await_views(services, [services.views.committee], wait_for)
    rows = services.views.committee.query(
        "SELECT * FROM findings WHERE (%(county)s::text IS NULL OR county = %(county)s)"
        " AND (NOT %(undecided)s OR decision IS NULL) ORDER BY found_at DESC LIMIT 500",
        {"county": county, "undecided": undecided},
    )
    return JSONResponse({"items": rows})


@router.get("/findings/{finding_id}")
def get_finding(finding_id: UUID, services: ServicesDep, officer: CurrentOfficer) -> JSONResponse:
    finding = services.app.get_finding(finding_id)
    if officer.role not in (Role.COMMITTEE, Role.AUDITOR) and finding.county != officer.county:
        raise ApiProblem(404, f"no finding {finding_id}", "not-found")
    return JSONResponse(finding.public_state(), headers={"ETag": f'"{finding.version}"'})


@router.post("/findings/{finding_id}/decision", response_model=WriteResult)
def decide(finding_id: UUID, body: DecisionCreate, w: WriteDep) -> object:
    require_roles(w.officer, Role.COMMITTEE)
    return w.run(
        lambda: w.services.app.decide_finding(
            finding_id, body.decision, body.reason, w.ctx, w.expected_version
        )
    )


# --- joint operations, meetings, price inspections ---------------------------------------------
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


class AttachCase(BaseModel):
    model_config = example(case_id="6f1c1e0a-7d8e-4d55-9d64-0f0c7a1b2c3d")
    case_id: UUID


class Conclusion(BaseModel):
    model_config = example(summary="12 cases, 40箱 seized; two networks referred to police")
    summary: Text


@router.post("/joint-operations", status_code=201, response_model=WriteResult)
def plan_operation(body: OperationCreate, w: WriteDep) -> object:
    return w.run(
        lambda: w.services.app.plan_operation(
            w.ctx,
            name=body.name,
            participants=body.participants,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            target_area=body.target_area,
            plan=body.plan,
        ),
        status=201,
        location=lambda written: f"/v1/joint-operations/{written.id}",
    )


@router.get("/joint-operations/{operation_id}")
def get_operation(
    operation_id: UUID, services: ServicesDep, officer: CurrentOfficer
) -> JSONResponse:
    """The operation with its results rolled up from the attached cases."""
    op = services.app.get_operation(operation_id)
    if officer.role not in (Role.COMMITTEE, Role.AUDITOR) and officer.county not in op.participants:
        raise ApiProblem(404, f"no joint operation {operation_id}", "not-found")
    state = op.public_state()
    rows = services.views.case_search.query(
        "SELECT case_id, number, county, status, seizures, total_sticks, total_value, police_referred"
        " FROM case_search WHERE case_id = ANY(%s) ORDER BY number",
        (list(op.case_ids),),
    )
    state["results"] = {
        "cases": len(rows),
        "seizures": sum(r["seizures"] for r in rows),
        "sticks": sum(r["total_sticks"] for r in rows),
        "value": sum((r["total_value"] for r in rows), Decimal(0)),
        "referred_to_police": sum(1 for r in rows if r["police_referred"]),
        "by_case": rows,
    }
    return JSONResponse(state, headers={"ETag": f'"{op.version}"'})


@router.get("/joint-operations")
def list_operations(
    services: ServicesDep, officer: CurrentOfficer, wait_for: WaitFor = None
) -> JSONResponse:
    await_views(services, [services.views.committee], wait_for)
    rows = services.views.committee.query(
        "SELECT * FROM operations WHERE %(all)s OR participants @> ARRAY[%(county)s]::text[]"
        " ORDER BY starts_on DESC",
        {"all": officer.role in (Role.COMMITTEE, Role.AUDITOR), "county": officer.county},
    )
    return JSONResponse({"items": rows})


@router.post("/joint-operations/{operation_id}/cases", response_model=WriteResult)
def attach_case(operation_id: UUID, body: AttachCase, w: WriteDep) -> object:
    w.services.app.get_case(body.case_id, viewer=w.officer.actor)
    return w.run(
        lambda: w.services.app.attach_case_to_operation(
            operation_id, body.case_id, w.ctx, w.expected_version
        )
    )


@router.post("/joint-operations/{operation_id}/conclusion", response_model=WriteResult)
def conclude_operation(operation_id: UUID, body: Conclusion, w: WriteDep) -> object:
    return w.run(
        lambda: w.services.app.conclude_operation(
            operation_id, body.summary, w.ctx, w.expected_version
        )
    )


class MeetingCreate(BaseModel):
    model_config = example(
        held_on="2026-04-02",
        attendees=["150924", "140221", "140222", "130725", "130728", "130708"],
        minutes="Q1 bulletins exchanged; spring operation planned.",
        decisions=["rotate the host to 天镇 next quarter"],
    )
    held_on: IsoDate
    attendees: list[County] = Field(min_length=1, max_length=20)
    minutes: Text
    decisions: list[Annotated[str, StringConstraints(max_length=1000, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=50
    )


@router.post("/joint-meetings", status_code=201, response_model=WriteResult)
def record_meeting(body: MeetingCreate, w: WriteDep) -> object:
    """Record a joint meeting hosted by the officer's county."""
    return w.run(
        lambda: w.services.app.record_meeting(
            w.ctx,
            held_on=body.held_on,
            attendees=body.attendees,
            minutes=body.minutes,
            decisions=body.decisions,
        ),
        status=201,
    )


@router.get("/joint-meetings")
def list_meetings(
    services: ServicesDep, officer: CurrentOfficer, wait_for: WaitFor = None
) -> JSONResponse:
    await_views(services, [services.views.committee], wait_for)
    rows = services.views.committee.query(
        "SELECT * FROM meetings WHERE %(all)s OR attendees @> ARRAY[%(county)s]::text[]"
        " ORDER BY held_on DESC",
        {"all": officer.role in (Role.COMMITTEE, Role.AUDITOR), "county": officer.county},
    )
    return JSONResponse({"items": rows})


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


@router.post("/price-inspections", status_code=201, response_model=WriteResult)
def record_inspection(body: InspectionCreate, w: WriteDep) -> object:
    """Record a price mutual inspection (价格互查) in a neighbour's area."""
    return w.run(
        lambda: w.services.app.record_price_inspection(
            w.ctx,
            inspected_county=body.inspected_county,
            area=body.area,
            group_name=body.group_name,
            brand=body.brand,
            agreed_price=body.agreed_price,
            observed_price=body.observed_price,
            inspected_at=body.inspected_at,
            note=body.note,
        ),
        status=201,
    )


@router.get("/price-inspections")
def list_inspections(
    services: ServicesDep, officer: CurrentOfficer, wait_for: WaitFor = None
) -> JSONResponse:
    await_views(services, [services.views.committee], wait_for)
    rows = services.views.committee.query(
        "SELECT *, observed_price - agreed_price AS deviation FROM price_inspections"
        " WHERE %(all)s OR %(county)s IN (inspecting_county, inspected_county)"
        " ORDER BY inspected_at DESC LIMIT 500",
        {"all": officer.role in (Role.COMMITTEE, Role.AUDITOR), "county": officer.county},
    )
    return JSONResponse({"items": rows})


# --- bulletins (every county reports to its neighbours: any officer reads any bulletin) -----
Year = Annotated[int, Path(ge=2000, le=2100)]
QuarterNumber = Annotated[int, Path(ge=1, le=4)]


@router.get("/bulletins/{county}/{year}/{quarter}")
def get_bulletin(
    county: Annotated[str, Path(pattern=r"^\d{6}$")],
    year: Year,
    quarter: QuarterNumber,
    services: ServicesDep,
    officer: CurrentOfficer,
    as_of_position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    format: Literal["json", "html"] = "json",
) -> Response:
    """The county's bulletin for a quarter as of a log position (default: the issued one's
    position, else the audit trail's current position). The same position gives the same bytes."""
    unit = services.app.check_county(county)
    issued = services.views.committee.query(
        "SELECT as_of_position, sha256 FROM bulletin_issues WHERE county = %s AND year = %s"
        " AND quarter = %s",
        (county, year, quarter),
    )
    at = as_of_position or (
        issued[0]["as_of_position"] if issued else services.views.audit.position()
    )
    if at > services.views.audit.position():
        raise ApiProblem(
            422, f"the audit trail has not reached position {at}", "position-not-recorded"
        )
    data = bulletin_data(
        services.views.audit, county, Quarter(year, quarter), at, services.app.timezone
    )
    content = bulletin_json(data)
    headers = {"X-Bulletin-SHA256": digest(content), "ETag": f'"{digest(content)[:16]}"'}
    if format == "html":
        page = bulletin_html(data, unit.name_zh or unit.name)
        return Response(page, media_type="text/html; charset=utf-8", headers=headers)
    return Response(content, media_type="application/json", headers=headers)


@router.post("/bulletins/{year}/{quarter}/issue", status_code=201, response_model=WriteResult)
def issue_bulletin(
    year: Year,
    quarter: QuarterNumber,
    w: WriteDep,
) -> object:
    """Issue the officer's county's bulletin for the quarter, fixed at the audit trail's
    current position; the digest of its JSON is recorded."""
    services = w.services
    at = services.views.audit.position()
    data = bulletin_data(
        services.views.audit, w.officer.county, Quarter(year, quarter), at, services.app.timezone
    )
    sha = digest(bulletin_json(data))
    return w.run(
        lambda: services.app.issue_bulletin(year, quarter, at, sha, w.ctx),
        status=201,
        body=lambda written: {"as_of_position": at, "sha256": sha},
    )
