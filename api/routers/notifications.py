"""/v1/notifications: the calling officer's county's notifications (read and unread), and for a
county's administrator its webhooks and e-mail addresses and what was delivered to them."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response

from api.deps import CurrentOfficer, ServicesDep
from api.errors import READ, problems
from api.offload import OffloadedRoute
from api.schemas.notifications import (
    DeliveryListPublic,
    MarkedRead,
    NotificationListPublic,
    TargetCreate,
    TargetCreated,
    TargetListPublic,
)
from jointcase.notifications import NotificationStore

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["notifications"])
#: Ids are PostgreSQL bigints.
NotificationId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _store(services: ServicesDep) -> NotificationStore:
    assert services.notifications is not None, "the notifications store is not configured"
    return services.notifications


@router.get("/notifications", response_model=NotificationListPublic, responses=problems(401, 400))
def list_notifications(
    services: ServicesDep,
    officer: CurrentOfficer,
    unread: Annotated[bool, Query(description="Only those not yet marked read.")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Page: ids below this one.")
    ] = None,
) -> object:
    """The county's notifications, newest first, each marked read or not for the caller."""
    store = _store(services)
    items = store.listing(officer.actor, unread_only=unread, limit=limit, before=before)
    return {"items": items, "unread": store.unread_count(officer.actor)}


@router.post(
    "/notifications/{notification_id}/read",
    response_model=MarkedRead,
    responses=problems(*READ),
)
def mark_read(
    notification_id: NotificationId, services: ServicesDep, officer: CurrentOfficer
) -> object:
    """Mark one of the county's notifications read (for the calling officer)."""
    return {"marked": _store(services).mark_read(officer.actor, notification_id, services.clock())}


@router.post("/notifications/read", response_model=MarkedRead, responses=problems(401))
def mark_all_read(services: ServicesDep, officer: CurrentOfficer) -> object:
    """Mark all of the county's notifications read (for the calling officer)."""
    return {"marked": _store(services).mark_read(officer.actor, None, services.clock())}


@router.get("/notification-targets", response_model=TargetListPublic, responses=problems(401, 403))
def list_targets(services: ServicesDep, officer: CurrentOfficer) -> object:
    """The county's webhooks and e-mail addresses. The county's administrators only."""
    return {"items": _store(services).targets(officer.actor)}


@router.post(
    "/notification-targets",
    status_code=201,
    response_model=TargetCreated,
    responses=problems(401, 403, 422),
)
def add_target(
    body: TargetCreate, services: ServicesDep, officer: CurrentOfficer, response: Response
) -> object:
    """Add a webhook (its signing secret is shown once) or an e-mail address for the county.
    Notifications recorded from now on are delivered to it. Administrators only."""
    target, secret = _store(services).add_target(
        officer.actor, body.channel, body.address, services.clock()
    )
    response.headers["Location"] = f"/v1/notification-targets/{target.id}"
    return {**target.__dict__, "secret": secret}


@router.delete(
    "/notification-targets/{target_id}", status_code=204, responses=problems(401, 403, 404)
)
def remove_target(target_id: UUID, services: ServicesDep, officer: CurrentOfficer) -> Response:
    """Remove a webhook or address of the county; its pending deliveries are cancelled."""
    _store(services).remove_target(officer.actor, target_id, services.clock())
    return Response(status_code=204)


@router.get(
    "/notification-deliveries", response_model=DeliveryListPublic, responses=problems(401, 403)
)
def list_deliveries(
    services: ServicesDep,
    officer: CurrentOfficer,
    state: Literal["pending", "sent", "failed", "cancelled"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> object:
    """What was sent to the county's webhooks and addresses, with attempts and errors, newest
    first. Administrators only."""
    return {"items": _store(services).deliveries(officer.actor, state=state, limit=limit)}
