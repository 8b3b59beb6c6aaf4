"""Reading the event log itself: the global log by position, for those who audit it, in the
same flat record the audit trail keeps (informant data never included)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from domain.access import audit_county
from domain.records import event_fields, event_record
from domain.values import Actor
from service.store import Store


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    raise TypeError


def event_data(event: Any) -> bytes:
    """The event's data as JSON: the one encoding, used here and by the audit trail."""
    # PostgreSQL text and jsonb cannot hold U+0000; one such character must not stop a view.
    return orjson.dumps(event_fields(event), default=_json_default).replace(b"\\u0000", b"\\ufffd")


@dataclass(frozen=True)
class LogPage:
    """Events after a position, the position to page from next, and the end of the log."""

    items: list[dict[str, Any]]
    next_after: int
    last_position: int


class EventLogUseCases(Store):
    def event_log(self, after: int, limit: int, *, viewer: Actor) -> LogPage:
        """Events after ``after``, oldest first (an administrator: its own county's only).
        Positions can have gaps: page with ``next_after``, never by counting."""
        county = audit_county(viewer)
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        items = []
        for n in notifications:
            event = self.mapper.to_domain_event(n)
            actor = getattr(event, "actor", None)
            if county is not None and (actor is None or actor.county != county):
                continue
            items.append(event_record(event, n.id, orjson.loads(event_data(event))))
        return LogPage(
            items=items,
            next_after=notifications[-1].id if notifications else after,
            last_position=self.log_position(),
        )
