"""Notifications: a county's unread list, its webhooks and e-mail addresses, and deliveries."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas import example
from api.schemas.common import Public, UtcTime


class NotificationPublic(Public):
    """Something that reached the county or a deadline coming up or lapsed."""

    id: int
    key: str = Field(description="Stable id of the notification (also sent to webhooks).")
    kind: Literal["arrived", "deadline_soon", "deadline_lapsed"]
    item_kind: str = Field(description="What is to be done (as in the county's workspace).")
    lead_id: UUID | None
    case_id: UUID | None
    from_county: str | None
    title: str
    due_at: UtcTime | None
    created_at: UtcTime
    read_at: UtcTime | None = Field(description="When the calling officer marked it read.")


class NotificationListPublic(BaseModel):
    items: list[NotificationPublic]
    unread: int = Field(description="Unread notifications of the calling officer in all.")


class MarkedRead(BaseModel):
    marked: int


class TargetCreate(BaseModel):
    model_config = example(channel="webhook", address="https://intranet.example/jointcase-hook")
    channel: Literal["webhook", "email"]
    address: str = Field(min_length=3, max_length=2000)


class TargetPublic(Public):
    id: UUID
    county: str
    channel: Literal["webhook", "email"]
    address: str
    added_by: str
    added_at: UtcTime


class TargetCreated(TargetPublic):
    secret: str | None = Field(
        description="A webhook's signing secret (HMAC-SHA256 key), shown once; none for e-mail."
    )


class TargetListPublic(BaseModel):
    items: list[TargetPublic]


class DeliveryPublic(Public):
    id: int
    notification_id: int
    notification_key: str
    kind: str
    item_kind: str
    target_id: UUID
    channel: str
    address: str
    state: Literal["pending", "sent", "failed", "cancelled"]
    attempts: int
    next_attempt_at: UtcTime
    last_error: str | None
    sent_at: UtcTime | None
    idempotency_key: UUID


class DeliveryListPublic(BaseModel):
    items: list[DeliveryPublic]
