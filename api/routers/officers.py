"""An officer's own API token: rotating it (a new token for the same officer)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentOfficer, ServicesDep
from api.errors import ApiProblem, problems
from api.schemas.officers import TokenIssued
from jointcase.officers import RevocationUnconfirmed

router = APIRouter(prefix="/v1", tags=["officers"])


@router.post(
    "/officers/me/token",
    response_model=TokenIssued,
    status_code=201,
    responses=problems(401, 404, 503),
)
def rotate_own_token(services: ServicesDep, officer: CurrentOfficer) -> object:
    """Issue the calling officer a new token; the one used for this request stops working."""
    try:
        rotated, token = services.officers.rotate(officer.officer_id)
    except RevocationUnconfirmed as error:
        raise ApiProblem(
            503, f"the new token is issued but {error}", "revocation-unconfirmed"
        ) from None
    return {
        "officer_id": rotated.officer_id,
        "token": token,
        "issued_at": rotated.token_issued_at,
        "expires_at": services.officers.expires_at(rotated),
    }
