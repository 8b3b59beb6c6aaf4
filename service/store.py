"""The one write path and the loading every use case shares: find an aggregate (visible to the
caller or not found), decide, save atomically, retry a lost race when the caller did not ask for
a version, and report what was recorded."""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    OperationalError,
    Recording,
    StoredEvent,
)
from eventsourcing.utils import EnvType, retry
from psycopg.sql import SQL, Composed, Identifier

from domain.access import Visibility, can_see_lead, case_visibility, require_recorder
from domain.case import Case
from domain.case_state import AssistanceRequest, CoHandler, MergeRecord, PoliceReferral, Seizure
from domain.errors import ConcurrencyConflict, InvalidInput, NotFound
from domain.evidence import EvidenceFile
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
T = TypeVar("T")

#: The actor recorded on reference data the system itself seeds.
SYSTEM_ACTOR = Actor(officer_id="system", county="000000", role=Role.ADMIN)
#: How often a command without an expected version is re-run after losing a race.
RETRIES = 30

#: What the database answers while it is unreachable (a failover under way, a network cut).
TRANSIENT: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,  # the idempotency layer's own connections
    psycopg.InterfaceError,
)
log = logging.getLogger("jointcase.store")


@dataclass(frozen=True)
class Pending:
    """What one attempt of a write is about to record, kept (by the idempotency layer) before
    the commit, so that a retry can tell afterwards whether that commit happened: the first
    event's identity and the digest of its stored bytes, the last event's identity (its log
    position answers the retry), and the answer's id, version and details."""

    first_id: str
    first_version: int
    digest: str
    last_id: str
    last_version: int
    main_id: str
    main_version: int
    details: dict[str, Any]


#: Called with the ``Pending`` of each attempt before its commit (set by the idempotency layer).
BEFORE_SAVE: ContextVar[Callable[[Pending], None] | None] = ContextVar("before_save", default=None)


class DatabaseUnavailable(Exception):
    """The database did not answer within the store's wait (a failover under way). When
    ``uncertain`` is false nothing was recorded; when true, a commit was under way when the
    connection broke and may have happened: a retry with the same Idempotency-Key tells."""

    def __init__(self, message: str, *, uncertain: bool) -> None:
        super().__init__(message)
        self.uncertain = uncertain


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
    EvidenceFile,
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
        #: Seconds a command keeps trying while the database does not answer (a failover
        #: takes about ten) before it gives up with ``DatabaseUnavailable``.
        self.unavailable_wait = 15.0
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
        aggregate = self._reconstruct(aggregate_id)
        return aggregate if isinstance(aggregate, cls) else None

    def _reconstruct(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """The aggregate at ``version`` (None: the latest), or None if it has no event: what the
        library's ``repository.get`` answers, from one query (the latest snapshot up to the
        version and the events after it) on one pooled connection, where the library makes two
        of each. On a loaded machine each round trip to the server is most of a load."""
        stored = self._stored_history(aggregate_id, version)
        return replay(None, (self.mapper.to_domain_event(s) for s in stored))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _stored_history(self, aggregate_id: UUID, version: int | None) -> list[StoredEvent]:
        """The stored snapshot (if any) and events a load replays, retried like the library's
        own reads while the database is unreachable."""
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        params: dict[str, Any] = {"id": aggregate_id, "version": version}
        with datastore.get_connection() as conn, conn.cursor() as cursor:
            made: dict[bool, Composed] = self.__dict__.setdefault("_history_statements", {})
            statement = made.get(version is not None)
            if statement is None:
                statement = made[version is not None] = self._history_statement(version is not None)
            cursor.execute(statement, params, prepare=True)
            rows = cursor.fetchall()
        return [
            StoredEvent(
                originator_id=aggregate_id,
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in rows
        ]

    def _history_statement(self, up_to_version: bool) -> Composed:
        """The latest snapshot (up to the version) and the events after it, in version order
        (every event after the snapshot has a higher version than it)."""
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        upto = " AND originator_version <= %(version)s" if up_to_version else ""
        events = SQL(
            "SELECT originator_version, topic, state FROM {schema}.{events}"
            " WHERE originator_id = %(id)s{after}" + upto + " ORDER BY originator_version"
        )
        if self.snapshots is None:
            return events.format(
                schema=Identifier(datastore.schema),
                events=Identifier(self.recorder.events_table_name),  # type: ignore[attr-defined]
                after=SQL(""),
            )
        return SQL(
            "WITH snapshot AS (SELECT originator_version, topic, state FROM {schema}.{snapshots}"
            " WHERE originator_id = %(id)s" + upto + " ORDER BY originator_version DESC LIMIT 1)"
            " SELECT * FROM snapshot UNION ALL ({events}) ORDER BY originator_version"
        ).format(
            schema=Identifier(datastore.schema),
            snapshots=Identifier(self.snapshots.recorder.events_table_name),  # type: ignore[attr-defined]
            events=events.format(
                schema=Identifier(datastore.schema),
                events=Identifier(self.recorder.events_table_name),  # type: ignore[attr-defined]
                after=SQL(
                    " AND originator_version > coalesce((SELECT originator_version FROM snapshot), 0)"
                ),
            ),
        )

    def _load(
        self,
        cls: type[TAggregate],
        aggregate_id: UUID,
        viewer: Actor | None = None,
        expected_version: int | None = None,
        *,
        least: Visibility = Visibility.FULL,
    ) -> TAggregate:
        """The aggregate, as the caller may see it: one it may not see is not found, with the
        same message as one that does not exist. ``viewer`` None is the system itself.
        ``least``: how much of it the caller must see (a detail read needs the whole case; a
        write, and a read that serves the summary, its summary: the domain then refuses what
        the caller may not do)."""
        aggregate, _ = self._seen(cls, aggregate_id, viewer, least)
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflict(
                f"{cls.__name__.lower()} {aggregate_id} is at version {aggregate.version}, "
                f"not {expected_version}: reload it and try again"
            )
        return aggregate

    def _seen(
        self,
        cls: type[TAggregate],
        aggregate_id: UUID,
        viewer: Actor | None,
        least: Visibility = Visibility.SUMMARY,
    ) -> tuple[TAggregate, Visibility]:
        """The aggregate and how much of it the caller sees (at least ``least``, else not
        found)."""
        aggregate = self._find(cls, aggregate_id)
        seen = Visibility.NONE
        if aggregate is not None:
            seen = Visibility.FULL if viewer is None else self._visible(viewer, aggregate)
        if aggregate is None or seen < least or seen == Visibility.NONE:
            raise NotFound(f"no {cls.__name__.lower()} {aggregate_id}")
        return aggregate, seen

    def _visible(self, viewer: Actor, aggregate: Aggregate) -> Visibility:
        if isinstance(aggregate, Lead):
            return Visibility.FULL if can_see_lead(viewer, aggregate) else Visibility.NONE
        if isinstance(aggregate, Case):
            return case_visibility(
                viewer, aggregate, self._survivors(aggregate), self._absorbed_counties(aggregate)
            )
        return Visibility.FULL

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
            aggregate: Any = self._reconstruct(aggregate_id, version)
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
            outcome, processing = self._while_unavailable(lambda: self._attempt(decide))
            try:
                position = self._record_once(processing)
            except IntegrityError:
                if expected_version is not None:
                    raise ConcurrencyConflict(
                        "another write changed this record at the same time: reload it and "
                        "try again"
                    ) from None
                self._backoff(attempt)
                continue
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

    def _attempt(self, decide: Callable[[], Decided]) -> tuple[Decided, ProcessingEvent[UUID]]:
        """Loads and decides; tells the idempotency layer what is about to be recorded."""
        outcome = decide()
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        processing.collect_events(outcome.main, *outcome.others)
        if not processing.events:
            raise InvalidInput("nothing to record")
        before_save = BEFORE_SAVE.get()
        if before_save is not None:
            first, last = processing.events[0], processing.events[-1]
            stored = self.mapper.to_stored_event(first)
            before_save(
                Pending(
                    first_id=str(first.originator_id),
                    first_version=first.originator_version,
                    digest=_digest(stored.topic, stored.state),
                    last_id=str(last.originator_id),
                    last_version=last.originator_version,
                    main_id=str(outcome.main.id),
                    main_version=outcome.main.version,
                    details=outcome.details,
                )
            )
        return outcome, processing

    def _while_unavailable(self, attempt: Callable[[], T]) -> T:
        """Loads and decides, again while the database does not answer (nothing is recorded
        yet, so running it again is harmless)."""
        deadline = time.monotonic() + self.unavailable_wait
        while True:
            try:
                return attempt()
            except TRANSIENT as e:
                if time.monotonic() >= deadline:
                    raise DatabaseUnavailable(
                        "the database is unavailable (a failover may be under way); nothing "
                        "was recorded",
                        uncertain=False,
                    ) from e
                time.sleep(0.25)

    def _record_once(self, processing: ProcessingEvent[UUID]) -> int:
        """Records the decided events exactly once and returns the position of the last.

        When the connection breaks, the same events (same ids, versions, times) are sent again
        until the database answers: a commit whose acknowledgement was lost then meets its own
        events (the stored bytes are ours), and is reported as recorded, not refused nor
        recorded twice. Someone else's events at those versions are a lost race
        (``IntegrityError``). Past the wait, ``DatabaseUnavailable``."""
        deadline = time.monotonic() + self.unavailable_wait
        recordings: list[Recording[UUID]] = []
        while True:
            try:
                recordings = self._record(processing)
                break
            except IntegrityError:
                mine = self._recorded_position(processing)
                if mine is None:
                    raise
                log.warning("a commit whose acknowledgement was lost is recorded at %s", mine)
                return mine
            except TRANSIENT as e:
                mine = None
                if time.monotonic() >= deadline:
                    raise DatabaseUnavailable(
                        "the database is unavailable (a failover may be under way); whether "
                        "this write was recorded is not known: retry it with the same "
                        "Idempotency-Key",
                        uncertain=True,
                    ) from e
                time.sleep(0.25)
        try:
            self._take_snapshots(processing)
            self._notify(recordings)
        except TRANSIENT:  # a snapshot is only a shortcut: the events are recorded
            log.warning("snapshot skipped: the database did not answer")
        notification = recordings[-1].notification if recordings else None
        return int(notification.id) if notification is not None else 0

    def _recorded_position(self, processing: ProcessingEvent[UUID]) -> int | None:
        """The log position of the last of these events if they are already recorded, as
        these very events (same bytes); None if the versions hold someone else's events."""
        first, last = processing.events[0], processing.events[-1]
        mine = self.mapper.to_stored_event(first)
        return self.recorded_position(
            str(first.originator_id),
            first.originator_version,
            _digest(mine.topic, mine.state),
            str(last.originator_id),
            last.originator_version,
        )

    def recorded_position(
        self, first_id: str, first_version: int, digest: str, last_id: str, last_version: int
    ) -> int | None:
        """Where the last event of a write is in the log, if that write was recorded (its first
        event is there with the same bytes); None if it was not."""
        recorder: Any = self.recorder
        stored = recorder.select_events(UUID(first_id), gt=first_version - 1, lte=first_version)
        if not stored or _digest(stored[0].topic, stored[0].state) != digest:
            return None
        # The position is the recorder's to tell (the chaining recorder; no SQL here).
        position: int | None = recorder.position_of(UUID(last_id), last_version)
        return position

    def _after_write(self, outcome: Decided) -> None:
        """A hook for caches that follow what was written (the participating units)."""

    @staticmethod
    def _backoff(attempt: int) -> None:
        """Waits a little (jittered, growing) before re-running a command that lost a race."""
        time.sleep(random.uniform(0, min(0.05, 0.002 * 2**attempt)))


def _digest(topic: str, state: bytes) -> str:
    return hashlib.sha256(topic.encode() + b"\0" + state).hexdigest()
