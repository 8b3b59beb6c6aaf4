"""Reading the event log itself: the global log by position, for those who audit it, in the
same flat record the audit trail keeps (informant data never included)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.access import require_audit_reader
from domain.records import event_record
from domain.values import Actor
from service.store import Store


@dataclass(frozen=True)
class LogPage:
    """Events after a position, the position to page from next, and the end of the log."""

    items: list[dict[str, Any]]
    next_after: int
    last_position: int


class EventLogUseCases(Store):
    def event_log(self, after: int, limit: int, *, viewer: Actor) -> LogPage:
        """Events after ``after``, oldest first. Positions can have gaps: page with
        ``next_after``, never by counting."""
        require_audit_reader(viewer)
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        items = [event_record(self.mapper.to_domain_event(n), n.id) for n in notifications]
        return LogPage(
            items=items,
            next_after=notifications[-1].id if notifications else after,
            last_position=self.log_position(),
        )
