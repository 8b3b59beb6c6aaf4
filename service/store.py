"""The one write path and the loading every use case shares: find an aggregate (visible to the
caller or not found), decide, save atomically, retry a lost race when the caller did not ask for
a version, and report what was recorded."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import EnvType

from domain.access import can_see_case, can_see_lead, require_recorder
from domain.case import Case
from domain.case_state import AssistanceRequest, CoHandler, MergeRecord, PoliceReferral, Seizure
from domain.errors import ConcurrencyConflict, InvalidInput, NotFound
from domain.informants import InformantCipher
from domain.jurisdiction import CaseNumberSequence, Jurisdiction, Liaison
from domain.lead import Lead
from domain.lead_state import Corroboration, Feedback, Referral
from domain.policy import Deadlines, PoliceThresholds, SeizureTotals
from domain.values import (
    Actor,
    ActorAsDict,
    Context,
    DataclassAsDict,
    DateAsISO,
    IdSetAsText,
    Role,
)
from service.ports import NOT_CONNECTED, Ports

TAggregate = TypeVar("TAggregate", bound=Aggregate)

#: The actor recorded on reference data the system itself seeds.
SYSTEM_ACTOR = Actor(officer_id="system", county="000000", role=Role.ADMIN)
#: How often a command without an expected version is re-run after losing a race.
RETRIES = 30

#: Dataclasses held in aggregate state, stored inside snapshots (``Seizure`` only in snapshots of
#: a case's class version 1, which are upcast on load).
STATE_CLASSES: tuple[type, ...] = (
    Referral,
    Feedback,
    Corroboration,
    CoHandler,
    Seizure,
    SeizureTotals,
    AssistanceRequest,
    PoliceReferral,
    MergeRecord,
    Liaison,
)


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Applies stored events in order. The library's default projector asserts a runtime
    protocol check on every event, which costs about a third of a long replay."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


@dataclass(frozen=True)
class Written:
    """What a write recorded: the main aggregate's id and new version, the log position of its
    last event (for read-your-writes), and anything else the caller needs (a case number...)."""

    id: UUID
    version: int
    position: int
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Decided:
    """What one attempt of a command decided: the aggregate the caller asked about, the others
    changed with it (saved in the same transaction) and details for the answer."""

    main: Aggregate
    others: tuple[Aggregate, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


def decided(main: Aggregate, *others: Aggregate, **details: Any) -> Decided:
    return Decided(main, others, details)


class Store(Application[UUID]):
    """The event store every use case records into, with the shared loading and write path."""

    name = "jointcase"  # the library names tables and settings after it
    snapshotting_intervals = {Lead: 50, Case: 50, CaseNumberSequence: 10, Jurisdiction: 50}

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        cipher: InformantCipher,
        deadlines: Deadlines | None = None,
        thresholds: PoliceThresholds | None = None,
        timezone: tzinfo | None = None,
    ) -> None:
        self.cipher = cipher
        self.deadlines = deadlines or Deadlines()
        self.thresholds = thresholds or PoliceThresholds()
        self.timezone = timezone or ZoneInfo("Asia/Shanghai")
        #: The read models and settings some use cases consult (connected by the entry point).
        self.ports: Ports = NOT_CONNECTED
        super().__init__(env)

    def connect(self, ports: Ports) -> None:
        """Connects the read models and settings that some use cases consult."""
        self.ports = ports

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsDict())
        transcoder.register(DateAsISO())
        transcoder.register(IdSetAsText())
        for state_class in STATE_CLASSES:
            transcoder.register(DataclassAsDict(state_class))

    # --- loading ---------------------------------------------------------------------------------
    def _find(self, cls: type[TAggregate], aggregate_id: UUID) -> TAggregate | None:
        try:
            aggregate: Any = self.repository.get(aggregate_id, projector_func=replay)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def _load(
        self,
        cls: type[TAggregate],
        aggregate_id: UUID,
        viewer: Actor | None = None,
        expected_version: int | None = None,
    ) -> TAggregate:
        """The aggregate, as the caller may see it: one it may not see is not found, with the
        same message as one that does not exist. ``viewer`` None is the system itself."""
        aggregate = self._find(cls, aggregate_id)
        if aggregate is None or (viewer is not None and not self._visible(viewer, aggregate)):
            raise NotFound(f"no {cls.__name__.lower()} {aggregate_id}")
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflict(
                f"{cls.__name__.lower()} {aggregate_id} is at version {aggregate.version}, "
                f"not {expected_version}: reload it and try again"
            )
        return aggregate

    def _visible(self, viewer: Actor, aggregate: Aggregate) -> bool:
        if isinstance(aggregate, Lead):
            return can_see_lead(viewer, aggregate)
        if isinstance(aggregate, Case):
            return can_see_case(
                viewer, aggregate, self._survivors(aggregate), self._absorbed_counties(aggregate)
            )
        return True

    def _absorbed_counties(self, case: Case) -> Iterator[str]:
        """The counties of the cases merged into this one now (loaded only when asked)."""
        for absorbed_id in case.absorbed:
            found = self._find(Case, UUID(absorbed_id))
            if found is not None:
                yield found.county

    def _survivors(self, case: Case) -> list[Case]:
        """The cases this case is merged into, nearest first (loaded only when needed)."""
        chain: list[Case] = []
        current = case
        seen = {case.id}
        while current.merged_into is not None and current.merged_into not in seen:
            seen.add(current.merged_into)
            found = self._find(Case, current.merged_into)
            if found is None:
                break
            chain.append(found)
            current = found
        return chain

    def _time_travel(
        self,
        cls: type[TAggregate],
        aggregate_id: UUID,
        viewer: Actor | None,
        version: int | None,
        as_of: datetime | None,
    ) -> TAggregate:
        """The aggregate now, or as it was at a version or a moment; visibility is decided on
        what the caller may see now."""
        current = self._load(cls, aggregate_id, viewer)
        if version is not None and as_of is not None:
            raise InvalidInput("ask for a version or a moment, not both")
        if version is not None:
            if version < 1:
                raise InvalidInput("versions start at 1")
            if version > current.version:
                raise NotFound(
                    f"{cls.__name__.lower()} {aggregate_id} has no version {version} "
                    f"(latest is {current.version})"
                )
            aggregate: Any = self.repository.get(
                aggregate_id, version=version, projector_func=replay
            )
            return aggregate  # type: ignore[no-any-return]
        if as_of is not None:
            if as_of.tzinfo is None:
                raise InvalidInput("a moment must carry its time zone")
            state: Any = None
            stored: Any
            for stored in self.events.get(aggregate_id):
                if stored.timestamp > as_of:
                    break
                state = stored.mutate(state)
            if state is None or not isinstance(state, cls):
                raise NotFound(f"no {cls.__name__.lower()} {aggregate_id} existed at {as_of}")
            return state
        return current

    def log_position(self) -> int:
        """The position of the last event recorded (0 for an empty log)."""
        return int(self.recorder.max_notification_id() or 0)

    # --- the write path --------------------------------------------------------------------------
    def write(
        self,
        ctx: Context,
        decide: Callable[[], Decided],
        expected_version: int | None = None,
        *,
        check: Callable[[Actor], None] = require_recorder,
    ) -> Written:
        """Runs one command: checks the actor's role, then loads and decides (``decide``) and
        saves everything decided in one transaction. A save that loses a race is re-run from the
        load, with jittered back-off, when the caller gave no expected version; with one, it is a
        conflict (the caller's view is stale)."""
        check(ctx.actor)
        for attempt in range(RETRIES):
            outcome = decide()
            try:
                recordings = self.save(outcome.main, *outcome.others)
            except IntegrityError:
                if expected_version is not None:
                    raise ConcurrencyConflict(
                        "another write changed this record at the same time: reload it and "
                        "try again"
                    ) from None
                self._backoff(attempt)
                continue
            if not recordings:
                raise InvalidInput("nothing to record")
            notification = recordings[-1].notification
            position = int(notification.id) if notification is not None else 0
            self._after_write(outcome)
            return Written(
                id=outcome.main.id,
                version=outcome.main.version,
                position=position,
                details=outcome.details,
            )
        raise ConcurrencyConflict(
            "too many concurrent changes to this record: nothing was recorded, try again"
        )

    def _after_write(self, outcome: Decided) -> None:
        """A hook for caches that follow what was written (the participating units)."""

    @staticmethod
    def _backoff(attempt: int) -> None:
        """Waits a little (jittered, growing) before re-running a command that lost a race."""
        time.sleep(random.uniform(0, min(0.05, 0.002 * 2**attempt)))
