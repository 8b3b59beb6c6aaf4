"""The FastAPI application: built once with its services (lifespan), errors as problem+json."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import Depends, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import errors, metrics
from api.deps import Services, reject_unknown_query
from api.jsonresp import JSONResponse
from api.routers import (
    bulletins,
    cases,
    contributions,
    events,
    evidence,
    findings,
    health,
    leads,
    meetings,
    notifications,
    officers,
    operations,
    price_inspections,
    proofs,
    reference,
    rewards,
    views,
)
from jointcase.cluster import TARGET_SESSION_ATTRS
from jointcase.evidence_store import open_content
from jointcase.idempotency import IdempotencyStore
from jointcase.notifications import Notifier, build_sender, build_store
from jointcase.officers import OfficerStore
from jointcase.settings import Settings
from jointcase.signin import SignIns
from jointcase.storage import (
    Database,
    build_app,
    library_env,
    open_pool,
    resolve_database,
    token_pepper,
)
from jointcase.token_cache import TokenCache
from projections.accountability import DeadlineBreaches
from projections.base import BatchRunner
from projections.bulletins import AuditBulletins
from projections.registry import Views, build_views
from service.ports import PolicyFile, Ports

log = logging.getLogger("jointcase.http")
_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class RequestRecord:
    """Gives each request its correlation id (the client's `X-Correlation-ID` when well formed,
    else a new one), answers it in the response header, counts the request and its latency by
    route template and status, and logs one line. Plain ASGI: Starlette's `BaseHTTPMiddleware`
    (`@app.middleware("http")`) runs the rest of the app in a task of its own and streams the
    response through a memory channel, on every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for name, value in scope["headers"]:
            if name == b"x-correlation-id":
                given = value.decode("latin-1")
                break
        correlation = given if _CORRELATION.match(given) else str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = correlation
        header = (b"x-correlation-id", correlation.encode())
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            metrics.observe_request(method, route, status, elapsed)
            log.info(
                "request",
                extra={
                    "correlation_id": correlation,
                    "method": method,
                    "route": route,
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                },
            )


def build_services(settings: Settings, run_projections: bool | None = None) -> Services:
    db = resolve_database(settings)
    pool = open_pool(db)
    app = build_app(settings, db=db)
    views = build_views(library_env(settings, db))
    read_views = standby_views(settings, db) or views
    app.connect(read_ports(settings, views))  # use cases decide on the leader's views
    app.connect_evidence(open_content(settings, lambda: open_pool(db)), settings.evidence_policy())
    if run_projections is None:
        run_projections = settings.run_projections
    if run_projections is None:
        run_projections = db.embedded
    runner = (
        BatchRunner(app, views.all(), page_size=settings.worker_page_size).start()
        if run_projections
        else None
    )
    pepper = token_pepper(settings, db)
    notices = build_store(settings, pool, pepper)
    notifier = None
    if run_projections:
        # its own connections: a slow receiver never holds one the requests need
        own = build_store(settings, open_pool(db, size=2), pepper)
        notifier = Notifier(
            own,
            build_sender(settings, own),
            views.workspace.position,
            interval=settings.notify_interval,
        )
        notifier.start()
    officers = OfficerStore(pool, pepper, settings.token_lifetime())
    tokens = (
        TokenCache(officers, db.conninfo(), settings.token_cache_seconds).start()
        if settings.token_cache_seconds > 0
        else None
    )
    return Services(
        settings=settings,
        app=app,
        officers=officers,
        tokens=tokens,
        # A request that was about to commit has given up after its wait for the database
        # and the library's own connection retries (about 35 s): then a retry may settle it.
        idempotency=IdempotencyStore(
            pool, abandon_after=timedelta(seconds=settings.failover_wait + 35)
        ),
        views=read_views,
        runner=runner,
        leader_views=views if read_views is not views else None,
        notifications=notices,
        notifier=notifier,
        signins=SignIns(pool, app.cipher),
    )


def standby_views(settings: Settings, db: Database) -> Views | None:
    """With a cluster address and JOINTCASE_READ_FROM_STANDBY, the views the routes read, on
    a standby when one answers (``prefer-standby``). A view's position replicates with its
    rows, so `wait_for=` waits on the standby itself: read-your-writes holds."""
    if not (settings.read_from_standby and db.is_cluster):
        return None
    env = library_env(settings, db)
    env[TARGET_SESSION_ATTRS] = "prefer-standby"
    return build_views(env)


def read_ports(settings: Settings, views: Views) -> Ports:
    """What the use cases read besides the event store: the read models and the policy file."""
    return Ports(
        ledger=views.contributions,
        policies=PolicyFile(settings.reward_policy),
        breaches=DeadlineBreaches(views, settings.bulletin_grace_days),
        bulletins=AuditBulletins(views.audit, views.bulletin_issues),
        cases=views.operations,
    )


def close_services(services: Services) -> None:
    if services.tokens is not None:
        services.tokens.stop()
    if services.notifier is not None:
        services.notifier.stop()
        services.notifier.store.pool.close()
    if services.runner is not None:
        services.runner.stop()
    services.views.close()
    if services.leader_views is not None:
        services.leader_views.close()
    services.app.evidence_content.close()
    services.app.close()
    services.officers.pool.close()


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        app.state.services = services or build_services(settings or Settings())
        metrics.install_collector(app.state.services)
        yield
        metrics.uninstall_collector(app.state.services)
        if own:
            close_services(app.state.services)

    app = FastAPI(
        title="jointcase",
        version="1.0",
        description="Cross-county case coordination for tobacco monopoly bureaus: leads, "
        "referrals, cases, merges, joint handling and audit. Every route except health/ready "
        "needs `Authorization: Bearer <token>` (issued by `jointcase officers add`).",
        lifespan=lifespan,
        default_response_class=JSONResponse,
        docs_url=None,  # served by the console from local assets (api/console/docs.py)
        redoc_url=None,
        dependencies=[Depends(reject_unknown_query)],
        # FastAPI's own OpenTelemetry hooks look the providers up on every request; jointcase
        # measures with Prometheus and logs with `logging` (RequestRecord), and sets no provider.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    if services is not None:
        app.state.services = services
    errors.install(app)

    app.add_middleware(RequestRecord)
    # Outermost, so the request record and the sign-in throttle see the real client. uvicorn's
    # own middleware, given our setting (default: no proxy trusted), not uvicorn's default.
    if services is None and settings is None:
        settings = Settings()
    proxies = (services.settings if services else settings or Settings()).trusted_proxy_list()
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        metrics.check_scraper(request.app.state.services.settings, request)
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    for module in (
        health,
        views,
        leads,
        cases,
        reference,
        events,
        officers,
        proofs,
        notifications,
    ):
        errors.declare_framework_problems(module.router.routes)
        app.include_router(module.router)
    for module in (
        contributions,
        rewards,
        findings,
        operations,
        meetings,
        price_inspections,
        bulletins,
        evidence,
    ):
        errors.declare_framework_problems(module.router.routes)
        app.include_router(module.router)
    from api import console

    console.install(app)
    return app
