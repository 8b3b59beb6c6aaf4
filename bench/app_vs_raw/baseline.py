"""The raw baseline: a plain eventsourcing Application with a trivial Counter aggregate."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


# --- the raw baseline -----------------------------------------------------------------------------
class Counter(Aggregate):
    """The baseline's trivial aggregate: one integer and one kind of event."""

    @event("Started")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Incremented")
    def increment(self, by: int) -> None:
        self.count += by


class RawApp(Application[UUID]):
    """A plain library application (own tables `rawbench_*`, no snapshots)."""

    name = "rawbench"


class RawSnapshottingApp(RawApp):
    """The same application (same tables) with snapshotting on, as jointcase has it: each load
    first looks for a snapshot, then selects the events after it."""

    name = "rawbench"
    snapshotting_intervals = {Counter: 50}
