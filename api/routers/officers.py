"""Officers: an officer's own API token (rotating it), and a county's staff managed by its
administrator (add with a console sign-in, reset a password, revoke)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentOfficer, ServicesDep
from api.errors import ApiProblem, problems
from api.offload import OffloadedRoute
from api.schemas.officers import (
    OfficerCreate,
    OfficerIssued,
    OfficerListPublic,
    OfficerPublic,
    PasswordSet,
    TokenIssued,
)
from jointcase.officers import Officer, RevocationUnconfirmed

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["officers"])


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


# --- a county's staff, managed by its administrator ------------------------------------------------
def _shown(officer: Officer, login: str | None) -> dict[str, object]:
    return {
        "officer_id": officer.officer_id,
        "name": officer.name,
        "county": officer.county,
        "role": str(officer.role),
        "login": login,
        "created_at": officer.created_at,
        "revoked_at": officer.revoked_at,
    }


@router.get("/officers", response_model=OfficerListPublic, responses=problems(401, 403, 422))
def list_officers(services: ServicesDep, officer: CurrentOfficer) -> object:
    """The administrator's county's officers and their login names (never a token or password)."""
    rows = services.staff.list(officer.actor, include_revoked=True)
    return {"items": [_shown(o, login) for o, login in rows]}


@router.post(
    "/officers",
    response_model=OfficerIssued,
    status_code=201,
    responses=problems(400, 401, 403, 422),
)
def add_officer(body: OfficerCreate, services: ServicesDep, officer: CurrentOfficer) -> object:
    """Add an officer to the administrator's own county: an API token (shown once) and, with a
    login name and a password, a sign-in for the console."""
    added, token = services.staff.add(
        officer.actor, officer.county, body.role, body.name, body.login, body.password
    )
    return {**_shown(added, body.login.strip().lower() if body.login else None), "token": token}


@router.put(
    "/officers/{officer_id}/password",
    response_model=OfficerPublic,
    responses=problems(400, 401, 403, 404, 422),
)
def set_password(
    officer_id: Annotated[str, Path(max_length=40)],
    body: PasswordSet,
    services: ServicesDep,
    officer: CurrentOfficer,
) -> object:
    """Set or reset an officer's console sign-in (its county's administrator); its sessions end."""
    changed = services.staff.set_password(officer.actor, officer_id, body.login, body.password)
    return _shown(changed, body.login.strip().lower())


@router.post(
    "/officers/{officer_id}/revocation",
    response_model=OfficerPublic,
    responses=problems(401, 403, 404, 422, 503),
)
def revoke_officer(
    officer_id: Annotated[str, Path(max_length=40)],
    services: ServicesDep,
    officer: CurrentOfficer,
) -> object:
    """Revoke an officer of the administrator's county: its token and sessions stop at once."""
    try:
        revoked = services.staff.revoke(officer.actor, officer_id)
    except RevocationUnconfirmed as error:
        raise ApiProblem(
            503, f"the revocation is recorded but {error}", "revocation-unconfirmed"
        ) from None
    return _shown(revoked, None)
