"""Liveness and readiness (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServicesDep
from api.errors import problem, problems
from api.offload import OffloadedRoute
from api.schemas.reference import HealthPublic, ReadyPublic

router = APIRouter(route_class=OffloadedRoute, tags=["health"])


@router.get("/health", response_model=HealthPublic)
@router.get("/v1/health", response_model=HealthPublic)
def health() -> object:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready", response_model=ReadyPublic, responses=problems(503))
@router.get("/v1/ready", response_model=ReadyPublic, responses=problems(503))
def ready(services: ServicesDep) -> object:
    """The database answers and the tables exist; each read model's position and lag."""
    try:
        position = services.app.log_position()
    except Exception as e:  # any database failure means not ready
        return problem(503, f"the event store does not answer: {type(e).__name__}", "not-ready")
    lag = {}
    try:
        for view in services.views.all():
            lag[view.name] = {"position": view.position(), "lag": position - view.position()}
    except Exception as e:  # view tables missing or database failing
        return problem(503, f"the read models do not answer: {type(e).__name__}", "not-ready")
    return {"status": "ready", "last_position": position, "views": lag}
