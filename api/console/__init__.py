"""The operator console: server-rendered pages (Jinja2, htmx) served by the API's own app at `/`,
one module per group of users (auth, officers, auditors, committee, admin), and the API's
documentation (`/docs`, `/redoc`) from assets shipped in the package (no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from api.console import admin, auditors, auth, committee, docs, joint, officers
from api.console.web import (
    NeedSignIn,
    PageForbidden,
    PageNotFound,
    go,
    login_url,
    page,
)

STATIC = Path(__file__).resolve().parent.parent / "static"


def install(app: FastAPI) -> None:
    """Add the console's pages, its static assets and the offline API documentation."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    docs.install(app)
    # committee and joint before officers: their /cases/{id}/reward-claim and
    # /cases/{id}/contributions are more specific than the officers' /cases/{id}/{action}.
    for module in (auth, committee, joint, officers, auditors, admin):
        app.include_router(module.router)

    async def need_sign_in(request: Request, _: Exception) -> Response:
        return go(request, login_url(request))

    async def not_found(request: Request, _: Exception) -> Response:
        return page(request).render("not_found.html", status=404)

    async def forbidden(request: Request, error: Exception) -> Response:
        message = error.message if isinstance(error, PageForbidden) else ""
        return page(request).render("forbidden.html", status=403, message=message)

    app.add_exception_handler(NeedSignIn, need_sign_in)
    app.add_exception_handler(PageNotFound, not_found)
    app.add_exception_handler(PageForbidden, forbidden)
