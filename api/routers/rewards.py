"""Rewards (奖励兑现): the claim, the proposal computed from the policy and the ledger, the
committee's approval or adjustment, the payment, the recomputation; and the policy in force."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from starlette.responses import Response

from api.deps import (
    CurrentOfficer,
    LimitQuery,
    OffsetQuery,
    ServicesDep,
    Write,
    WriteDep,
    etag,
)
from api.errors import problems
from api.offload import OffloadedRoute
from api.present import search_page
from api.schemas import WriteResult
from api.schemas.rewards import (
    AdjustmentCreate,
    ApprovalCreate,
    ClaimCreate,
    PaymentCreate,
    RecomputationPublic,
    RewardList,
    RewardPublic,
    RewardStatus,
    RewardWritten,
)
from api.waiting import WaitFor, await_views
from domain.contributions import ProposalLine
from domain.reward_policy import RewardPolicy

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["rewards"])
#: What a reward step can answer besides 200: not allowed, no such reward, refused by a rule
#: (or an idempotency key in use), a stale If-Match, invalid input.
STEP_PROBLEMS = problems(401, 403, 404, 409, 412, 422)


def _reward_body(w: Write, reward_id: UUID) -> dict[str, object]:
    """A step answers with the reward as it now stands."""
    return w.services.app.get_reward(reward_id).public_state()


@router.post(
    "/rewards",
    status_code=201,
    response_model=WriteResult,
    responses=problems(401, 403, 404, 409, 412, 422),
)
def file_claim(body: ClaimCreate, w: WriteDep) -> Response:
    """File the reward claim for a case (one per case; the referring party files it for a
    cross-county case)."""
    return w.run(
        lambda: w.services.app.file_reward_claim(body.case_id, body.note, w.ctx),
        status=201,
        location=lambda written: f"/v1/rewards/{written.id}",
    )


@router.get(
    "/rewards/{reward_id:uuid}", response_model=RewardPublic, responses=problems(401, 404, 422)
)
def get_reward(
    reward_id: UUID, services: ServicesDep, officer: CurrentOfficer, response: Response
) -> object:
    reward = services.app.get_reward(reward_id, viewer=officer.actor)
    response.headers["ETag"] = etag(reward.version)
    return reward.public_state()


@router.get("/rewards", response_model=RewardList, responses=problems(401, 403, 422, 503))
def list_rewards(
    services: ServicesDep,
    officer: CurrentOfficer,
    status: RewardStatus | None = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    wait_for: WaitFor = None,
) -> object:
    """The rewards (of a status), the latest changed first, a page at a time, for the
    committee and auditors."""
    await_views(services, [services.views.rewards], wait_for)
    total, rows = services.views.rewards.list_for(officer.actor, status, limit=limit, offset=offset)
    return search_page(total, rows, None, limit, offset)


@router.post(
    "/rewards/{reward_id:uuid}/proposal",
    response_model=RewardWritten,
    responses=problems(401, 403, 404, 409, 412, 422, 503),
)
def propose(reward_id: UUID, w: WriteDep) -> Response:
    """Compute the proposal from the policy and the case's contributions as of the ledger's
    current position; the policy version and position are recorded with it."""
    return w.run(
        lambda: w.services.app.propose_reward(reward_id, w.ctx, w.expected_version),
        body=lambda _: _reward_body(w, reward_id),
    )


@router.get(
    "/rewards/{reward_id:uuid}/recomputation",
    response_model=RecomputationPublic,
    responses=problems(401, 403, 404, 409, 422, 503),
)
def recompute(reward_id: UUID, services: ServicesDep, officer: CurrentOfficer) -> object:
    """Recomputes the recorded proposal from the events as of its log position with the same
    policy file: the figures must match (reproducible decisions)."""
    return services.app.recompute_reward(reward_id, viewer=officer.actor)


@router.post(
    "/rewards/{reward_id:uuid}/approval", response_model=RewardWritten, responses=STEP_PROBLEMS
)
def approve(reward_id: UUID, body: ApprovalCreate, w: WriteDep) -> Response:
    """Approve the proposal as computed (not by the member who proposed it)."""
    return w.run(
        lambda: w.services.app.approve_reward(reward_id, body.reason, w.ctx, w.expected_version),
        body=lambda _: _reward_body(w, reward_id),
    )


@router.post(
    "/rewards/{reward_id:uuid}/adjustment", response_model=RewardWritten, responses=STEP_PROBLEMS
)
def adjust(reward_id: UUID, body: AdjustmentCreate, w: WriteDep) -> Response:
    """Decide different figures, with a written reason (not by the member who proposed)."""
    lines = [ProposalLine(x.county, x.officer_id, x.share, x.amount) for x in body.lines]
    return w.run(
        lambda: w.services.app.adjust_reward(
            reward_id, lines, body.reason, w.ctx, w.expected_version
        ),
        body=lambda _: _reward_body(w, reward_id),
    )


@router.post(
    "/rewards/{reward_id:uuid}/payment", response_model=RewardWritten, responses=STEP_PROBLEMS
)
def pay(reward_id: UUID, body: PaymentCreate, w: WriteDep) -> Response:
    """Record the payment of the decided reward."""
    return w.run(
        lambda: w.services.app.record_reward_payment(
            reward_id, body.amount, body.paid_on, body.reference, w.ctx, w.expected_version
        ),
        body=lambda _: _reward_body(w, reward_id),
    )


@router.get("/policies/current", response_model=RewardPolicy, responses=problems(401, 503))
def current_policy(services: ServicesDep, officer: CurrentOfficer) -> object:
    """The reward policy in force (its digest is recorded with every proposal)."""
    return services.app.current_policy()
