"""The FastAPI application: built once with its services (lifespan), errors as problem+json."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from api import errors, metrics
from api.deps import Services, reject_unknown_query
from api.jsonresp import JSONResponse
from api.routers import (
    bulletins,
    cases,
    contributions,
    events,
    findings,
    health,
    leads,
    meetings,
    officers,
    operations,
    price_inspections,
    proofs,
    reference,
    rewards,
    views,
)
from jointcase.idempotency import IdempotencyStore
from jointcase.officers import OfficerStore
from jointcase.settings import Settings
from jointcase.signin import SignIns
from jointcase.storage import build_app, library_env, open_pool, resolve_database, token_pepper
from projections.accountability import DeadlineBreaches
from projections.base import BatchRunner
from projections.bulletins import AuditBulletins
from projections.registry import Views, build_views
from service.ports import PolicyFile, Ports

log = logging.getLogger("jointcase.http")
_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def build_services(settings: Settings, run_projections: bool | None = None) -> Services:
    db = resolve_database(settings)
    pool = open_pool(db)
    app = build_app(settings, db=db)
    views = build_views(library_env(settings, db))
    app.connect(read_ports(settings, views))
    if run_projections is None:
        run_projections = settings.run_projections
    if run_projections is None:
        run_projections = db.embedded
    runner = (
        BatchRunner(app, views.all(), page_size=settings.worker_page_size).start()
        if run_projections
        else None
    )
    return Services(
        settings=settings,
        app=app,
        officers=OfficerStore(pool, token_pepper(settings, db), settings.token_lifetime()),
        idempotency=IdempotencyStore(pool),
        views=views,
        runner=runner,
        signins=SignIns(pool),
    )


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
    if services.runner is not None:
        services.runner.stop()
    services.views.close()
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
    )
    if services is not None:
        app.state.services = services
    errors.install(app)

    @app.middleware("http")
    async def correlation(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get("X-Correlation-ID", "")
        request.state.correlation_id = given if _CORRELATION.match(given) else str(uuid.uuid4())
        started = time.perf_counter()
        response = await call_next(request)
        elapsed = time.perf_counter() - started
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.LATENCY.labels(request.method, route).observe(elapsed)
        response.headers["X-Correlation-ID"] = request.state.correlation_id
        log.info(
            "request",
            extra={
                "correlation_id": request.state.correlation_id,
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "ms": round(elapsed * 1000, 2),
            },
        )
        return response

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        metrics.check_scraper(request.app.state.services.settings, request)
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    for module in (health, views, leads, cases, reference, events, officers, proofs):
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
    ):
        errors.declare_framework_problems(module.router.routes)
        app.include_router(module.router)
    from api import console

    console.install(app)
    return app
