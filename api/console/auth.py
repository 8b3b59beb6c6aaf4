"""Signing in and out, the language, and a person's own account (TOTP second factor)."""

from __future__ import annotations

from typing import Annotated

import pyotp
from fastapi import APIRouter, Query
from starlette.responses import Response

from api.console.i18n import LANGUAGES
from api.console.web import (
    ANON_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    FormDep,
    PageDep,
    SignedInForm,
    SignedInPage,
    go,
    set_cookie,
    signins,
)
from api.offload import OffloadedRoute
from domain.values import Role
from jointcase.signin import SignInRefused, TooManyAttempts

router = APIRouter(route_class=OffloadedRoute, include_in_schema=False)
Next = Annotated[str, Query(max_length=500)]


def home_of(role: Role) -> str:
    return {
        Role.AUDITOR: "/audit/events",
        Role.COMMITTEE: "/committee",
        Role.ADMIN: "/admin/officers",
    }.get(role, "/workspace")


def safe_next(target: str) -> str | None:
    """Only a path of this site (never `//host` or a scheme): no open redirect."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/")
def home(p: PageDep) -> Response:
    if p.session is None:
        return go(p.request, "/login")
    return go(p.request, home_of(p.officer.role))


@router.get("/login")
def login_page(p: PageDep, next: Next = "") -> Response:
    if p.session is not None:
        return go(p.request, safe_next(next) or home_of(p.officer.role))
    return p.render("login.html", next=safe_next(next) or "")


@router.post("/login")
def sign_in(form: FormDep) -> Response:
    p = form.page
    client = p.request.client.host if p.request.client else "unknown"
    login = form.get("login")
    try:
        value, session = signins(p.services).sign_in(
            login, form.get("password"), form.get("code"), client, p.services.clock()
        )
    except TooManyAttempts as e:
        message = p._(
            "Too many failed sign-ins. Try again in {seconds} seconds.", seconds=e.seconds
        )
        return p.render("login.html", status=429, error=message, login=login, next=form.get("next"))
    except SignInRefused:
        message = p._("The login name, password or code is not right.")
        return p.render("login.html", status=401, error=message, login=login, next=form.get("next"))
    target = safe_next(form.get("next")) or home_of(session.officer.role)
    response = go(p.request, target)
    set_cookie(p.request, response, SESSION_COOKIE, value, max_age=12 * 3600)
    response.delete_cookie(ANON_COOKIE, path="/")
    return response


@router.post("/logout")
def sign_out(form: SignedInForm) -> Response:
    request = form.page.request
    signins(form.page.services).sign_out(request.cookies.get(SESSION_COOKIE, ""))
    response = go(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def choose_language(form: FormDep) -> Response:
    lang = form.get("lang")
    response = go(form.page.request, safe_next(form.get("next")) or "/")
    if lang in LANGUAGES:
        set_cookie(form.page.request, response, LANG_COOKIE, lang, max_age=365 * 86400)
    return response


@router.get("/account")
def account(p: SignedInPage) -> Response:
    store = signins(p.services)
    officer = p.officer
    pending = store.pending_totp(officer.officer_id)
    uri = (
        pyotp.TOTP(pending).provisioning_uri(
            name=store.login_of(officer.officer_id) or officer.officer_id, issuer_name="jointcase"
        )
        if pending
        else None
    )
    return p.render(
        "account.html",
        login=store.login_of(officer.officer_id),
        totp=store.has_totp(officer.officer_id),
        pending=pending,
        uri=uri,
    )


@router.post("/account/totp")
def begin_totp(form: SignedInForm) -> Response:
    signins(form.page.services).begin_totp(form.page.officer.officer_id)
    return go(form.page.request, "/account")


@router.post("/account/totp/confirm")
def confirm_totp(form: SignedInForm) -> Response:
    p = form.page
    if not signins(p.services).confirm_totp(p.officer.officer_id, form.get("code")):
        store = signins(p.services)
        pending = store.pending_totp(p.officer.officer_id)
        return p.render(
            "account.html",
            status=422,
            login=store.login_of(p.officer.officer_id),
            totp=False,
            pending=pending,
            uri=None,
            errors={"totp": p._("The code is not right. Try the current one.")},
        )
    return go(p.request, "/account")
