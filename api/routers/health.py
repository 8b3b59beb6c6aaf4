"""Liveness and readiness (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServicesDep
from api.errors import problem
from api.jsonresp import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health")
@router.get("/v1/health")
def health() -> JSONResponse:
    """The process is up."""
    return JSONResponse({"status": "ok"})


@router.get("/ready")
@router.get("/v1/ready")
def ready(services: ServicesDep) -> object:
    """The database answers and the tables exist."""
    try:
        position = services.app.recorder.max_notification_id() or 0
    except Exception as e:  # any database failure means not ready
        return problem(503, f"the event store does not answer: {type(e).__name__}", "not-ready")
    lag = {}
    try:
        for view in services.views.all():
            lag[view.name] = {"position": view.position(), "lag": position - view.position()}
    except Exception as e:  # view tables missing or database failing
        return problem(503, f"the read models do not answer: {type(e).__name__}", "not-ready")
    return JSONResponse({"status": "ready", "last_position": position, "views": lag})
