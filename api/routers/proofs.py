"""/v1/audit/checkpoint, /v1/audit/proofs and /v1/audit/public-key: what an auditor takes away
to check the log offline (docs/CHAIN.md). Auditors and administrators only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentOfficer, ServicesDep
from api.errors import ApiProblem, problems
from api.offload import OffloadedRoute
from api.schemas.proofs import (
    CheckpointPublic,
    ConsistencyProofPublic,
    InclusionProofPublic,
    PublicKeyPublic,
)
from domain.access import require_audit_reader, require_auditor
from jointcase.checkpoints import Checkpoint, Checkpoints, ProofError
from jointcase.storage import chain_signer, resolve_database

router = APIRouter(route_class=OffloadedRoute, prefix="/v1/audit", tags=["audit"])
Size = Annotated[int | None, Query(ge=1, le=2**62, description="A checkpoint's tree size.")]


def _checkpoints(services: ServicesDep) -> Checkpoints:
    db = resolve_database(services.settings)
    return Checkpoints(db.conninfo(), db.schema or "public")


def _checkpoint(services: ServicesDep, size: int | None) -> Checkpoint:
    found = _checkpoints(services).checkpoint(size)
    if found is None:
        raise ApiProblem(404, "no such checkpoint", "not-found")
    return found


@router.get("/public-key", response_model=PublicKeyPublic, responses=problems(401, 403))
def public_key(services: ServicesDep, officer: CurrentOfficer) -> PublicKeyPublic:
    """The public key of the chain's signatures."""
    require_audit_reader(officer.actor)
    db = resolve_database(services.settings)
    verifier = chain_signer(services.settings, db).verifier
    return PublicKeyPublic(public_key=verifier.text(), key_id=verifier.key_id)


@router.get("/checkpoint", response_model=CheckpointPublic, responses=problems(401, 403, 404, 422))
def checkpoint(
    services: ServicesDep, officer: CurrentOfficer, tree_size: Size = None
) -> CheckpointPublic:
    """The latest signed checkpoint (or the one of `tree_size`), to keep outside."""
    require_auditor(officer.actor)
    found = _checkpoint(services, tree_size)
    db = resolve_database(services.settings)
    verifier = chain_signer(services.settings, db).verifier
    return CheckpointPublic.model_validate(found.as_dict(verifier))


@router.get(
    "/proofs/inclusion",
    response_model=InclusionProofPublic,
    responses=problems(401, 403, 404, 409, 422),
)
def inclusion(
    services: ServicesDep,
    officer: CurrentOfficer,
    position: Annotated[int, Query(ge=1, le=2**62)],
    tree_size: Size = None,
) -> InclusionProofPublic:
    """The proof that the event at `position` is in a checkpoint's tree (default: the latest);
    409 when the chain no longer matches the checkpoint or holds no such event."""
    require_auditor(officer.actor)
    found = _checkpoint(services, tree_size)
    try:
        proof = _checkpoints(services).inclusion(position, found)
    except ProofError as e:
        raise ApiProblem(409, str(e), "proof-unavailable") from None
    return InclusionProofPublic.model_validate(proof)


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyProofPublic,
    responses=problems(401, 403, 404, 409, 422),
)
def consistency(
    services: ServicesDep,
    officer: CurrentOfficer,
    first: Annotated[int, Query(ge=1, le=2**62, description="The earlier tree size.")],
    second: Size = None,
) -> ConsistencyProofPublic:
    """The proof that a later checkpoint (default: the latest) contains an earlier one."""
    require_auditor(officer.actor)
    earlier, later = _checkpoint(services, first), _checkpoint(services, second)
    try:
        proof = _checkpoints(services).consistency(earlier, later)
    except ProofError as e:
        raise ApiProblem(409, str(e), "proof-unavailable") from None
    return ConsistencyProofPublic.model_validate(proof)
