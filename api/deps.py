"""Dependencies: the services, the authenticated officer, the request's context, and the write
protocol (If-Match, Idempotency-Key, ETag and log position on the response)."""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.errors import UNAVAILABLE, ApiProblem, domain_problem, query_names
from api.jsonresp import dumps
from api.metrics import COMMANDS
from api.schemas import IsoDateTime
from domain.errors import ConcurrencyConflict, DomainError
from domain.values import Context, Role
from jointcase.idempotency import (
    IdempotencyStore,
    KeyInProgress,
    KeyReused,
    StoredResponse,
    Unsettled,
)
from jointcase.notifications import NotificationStore, Notifier
from jointcase.officers import Officer, OfficerStore
from jointcase.settings import Settings
from jointcase.signin import SignIns
from jointcase.staff import Staff
from jointcase.token_cache import TokenCache
from projections.base import BatchRunner
from projections.registry import Views
from service.app import JointCaseApp
from service.store import BEFORE_SAVE, DatabaseUnavailable, Pending, Written


@dataclass
class Services:
    settings: Settings
    app: JointCaseApp
    officers: OfficerStore
    idempotency: IdempotencyStore
    views: Views
    runner: BatchRunner | None = None
    #: Tokens this process has checked, forgotten on any change to officers (None: off).
    tokens: TokenCache | None = None
    notifications: NotificationStore | None = None
    #: The notifier, when this process runs the read models (the embedded default).
    notifier: Notifier | None = None
    #: The leader's views, when ``views`` (what the routes read) are on a standby.
    leader_views: Views | None = None
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


# The dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in its
# thread pool, a hand-off to a worker thread and back for each one, which on a loaded machine
# costs more than the work itself (bench/README.md, http_vs_direct).
async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
_bearer = HTTPBearer(auto_error=False, description="A token issued by `jointcase officers add`.")


async def current_officer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Officer:
    """The officer whose token the request carries: from the process's token cache when this
    process checked it already (no database round trip, no thread hop; revocation and rotation
    still take effect at once, `jointcase/token_cache.py`), else from the officers table."""
    challenge = {"WWW-Authenticate": 'Bearer realm="jointcase"'}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(401, "send Authorization: Bearer <token>", "not-authenticated", challenge)
    token = credentials.credentials
    if len(token) > 200:
        raise ApiProblem(401, "the token is not valid", "not-authenticated", challenge)
    services: Services = request.app.state.services  # not `ServicesDep`: one node fewer
    cache = services.tokens
    officer = cache.get(token) if cache is not None else None
    if officer is None:
        lookup = cache.authenticate if cache is not None else services.officers.authenticate
        officer = await run_in_threadpool(lookup, token)
    if officer is None:
        raise ApiProblem(
            401, "the token is not valid or was revoked", "not-authenticated", challenge
        )
    return officer


CurrentOfficer = Annotated[Officer, Depends(current_officer)]


def _context(request: Request, services: Services, officer: Officer) -> Context:
    return Context(officer.actor, services.clock(), request.state.correlation_id)


async def request_context(
    request: Request, services: ServicesDep, officer: CurrentOfficer
) -> Context:
    return _context(request, services, officer)


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
            if isinstance(stored, Unsettled):
                stored = self._settle(stored, status, body, location)
            if stored is not None:
                COMMANDS.labels(self.command, "replayed").inc()
                headers = dict(stored.headers)
                headers["Idempotent-Replayed"] = "true"
                return Response(stored.body, stored.status_code, headers, "application/json")
        hook = None
        if self.key is not None:
            officer_id, key = self.officer.officer_id, self.key
            hook = BEFORE_SAVE.set(
                lambda pending: store.pending(officer_id, key, dumps(asdict(pending)))
            )
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
        except DatabaseUnavailable as error:
            COMMANDS.labels(self.command, "unavailable").inc()
            if self.key is not None and not error.uncertain:
                with contextlib.suppress(*UNAVAILABLE):
                    store.release(self.officer.officer_id, self.key)
            # An uncertain write keeps its key claimed: a retry with the key waits (409 with
            # Retry-After) rather than possibly recording it a second time.
            raise
        except BaseException:
            if self.key is not None:
                store.release(self.officer.officer_id, self.key)
            raise
        finally:
            if hook is not None:
                BEFORE_SAVE.reset(hook)
        COMMANDS.labels(self.command, "recorded").inc()
        return self._answer(written, status, body, location)

    def _answer(
        self,
        written: Written,
        status: int,
        body: Callable[[Written], dict[str, Any]] | None,
        location: Callable[[Written], str] | None,
    ) -> Response:
        store = self.services.idempotency
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
            # Recorded: the response is kept for retries even across a failover.
            _while_unavailable(
                self.services.app.unavailable_wait,
                lambda: store.complete(
                    self.officer.officer_id,
                    self.key or "",
                    StoredResponse(status, payload, headers),
                ),
            )
        return Response(payload, status, headers, "application/json")

    def _settle(
        self,
        unsettled: Unsettled,
        status: int,
        body: Callable[[Written], dict[str, Any]] | None,
        location: Callable[[Written], str] | None,
    ) -> StoredResponse | None:
        """The first request with this key gave up while its commit was under way (a failover):
        if the events table holds what it was about to record, that is its answer (kept now);
        if not, this request runs the command (None)."""
        pending = Pending(**orjson.loads(unsettled.pending))
        position = self.services.app.recorded_position(
            pending.first_id,
            pending.first_version,
            pending.digest,
            pending.last_id,
            pending.last_version,
        )
        assert self.key is not None
        if position is None:
            if self.services.idempotency.take_over(self.officer.officer_id, self.key, unsettled):
                return None
            raise ApiProblem(
                409,
                "a request with this Idempotency-Key is still being processed; retry shortly",
                "idempotency-key-in-progress",
                {"Retry-After": "1"},
            )
        written = Written(UUID(pending.main_id), pending.main_version, position, pending.details)
        response = self._answer(written, status, body, location)
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-type")
        }
        return StoredResponse(response.status_code, bytes(response.body), headers)


def _while_unavailable(wait: float, call: Callable[[], None]) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            return call()
        except UNAVAILABLE:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.25)


def _fingerprint(request: Request, body: bytes) -> str:
    """What a retry with the same Idempotency-Key must repeat: method, path and body."""
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.url.path.encode())
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


async def write_request(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Write:
    """A write request: who may record what is the use case's rule, not the route's. Its one
    sub-dependency is the bearer credentials (each is a node FastAPI resolves on every
    request): the officer is authenticated by calling `current_officer`, not through a node of
    its own; the request's fingerprint is worked out only when it carries an
    Idempotency-Key, the only time it is compared."""
    officer = await current_officer(request, credentials)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 200 and key.isprintable()):
        raise ApiProblem(
            422, "Idempotency-Key must be 1 to 200 printable characters", "invalid-input"
        )
    services: Services = request.app.state.services
    return Write(
        services=services,
        ctx=_context(request, services, officer),  # not a dependency: each costs a resolution
        officer=officer,
        expected_version=parse_if_match(request.headers.get("If-Match")),
        key=key,
        fingerprint="" if key is None else _fingerprint(request, await request.body()),
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
#: A page of a list: how many rows (default 50) from which one on (default 0), the same bounds
#: for every list (``api.present.search_page`` shows where the page is).
LimitQuery = Annotated[int, Query(ge=1, le=200)]
OffsetQuery = Annotated[int, Query(ge=0, le=100_000)]


async def reject_unknown_query(request: Request) -> None:
    """A query parameter the route does not declare is refused (422), not silently ignored: a
    misspelt filter (`?countyy=140221`) would otherwise answer everything, unfiltered; so is a
    parameter of one value given twice."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    # The names a route declares, worked out once per route (kept on it), not per request.
    names: tuple[frozenset[str], frozenset[str]] | None = getattr(
        route, "_jointcase_query_names", None
    )
    if names is None:
        names = frozenset(query_names(dependant)), frozenset(query_names(dependant, single=True))
        setattr(route, "_jointcase_query_names", names)  # noqa: B010
    declared, single = names
    unknown = sorted(set(request.query_params.keys()) - declared)
    if unknown:
        raise ApiProblem(
            422,
            f"unknown query parameter(s): {', '.join(repr(u) for u in unknown)[:200]}",
            "invalid-input",
        )
    # A filter given twice (`?status=open&status=closed`) would otherwise quietly keep the last.
    counts = Counter(key for key, _ in request.query_params.multi_items() if key in single)
    repeated = sorted(key for key, n in counts.items() if n > 1)
    if repeated:
        raise ApiProblem(
            422,
            f"query parameter(s) given more than once: {', '.join(map(repr, repeated))[:200]}",
            "invalid-input",
        )
