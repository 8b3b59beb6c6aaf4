"""A county administrator's pages: its officers (add with a console sign-in, reset a password,
revoke) and the liaison directory. The same staff use cases as `/v1/officers` and the same
jurisdiction use cases as `/v1/liaisons`; the rules are the domain's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from api.console.web import (
    Page,
    SignedInForm,
    SignedInPage,
    attempt,
    go,
    refusal_status,
    visible,
)
from api.offload import OffloadedRoute
from api.schemas import LiaisonCreate
from api.schemas.officers import OfficerCreate, PasswordSet
from domain.access import require_officer_manager
from domain.values import Role

router = APIRouter(route_class=OffloadedRoute, include_in_schema=False)


def _officers_page(p: Page, status: int = 200, **values: Any) -> Response:
    rows = visible(lambda: p.services.staff.list(p.officer.actor, include_revoked=True))
    roles = [(str(r), p.label("role", r)) for r in Role]
    return p.render("admin_officers.html", status=status, rows=rows, roles=roles, **values)


@router.get("/admin/officers")
def officers(p: SignedInPage) -> Response:
    return _officers_page(p)


@router.post("/admin/officers/new")
def add_officer(form: SignedInForm) -> Response:
    p = form.page
    fid = "f-add-officer"
    added, message = attempt(
        p,
        OfficerCreate,
        {
            "name": form.get("name"),
            "role": form.get("role"),
            "login": form.get("login") or None,
            "password": form.get("password") or None,
        },
        lambda body: p.services.staff.add(
            p.officer.actor, p.officer.county, body.role, body.name, body.login, body.password
        ),
    )
    if message is not None:
        return _officers_page(
            p, refusal_status(p.request), errors={fid: message}, sent={fid: _kept(form)}
        )
    officer, token = added
    return _officers_page(p, 201, issued={"officer": officer, "token": token})


@router.post("/admin/officers/{officer_id}/password")
def reset_password(form: SignedInForm, officer_id: str) -> Response:
    p = form.page
    _, message = attempt(
        p,
        PasswordSet,
        {"login": form.get("login"), "password": form.get("password")},
        lambda body: visible(
            lambda: p.services.staff.set_password(
                p.officer.actor, officer_id, body.login, body.password
            )
        ),
    )
    if message is not None:
        fid = f"f-password-{officer_id}"
        return _officers_page(p, refusal_status(p.request), errors={fid: message})
    return go(p.request, "/admin/officers")


@router.post("/admin/officers/{officer_id}/revoke")
def revoke(form: SignedInForm, officer_id: str) -> Response:
    p = form.page
    _, message = attempt(
        p, None, {}, lambda _: visible(lambda: p.services.staff.revoke(p.officer.actor, officer_id))
    )
    if message is not None:
        fid = f"f-revoke-{officer_id}"
        return _officers_page(p, refusal_status(p.request), errors={fid: message})
    return go(p.request, "/admin/officers")


def _kept(form: Any) -> dict[str, str]:
    """What the form shows again after a refusal (never the password)."""
    return {k: v for k, v in form.data.items() if k not in {"password", "csrf"}}


def _liaisons_page(p: Page, status: int = 200, **values: Any) -> Response:
    visible(lambda: require_officer_manager(p.officer.actor, p.officer.county))
    units = [
        {"code": u.code, "name": u.name_zh or u.name, **u.public_state()}
        for u in p.services.app.list_jurisdictions()
    ]
    return p.render("admin_liaisons.html", status=status, units=units, **values)


@router.get("/admin/liaisons")
def liaisons(p: SignedInPage) -> Response:
    return _liaisons_page(p)


@router.post("/admin/liaisons")
def designate_liaison(form: SignedInForm) -> Response:
    p = form.page
    _, message = attempt(
        p,
        LiaisonCreate,
        {
            "county": p.officer.county,
            "name": form.get("name"),
            "phone": form.get("phone"),
            "email": form.get("email"),
            "since": form.get("since"),
        },
        lambda body: p.services.app.designate_liaison(
            body.county, body.name, body.phone, body.email, body.since, p.ctx()
        ),
    )
    if message is not None:
        fid = "f-liaison"
        return _liaisons_page(
            p, refusal_status(p.request), errors={fid: message}, sent={fid: _kept(form)}
        )
    return go(p.request, "/admin/liaisons")
