"""Dependencies: the services, the authenticated officer, the request's context, and the write
protocol (If-Match, Idempotency-Key, ETag and log position on the response)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from api.errors import ApiProblem, domain_problem, query_names
from api.jsonresp import dumps
from api.metrics import COMMANDS
from api.schemas import IsoDateTime
from domain.errors import ConcurrencyConflict, DomainError
from domain.values import Context, Role
from jointcase.idempotency import IdempotencyStore, KeyInProgress, KeyReused, StoredResponse
from jointcase.officers import Officer, OfficerStore
from jointcase.settings import Settings
from jointcase.signin import SignIns
from jointcase.staff import Staff
from projections.base import BatchRunner
from projections.registry import Views
from service.app import JointCaseApp
from service.store import Written


@dataclass
class Services:
    settings: Settings
    app: JointCaseApp
    officers: OfficerStore
    idempotency: IdempotencyStore
    views: Views
    runner: BatchRunner | None = None
    #: People's sign-ins to the operator console (passwords, sessions); machines use tokens.
    signins: SignIns | None = None
    #: The server's clock: every recorded time and every "overdue" comes from it (tests set it).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def staff(self) -> Staff:
        """A county's officers, managed by its administrator (API, console and CLI alike)."""
        if self.signins is None:
            raise RuntimeError("sign-ins are not configured")
        return Staff(self.officers, self.signins)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
_bearer = HTTPBearer(auto_error=False, description="A token issued by `jointcase officers add`.")


def current_officer(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Officer:
    challenge = {"WWW-Authenticate": 'Bearer realm="jointcase"'}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(401, "send Authorization: Bearer <token>", "not-authenticated", challenge)
    token = credentials.credentials
    if len(token) > 200:
        raise ApiProblem(401, "the token is not valid", "not-authenticated", challenge)
    officer = services.officers.authenticate(token)
    if officer is None:
        raise ApiProblem(
            401, "the token is not valid or was revoked", "not-authenticated", challenge
        )
    return officer


CurrentOfficer = Annotated[Officer, Depends(current_officer)]


def request_context(request: Request, services: ServicesDep, officer: CurrentOfficer) -> Context:
    return Context(officer.actor, services.clock(), request.state.correlation_id)


RequestContext = Annotated[Context, Depends(request_context)]

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def parse_if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    match = _ETAG.match(value)
    if match is None:
        raise ApiProblem(
            412,
            f'If-Match must be an ETag this API issued, like "3"; got {value[:40]!r}',
            "precondition-failed",
        )
    return int(match.group(1))


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass
class Write:
    """One write request: who, when, which version the caller saw, and its idempotency key."""

    services: Services
    ctx: Context
    officer: Officer
    expected_version: int | None
    key: str | None
    fingerprint: str
    request: Request

    @property
    def command(self) -> str:
        endpoint = self.request.scope.get("endpoint")
        return getattr(endpoint, "__name__", "unknown")

    def run(
        self,
        action: Callable[[], Written],
        *,
        status: int = 200,
        body: Callable[[Written], dict[str, Any]] | None = None,
        location: Callable[[Written], str] | None = None,
    ) -> Response:
        store = self.services.idempotency
        if self.key is not None:
            try:
                stored = store.claim(self.officer.officer_id, self.key, self.fingerprint)
            except KeyReused:
                raise ApiProblem(
                    422,
                    "this Idempotency-Key was already used for a different request",
                    "idempotency-key-reused",
                ) from None
            except KeyInProgress:
                raise ApiProblem(
                    409,
                    "a request with this Idempotency-Key is still being processed; retry shortly",
                    "idempotency-key-in-progress",
                    {"Retry-After": "1"},
                ) from None
            if stored is not None:
                COMMANDS.labels(self.command, "replayed").inc()
                headers = dict(stored.headers)
                headers["Idempotent-Replayed"] = "true"
                return Response(stored.body, stored.status_code, headers, "application/json")
        try:
            written = action()
        except DomainError as error:
            if self.key is not None:
                store.release(self.officer.officer_id, self.key)
            outcome = "conflict" if isinstance(error, ConcurrencyConflict) else "refused"
            COMMANDS.labels(self.command, outcome).inc()
            if isinstance(error, ConcurrencyConflict) and self.expected_version is not None:
                raise ApiProblem(412, error.message, "precondition-failed") from None
            return domain_problem(error, self.request)
        except BaseException:
            if self.key is not None:
                store.release(self.officer.officer_id, self.key)
            raise
        COMMANDS.labels(self.command, "recorded").inc()
        content = {
            "id": str(written.id),
            "version": written.version,
            "position": written.position,
            **(body(written) if body else written.details),
        }
        headers = {"ETag": etag(written.version), "X-Log-Position": str(written.position)}
        if location is not None:
            headers["Location"] = location(written)
        payload = dumps(content)
        if self.key is not None:
            store.complete(
                self.officer.officer_id, self.key, StoredResponse(status, payload, headers)
            )
        return Response(payload, status, headers, "application/json")


async def _fingerprint(request: Request) -> str:
    body = await request.body()
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.url.path.encode())
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


def write_request(
    request: Request,
    services: ServicesDep,
    officer: CurrentOfficer,
    ctx: RequestContext,
    fingerprint: Annotated[str, Depends(_fingerprint)],
) -> Write:
    """A write request: who may record what is the use case's rule, not the route's."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 200 and key.isprintable()):
        raise ApiProblem(
            422, "Idempotency-Key must be 1 to 200 printable characters", "invalid-input"
        )
    return Write(
        services=services,
        ctx=ctx,
        officer=officer,
        expected_version=parse_if_match(request.headers.get("If-Match")),
        key=key,
        fingerprint=fingerprint,
        request=request,
    )


WriteDep = Annotated[Write, Depends(write_request)]


def require_roles(officer: Officer, *roles: Role) -> None:
    if officer.role not in roles:
        raise ApiProblem(403, f"the {officer.role} role may not do this", "permission-denied")


VersionQuery = Annotated[
    int | None, Query(ge=1, le=10**9, description="Read the record as at this version.")
]
AsOfQuery = Annotated[
    IsoDateTime | None, Query(description="Read the record as it was at this moment (ISO 8601).")
]


def reject_unknown_query(request: Request) -> None:
    """A query parameter the route does not declare is refused (422), not silently ignored: a
    misspelt filter (`?countyy=140221`) would otherwise answer everything, unfiltered."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    # The names a route declares, worked out once per route (kept on it), not per request.
    declared: frozenset[str] | None = getattr(route, "_jointcase_query_names", None)
    if declared is None:
        declared = frozenset(query_names(dependant))
        setattr(route, "_jointcase_query_names", declared)  # noqa: B010
    unknown = sorted(set(request.query_params.keys()) - declared)
    if unknown:
        raise ApiProblem(
            422,
            f"unknown query parameter(s): {', '.join(repr(u) for u in unknown)[:200]}",
            "invalid-input",
        )
