"""Every error is an RFC 9457 problem document (application/problem+json)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import eventsourcing.persistence as es_persistence
import psycopg
from fastapi import FastAPI, Request
from fastapi._compat import is_scalar_field
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.jsonresp import ProblemResponse
from domain.errors import (
    ConcurrencyConflict,
    DomainError,
    EvidenceTooLarge,
    EvidenceTypeNotAllowed,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from domain.reward_policy import PolicyUnavailable
from service.store import DatabaseUnavailable

log = logging.getLogger("jointcase.api")
#: Errors that mean the database did not answer: 503 with Retry-After, never a 500.
UNAVAILABLE: tuple[type[Exception], ...] = (
    DatabaseUnavailable,
    es_persistence.OperationalError,
    es_persistence.InterfaceError,
    psycopg.OperationalError,  # PoolTimeout included
    psycopg.InterfaceError,
)
#: Seconds a client waits before retrying while the database is unavailable.
RETRY_AFTER = 2
PROBLEM_BASE = "https://jointcase.invalid/problems/"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Refused",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
    500: "Internal error",
    503: "Unavailable",
}


class ProblemPublic(BaseModel):
    """An RFC 9457 problem document; `rule` names the rule that refused the request."""

    type: str
    title: str
    status: int
    detail: str
    rule: str
    instance: str | None = None
    correlation_id: str | None = None
    errors: list[dict[str, str]] | None = None
    model_config = ConfigDict(extra="allow")


_PROBLEM_SCHEMA = ProblemPublic.model_json_schema()
#: The problems a read by id can answer: no token, not visible or unknown, bad input.
READ = (401, 404, 422)
#: The problems a write can answer: besides a read's, a role or county that may not, a rule
#: refused (or a key still in progress), a stale If-Match.
WRITE = (401, 403, 404, 409, 412, 422)
#: A write with a body can also be sent a body that is not JSON at all.
WRITE_WITH_BODY = (400, *WRITE)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each status it can answer with a problem document."""
    return {
        status: {
            "description": TITLES.get(status, "Error"),
            "content": {"application/problem+json": {"schema": _PROBLEM_SCHEMA}},
        }
        for status in sorted(set(statuses))
    }


class ApiProblem(Exception):
    """An error raised by the web layer itself (authentication, headers, idempotency keys)."""

    def __init__(
        self,
        status: int,
        detail: str,
        rule: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.rule = rule
        self.headers = headers or {}
        self.extra = extra


def problem(
    status: int,
    detail: str,
    rule: str,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + rule,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "rule": rule,
    }
    if request is not None:
        body["instance"] = request.url.path
        correlation = getattr(request.state, "correlation_id", None)
        if correlation:
            body["correlation_id"] = correlation
    body.update(extra)
    return ProblemResponse(body, status_code=status, headers=headers)


def status_of(error: DomainError) -> int:
    if isinstance(error, EvidenceTooLarge):
        return 413
    if isinstance(error, EvidenceTypeNotAllowed):
        return 415
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, InvalidInput):
        return 422
    if isinstance(error, PolicyUnavailable):
        return 503
    if isinstance(error, ConcurrencyConflict):
        return 409
    return 409


def domain_problem(error: DomainError, request: Request | None) -> ProblemResponse:
    return problem(status_of(error), error.message, error.rule, request)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> ProblemResponse:
        return domain_problem(exc, request)

    @app.exception_handler(ApiProblem)
    async def _api(request: Request, exc: ApiProblem) -> ProblemResponse:
        return problem(exc.status, exc.detail, exc.rule, request, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> ProblemResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ())),
                "message": err.get("msg", "invalid"),
            }
            for err in exc.errors()
        ]
        fields = ", ".join(e["field"] for e in errors) or "request"
        return problem(422, f"invalid input in {fields}", "invalid-input", request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        rule = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(
            exc.status_code, str(exc.detail), rule, request, dict(exc.headers or {}) or None
        )

    async def _unavailable(request: Request, exc: Exception) -> ProblemResponse:
        # The database did not answer (a failover under way, a network cut): the client may
        # retry shortly; a write says whether it may have been recorded (retry it with the same
        # Idempotency-Key to find out).
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        detail = (
            str(exc)
            if isinstance(exc, DatabaseUnavailable)
            else ("the database is unavailable (a failover may be under way); retry shortly")
        )
        return problem(
            503, detail, "database-unavailable", request, {"Retry-After": str(RETRY_AFTER)}
        )

    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(
            500, "an unexpected error occurred; it has been logged", "internal-error", request
        )


def declare_framework_problems(routes: Iterable[Any]) -> None:
    """Adds to each route's documented responses the problems the framework itself can answer,
    whatever the route does: 401 without a valid token, 400 for a body that is not JSON, 422 for
    input that does not validate (unknown query parameters included), 503 when `wait_for=` is not
    reached in time, 404 when a typed path segment (an id, a year) does not fit. The statuses a route's own rules give are declared by the route."""
    for route in routes:
        dependant = getattr(route, "dependant", None)
        if dependant is None or not getattr(route, "include_in_schema", False):
            continue
        statuses: set[int] = {422}
        if getattr(route, "body_field", None) is not None:
            statuses.add(400)
        if _calls(dependant, "current_officer"):
            statuses.add(401)
        if "wait_for" in query_names(dependant):
            statuses.add(503)
        if ":" in getattr(route, "path", ""):  # a typed path segment: anything else is no route
            statuses.add(404)
        for status, response in problems(*statuses).items():
            route.responses.setdefault(status, response)


def _calls(dependant: Any, name: str) -> bool:
    call = getattr(dependant, "call", None)
    if getattr(call, "__name__", None) == name:
        return True
    return any(_calls(sub, name) for sub in dependant.dependencies)


def query_names(dependant: Any, *, single: bool = False) -> set[str]:
    """The names of the query parameters a route (and its dependencies) declares; ``single``:
    only those that take one value (not a list)."""
    names = {
        param.alias for param in dependant.query_params if not single or is_scalar_field(param)
    }
    for sub in dependant.dependencies:
        names |= query_names(sub, single=single)
    return names
