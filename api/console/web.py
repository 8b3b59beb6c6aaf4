"""What every console page shares: templates and language, the signed-in person (session cookie),
CSRF checks on every form, read-your-writes after a form, and how a refusal is shown.

A page calls the same use cases and view queries as the API routers; it adds no rule. A record
the person may not see is the same 404 page as an unknown id."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.console.i18n import LANGUAGES, language, translator
from api.deps import Services
from api.present import search_page
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.values import Context
from jointcase.officers import Officer
from jointcase.signin import Session, SignIns
from projections.base import View
from service.store import Written

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "console"
SESSION_COOKIE = "jc_session"
ANON_COOKIE = "jc_anon"  # the double-submit CSRF token of a visitor not signed in yet
LANG_COOKIE = "jc_lang"

templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.autoescape = True

_UNITS: dict[int, tuple[float, dict[str, tuple[str, str, bool]]]] = {}
UNITS_TTL = 30.0


def units_of(services: Services) -> dict[str, tuple[str, str, bool]]:
    """The participating units (code -> Chinese name, name, still participating), from the
    jurisdiction use cases, kept for a few seconds per process (not read on every page)."""
    key = id(services.app)
    cached = _UNITS.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < UNITS_TTL:
        return cached[1]
    units = {
        u.code: (u.name_zh or u.name, u.name, u.valid_to is None)
        for u in services.app.list_jurisdictions()
    }
    _UNITS[key] = (now, units)
    return units


class NeedSignIn(Exception):
    """The page needs a signed-in person; answered with a redirect to the sign-in page."""


class PageNotFound(Exception):
    """Answered with the console's 404 page (the same for unknown and not visible)."""


class PageForbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def signins(services: Services) -> SignIns:
    if services.signins is None:  # pragma: no cover - every built Services has one
        raise RuntimeError("sign-ins are not configured")
    return services.signins


def lang_of(request: Request) -> str:
    return language(request.cookies.get(LANG_COOKIE))


def secure_cookies(request: Request) -> bool:
    """Secure cookies behind HTTPS: the request's own scheme, a proxy's X-Forwarded-Proto, or
    the setting that forces them."""
    services = services_of(request)
    if services.settings.console_secure_cookies:
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, **kw: Any) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
        **kw,
    )


def current_session(request: Request) -> Session | None:
    if hasattr(request.state, "console_session"):
        known: Session | None = request.state.console_session
        return known
    value = request.cookies.get(SESSION_COOKIE, "")
    services = services_of(request)
    session = signins(services).session(value, services.clock()) if value else None
    request.state.console_session = session
    return session


def signed_in(request: Request) -> Session:
    session = current_session(request)
    if session is None:
        raise NeedSignIn
    return session


SessionDep = Annotated[Session, Depends(signed_in)]


@dataclass
class Page:
    """A page being answered: the request, its services, who is signed in, the language."""

    request: Request
    services: Services
    session: Session | None
    lang: str
    _: Callable[..., str] = field(repr=False, default=lambda s, **kw: s)

    @property
    def officer(self) -> Officer:
        if self.session is None:
            raise NeedSignIn
        return self.session.officer

    def ctx(self) -> Context:
        return Context(self.officer.actor, self.services.clock(), self.request.state.correlation_id)

    def csrf(self) -> str:
        if self.session is not None:
            return self.session.csrf
        token = self.request.cookies.get(ANON_COOKIE) or getattr(
            self.request.state, "anon_csrf", None
        )
        if not token:
            token = secrets.token_urlsafe(24)
            self.request.state.anon_csrf = token
        return token

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        now = self.services.clock()
        response = templates.TemplateResponse(
            self.request,
            template,
            {
                "page": self,
                "_": self._,
                "lang": self.lang,
                "languages": LANGUAGES,
                "me": self.session.officer if self.session else None,
                "csrf": self.csrf(),
                "now": now,
                "county_name": self.county_name,
                "local": self.local,
                "money": money,
                "label": self.label,
                **values,
            },
            status_code=status,
        )
        anon = getattr(self.request.state, "anon_csrf", None)
        if anon and self.session is None:
            set_cookie(self.request, response, ANON_COOKIE, anon)
        response.headers["Cache-Control"] = "no-store"
        return response

    def units(self) -> list[str]:
        """Codes of the units participating now, in code order."""
        return [code for code, (_, _, active) in units_of(self.services).items() if active]

    def county_name(self, code: str | None) -> str:
        if not code:
            return ""
        names = units_of(self.services).get(code)
        if names is None:
            return code
        return f"{names[0] if self.lang == 'zh-CN' else names[1]} ({code})"

    def local(self, moment: datetime | str | None, with_time: bool = True) -> str:
        """A moment in the bureaus' local time (the API answers UTC; a person reads local)."""
        if moment is None or moment == "":
            return ""
        if isinstance(moment, str):
            text = moment
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return text
        if moment.tzinfo is None:
            return moment.isoformat()
        zone = ZoneInfo(self.services.settings.timezone)
        shown = moment.astimezone(zone)
        return shown.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")

    def label(self, kind: str, value: object) -> str:
        """An enum value in words (`case_type`, `source`, ...): the catalogue's `kind:value`."""
        if value is None:
            return ""
        shown_value = str(value).rsplit(".", 1)[-1] if kind == "event" else value
        key = f"{kind}:{shown_value}"
        shown = self._(key)
        return str(value) if shown == key else shown


def money(value: Decimal | str | int | None) -> str:
    if value is None:
        return ""
    return f"¥{Decimal(str(value)):,.2f}"


def page(request: Request) -> Page:
    lang = lang_of(request)
    return Page(request, services_of(request), current_session(request), lang, translator(lang))


PageDep = Annotated[Page, Depends(page)]


def signed_in_page(request: Request, _session: SessionDep) -> Page:
    return page(request)


SignedInPage = Annotated[Page, Depends(signed_in_page)]


@dataclass
class Form:
    """A posted form whose CSRF token checked out, with the page that posted it."""

    page: Page
    data: Mapping[str, str]
    lists: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        return self.data.get(name, default)


async def posted_form(request: Request) -> Form:
    """Every console POST: the CSRF token (form field `csrf`, or the `X-CSRF-Token` header htmx
    sends) must be the session's (or, before sign-in, the visitor's cookie). Refused with 403."""
    form = await request.form()
    the_page = page(request)
    sent = request.headers.get("x-csrf-token") or str(form.get("csrf") or "")
    expected = (
        the_page.session.csrf
        if the_page.session is not None
        else request.cookies.get(ANON_COOKIE, "")
    )
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise PageForbidden(the_page._("The form has expired. Reload the page and try again."))
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    return Form(the_page, data, lists)


FormDep = Annotated[Form, Depends(posted_form)]


async def signed_in_form(request: Request, _session: SessionDep) -> Form:
    return await posted_form(request)


SignedInForm = Annotated[Form, Depends(signed_in_form)]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def refusal_status(request: Request) -> int:
    """A form's refusal is 422 for a plain post; htmx swaps in only 2xx answers, so 200 there."""
    return 200 if is_htmx(request) else 422


def run_form(
    form: Form,
    form_id: str,
    model: type[BaseModel] | None,
    data: dict[str, Any],
    act: Callable[[Any], Written],
    again: Callable[[str, str], Response],
    next_url: Callable[[Written], str],
) -> Response:
    """Check the input with the API's request model, run the use case, and go to the next page
    (which waits for the views to hold the write); a refusal (bad input, or the domain's
    refusal, a record the person may not see included, in the same words as an unknown one)
    shows the page again (``again``) with the message next to the form."""
    p = form.page
    written, message = attempt(p, model, data, act)
    if message is None:
        return go(p.request, with_position(next_url(written), written.position))
    response = again(form_id, message)
    response.status_code = refusal_status(p.request)
    return response


def attempt(
    p: Page, model: type[BaseModel] | None, data: dict[str, Any], act: Callable[[Any], Any]
) -> tuple[Any, str | None]:
    """Checks a form's input with the API's request model and runs the use case with it:
    ``(what it returned, None)``, or ``(None, the message to show next to the form)`` for bad
    input or the domain's refusal (``run_form`` and the pages whose answer is not a write)."""
    try:
        body = model.model_validate(data) if model is not None else None
        return act(body), None
    except ValidationError as e:
        return None, input_error(p._, e)
    except DomainError as e:
        return None, e.message


def go(request: Request, url: str) -> Response:
    """After a successful form: to the next page (htmx follows HX-Redirect)."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def with_position(url: str, position: int | None) -> str:
    if position is None:
        return url
    return f"{url}{'&' if '?' in url else '?'}at={position}"


#: Rows a list page shows at a time.
PAGE_SIZE = 50


def counted_page(
    total: int, rows: list[dict[str, Any]], offset: int, text: str | None = None
) -> dict[str, Any]:
    """What a list page shows of a page of its rows and their count, as the API shows them
    (``search_page``): ``rows``, ``total``, ``more``, ``offset`` and ``size``, the values of
    ``_pager.html``."""
    page = search_page(total, rows, text, PAGE_SIZE, offset)
    return {
        "rows": rows,
        "total": page["total"],
        "more": page["more"],
        "offset": offset,
        "size": PAGE_SIZE,
    }


#: Longest a page waits for its views to catch up with the log before showing what they hold.
PAGE_WAIT = 1.0


def wait_for(services: Services, views: list[View], position: int | None) -> bool:
    """A page shows its views as of the log when the request came in (or as of the write a form
    just made, ``position``): it waits briefly until they hold it, then shows what there is.
    Answers whether the views were up to date."""
    last = services.app.log_position()
    target = last if position is None else min(position, last)
    deadline = time.monotonic() + min(PAGE_WAIT, services.settings.wait_timeout)
    pause = 0.005
    while any(v.position() < target for v in views):
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    return True


def visible(read: Callable[[], Any]) -> Any:
    """A read with the person as viewer: not visible (or unknown) is the 404 page."""
    try:
        return read()
    except NotFound:
        raise PageNotFound from None
    except PermissionDenied as e:
        raise PageForbidden(e.message) from None


def input_error(_: Callable[..., str], error: ValidationError) -> str:
    """A request model's refusal in words: which field and why."""
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item["loc"] if not isinstance(p, int))
        parts.append(f"{_(where) if where else ''}: {item['msg']}".strip(": "))
    return "; ".join(parts)


def refused(form: Form, template: str, form_id: str, message: str, **values: Any) -> Response:
    """Show the page again with the refusal next to the form that was sent (htmx swaps in only
    that form, so a 200; without htmx the whole page, as 422)."""
    return form.page.render(
        template,
        status=refusal_status(form.page.request),
        errors={form_id: message},
        sent={form_id: dict(form.data)},
        **values,
    )


def shown_again(form: Form, page: Callable[..., Response]) -> Callable[[str, str], Response]:
    """``run_form``'s ``again`` for a page drawn by ``page(**values)``: the refusal next to the
    form that was sent, with what was typed in it (``run_form`` sets the refusal's status)."""
    return lambda form_id, message: page(errors={form_id: message}, sent={form_id: dict(form.data)})


def login_url(request: Request) -> str:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return "/login?next=" + quote(target, safe="")


def local_moment(page_: Page, value: str) -> str | None:
    """A form's date or datetime-local value as ISO 8601 with the bureaus' offset (the API takes
    moments only with an offset)."""
    value = value.strip()
    if not value:
        return None
    try:
        if "T" not in value:
            parsed = datetime.fromisoformat(value + "T00:00")
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        return value  # the request model refuses it with its own message
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(page_.services.settings.timezone))
    return parsed.isoformat()
