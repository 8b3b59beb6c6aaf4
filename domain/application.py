"""The use cases of jointcase: each loads aggregates, asks them to decide, and saves the new events
atomically. Every write returns the ids, version and log position of what it recorded."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from threading import Lock
from typing import Any, TypeVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import EnvType

from domain.case import (
    AssistanceRequest,
    Case,
    CoHandler,
    MergeRecord,
    PoliceReferral,
    Seizure,
    decline_merge,
    merge,
    unmerge,
)
from domain.errors import (
    ConcurrencyConflict,
    InvalidInput,
    JurisdictionExists,
    NoInformant,
    NotFound,
    PermissionDenied,
    UnknownJurisdiction,
)
from domain.informants import InformantAccessLog, InformantCipher
from domain.jurisdiction import (
    DEFAULT_UNITS,
    CaseNumberSequence,
    Jurisdiction,
    JurisdictionRegistry,
    Liaison,
    UnitData,
)
from domain.lead import Corroboration, Feedback, Lead, Referral
from domain.policy import Deadlines, PoliceThresholds, SeizureTotals, police_advice
from domain.values import (
    INFORMANT_READER_ROLES,
    WRITER_ROLES,
    Actor,
    ActorAsDict,
    CaseOutcome,
    CaseType,
    Context,
    CorroborationResult,
    DataclassAsDict,
    DateAsISO,
    Disposition,
    LeadClosure,
    LeadSource,
    PriceBasis,
    Role,
)

TAggregate = TypeVar("TAggregate", bound=Aggregate)

#: The actor recorded on reference data the system itself seeds.
SYSTEM_ACTOR = Actor(officer_id="system", county="000000", role=Role.ADMIN)
RETRIES = 50


#: A check the caller wants run on one aggregate as soon as a use case loads it (the web layer
#: uses it to answer 404 for what a county may not see, without loading the aggregate twice).
_load_guard: ContextVar[tuple[UUID, Callable[[Any], None]] | None] = ContextVar(
    "load_guard", default=None
)


@contextmanager
def guard_load(aggregate_id: UUID, check: Callable[[Any], None]) -> Iterator[None]:
    token = _load_guard.set((aggregate_id, check))
    try:
        yield
    finally:
        _load_guard.reset(token)


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Applies stored events in order. The library's default projector asserts a runtime
    protocol check on every event, which costs about a third of a long replay."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


#: Dataclasses held in aggregate state, stored inside snapshots.
STATE_CLASSES: tuple[type, ...] = (
    Referral,
    Feedback,
    Corroboration,
    CoHandler,
    Seizure,
    AssistanceRequest,
    PoliceReferral,
    MergeRecord,
    Liaison,
)


@dataclass(frozen=True)
class Written:
    """What a write recorded: the main aggregate's id and new version, the log position of its
    last event (for read-your-writes), and anything else the caller needs (a case number...)."""

    id: UUID
    version: int
    position: int
    details: dict[str, Any] = field(default_factory=dict)


class CaseApplication(Application[UUID]):
    """Leads, cases, jurisdictions and the informant access log (the committee's use cases are
    added by JointCaseApp, below)."""

    name = "jointcase"
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
        self._units: dict[str, Jurisdiction] = {}
        self._units_lock = Lock()
        super().__init__(env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsDict())
        transcoder.register(DateAsISO())
        for state_class in STATE_CLASSES:
            transcoder.register(DataclassAsDict(state_class))

    # --- plumbing --------------------------------------------------------------------------------
    def _load(
        self, cls: type[TAggregate], aggregate_id: UUID, expected_version: int | None = None
    ) -> TAggregate:
        aggregate = self._find(cls, aggregate_id)
        if aggregate is None:
            raise NotFound(f"no {cls.__name__.lower()} {aggregate_id}")
        guard = _load_guard.get()
        if guard is not None and guard[0] == aggregate_id:
            guard[1](aggregate)
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflict(
                f"{cls.__name__.lower()} {aggregate_id} is at version {aggregate.version}, "
                f"not {expected_version}: reload it and try again"
            )
        return aggregate

    def _find(self, cls: type[TAggregate], aggregate_id: UUID) -> TAggregate | None:
        try:
            aggregate: Any = self.repository.get(aggregate_id, projector_func=replay)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def _commit(self, *aggregates: Aggregate) -> int:
        """Saves the aggregates' new events in one transaction; returns the last log position."""
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            raise ConcurrencyConflict(
                "another write changed this record at the same time: reload it and try again"
            ) from None
        if not recordings:
            raise InvalidInput("nothing to record")
        notification = recordings[-1].notification
        return int(notification.id) if notification is not None else 0

    @staticmethod
    def _backoff(attempt: int) -> None:
        """Waits a little (jittered, growing) before retrying a write that lost a race."""
        time.sleep(random.uniform(0, min(0.05, 0.002 * 2**attempt)))

    @staticmethod
    def _require_writer(ctx: Context) -> None:
        if ctx.actor.role not in WRITER_ROLES:
            raise PermissionDenied(f"the {ctx.actor.role} role reads but does not record events")

    @staticmethod
    def _require_admin(ctx: Context) -> None:
        if ctx.actor.role != Role.ADMIN:
            raise PermissionDenied("only an administrator changes reference data")

    def _written(self, aggregate: Aggregate, position: int, **details: Any) -> Written:
        return Written(
            id=aggregate.id, version=aggregate.version, position=position, details=details
        )

    # --- jurisdictions ---------------------------------------------------------------------------
    def _refresh_units(self) -> None:
        registry = self._find(JurisdictionRegistry, JurisdictionRegistry.ID)
        if registry is None:
            return
        units: dict[str, Jurisdiction] = {}
        for code in registry.codes:
            units[code] = self._load(Jurisdiction, Jurisdiction.id_for(code))
        with self._units_lock:
            self._units = units

    def check_county(self, code: str, on: datetime | None = None) -> Jurisdiction:
        """The unit with this code, refusing codes that are unknown or no longer participating."""
        unit = self._units.get(code)
        if unit is None:
            self._refresh_units()
            unit = self._units.get(code)
        if unit is None:
            raise UnknownJurisdiction(f"no participating unit has the code {code!r}")
        if on is not None and not unit.is_valid_on(on.astimezone(self.timezone).date()):
            self._refresh_units()
            unit = self._units[code]
            if not unit.is_valid_on(on.astimezone(self.timezone).date()):
                raise UnknownJurisdiction(f"unit {code} does not participate on {on.date()}")
        return unit

    def _check_actor_county(self, ctx: Context) -> None:
        self.check_county(ctx.actor.county, ctx.at)

    def register_jurisdiction(self, unit: UnitData, valid_from: date, ctx: Context) -> Written:
        self._require_admin(ctx)
        for attempt in range(RETRIES):
            registry = self._find(JurisdictionRegistry, JurisdictionRegistry.ID)
            if registry is None:
                registry = JurisdictionRegistry.start(ctx)
            if unit.code in registry.codes:
                raise JurisdictionExists(f"unit {unit.code} is already registered")
            jurisdiction = Jurisdiction.register(unit, valid_from, ctx)
            registry.add(jurisdiction.code, ctx)
            try:
                position = self._commit(registry, jurisdiction)
            except ConcurrencyConflict:
                self._backoff(attempt)
                continue
            self._refresh_units()
            return self._written(jurisdiction, position)
        raise ConcurrencyConflict("could not register the unit: too many concurrent changes")

    def seed_default_jurisdictions(self, valid_from: date, ctx: Context | None = None) -> int:
        """Registers the default six units unless they exist; returns how many were added."""
        ctx = ctx or Context(SYSTEM_ACTOR, datetime.now(self.timezone), "seed")
        self._refresh_units()
        added = 0
        for unit in DEFAULT_UNITS:
            if unit.code not in self._units:
                self.register_jurisdiction(unit, valid_from, ctx)
                added += 1
        return added

    def designate_liaison(
        self, code: str, name: str, phone: str, email: str, since: date, ctx: Context
    ) -> Written:
        self._require_writer(ctx)
        if ctx.actor.role != Role.ADMIN and ctx.actor.county != code:
            raise PermissionDenied("a unit designates its own liaison (or an administrator does)")
        unit = self._load(Jurisdiction, self.check_county(code).id)
        unit.designate_liaison(name, phone, email, since, ctx)
        position = self._commit(unit)
        self._refresh_units()
        return self._written(unit, position)

    def end_jurisdiction(self, code: str, valid_to: date, reason: str, ctx: Context) -> Written:
        self._require_admin(ctx)
        unit = self._load(Jurisdiction, self.check_county(code).id)
        unit.end_validity(valid_to, reason, ctx)
        position = self._commit(unit)
        self._refresh_units()
        return self._written(unit, position)

    def list_jurisdictions(self) -> list[Jurisdiction]:
        self._refresh_units()
        return [self._units[c] for c in sorted(self._units)]

    # --- leads -----------------------------------------------------------------------------------
    def register_lead(
        self,
        ctx: Context,
        *,
        summary: str,
        source: LeadSource | str,
        place_county: str,
        place_detail: str = "",
        suspected_parties: list[str] | None = None,
        informant: str | None = None,
        received_at: datetime | None = None,
        lead_id: UUID | None = None,
    ) -> Written:
        self._require_writer(ctx)
        self._check_actor_county(ctx)
        self.check_county(place_county)
        lead_id = lead_id or uuid4()
        ciphertext = ref = None
        if informant is not None and informant.strip():
            ciphertext, ref = self.cipher.seal(informant, lead_id)
        lead = Lead.register(
            lead_id=lead_id,
            ctx=ctx,
            summary=summary,
            source=source,
            place_county=place_county,
            place_detail=place_detail,
            suspected_parties=suspected_parties,
            informant_ciphertext=ciphertext,
            informant_ref=ref,
            received_at=received_at,
        )
        return self._written(lead, self._commit(lead), informant_ref=ref)

    def refer_lead(
        self,
        lead_id: UUID,
        to_county: str,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        self.check_county(to_county, ctx.at)
        lead = self._load(Lead, lead_id, expected_version)
        lead.refer(
            to_county,
            reason,
            ctx,
            acknowledge_by=ctx.at + self.deadlines.acknowledge,
            feedback_by=ctx.at + self.deadlines.feedback,
        )
        return self._written(lead, self._commit(lead))

    def withdraw_referral(
        self,
        lead_id: UUID,
        to_county: str,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        lead = self._load(Lead, lead_id, expected_version)
        lead.withdraw_referral(to_county, reason, ctx)
        return self._written(lead, self._commit(lead))

    def accept_referral(
        self, lead_id: UUID, ctx: Context, expected_version: int | None = None
    ) -> Written:
        self._require_writer(ctx)
        lead = self._load(Lead, lead_id, expected_version)
        lead.accept_referral(ctx)
        return self._written(lead, self._commit(lead))

    def decline_referral(
        self, lead_id: UUID, reason: str, ctx: Context, expected_version: int | None = None
    ) -> Written:
        self._require_writer(ctx)
        lead = self._load(Lead, lead_id, expected_version)
        lead.decline_referral(reason, ctx)
        return self._written(lead, self._commit(lead))

    def share_lead(
        self,
        lead_id: UUID,
        counties: list[str],
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        for county in counties:
            self.check_county(county, ctx.at)
        lead = self._load(Lead, lead_id, expected_version)
        lead.share(counties, reason, ctx)
        return self._written(lead, self._commit(lead))

    def give_feedback(
        self,
        lead_id: UUID,
        content: str,
        final: bool,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        lead = self._load(Lead, lead_id, expected_version)
        lead.give_feedback(content, final, ctx)
        return self._written(lead, self._commit(lead))

    def corroborate_lead(
        self,
        lead_id: UUID,
        result: CorroborationResult | str,
        note: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        lead = self._load(Lead, lead_id, expected_version)
        lead.corroborate(result, note, ctx)
        return self._written(lead, self._commit(lead))

    def close_lead(
        self,
        lead_id: UUID,
        closure: LeadClosure | str,
        reason: str,
        ctx: Context,
        merged_into_lead: UUID | None = None,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        lead = self._load(Lead, lead_id, expected_version)
        target = self._load(Lead, merged_into_lead) if merged_into_lead is not None else None
        lead.close(closure, reason, ctx, target)
        if target is not None:
            return self._written(lead, self._commit(lead, target))
        return self._written(lead, self._commit(lead))

    def get_lead(
        self, lead_id: UUID, version: int | None = None, as_of: datetime | None = None
    ) -> Lead:
        return self._time_travel(Lead, lead_id, version, as_of)

    def reveal_informant(self, lead_id: UUID, purpose: str, ctx: Context) -> tuple[str, Written]:
        """The informant's identity, for officers of the owning county only; the read is recorded."""
        lead = self._load(Lead, lead_id)
        if ctx.actor.county != lead.owner_county or ctx.actor.role not in INFORMANT_READER_ROLES:
            raise PermissionDenied(
                "only officers of the owning county may read an informant's identity"
            )
        if lead.informant_ciphertext is None:
            raise NoInformant("this lead has no informant on record")
        if not purpose.strip():
            raise InvalidInput("say why the informant's identity is needed")
        identity = self.cipher.open(lead.informant_ciphertext, lead.id)
        for attempt in range(RETRIES):
            log = self._find(InformantAccessLog, InformantAccessLog.id_for(lead_id))
            if log is None:
                log = InformantAccessLog.start(lead_id, ctx)
            log.record_view(purpose, ctx)
            try:
                position = self._commit(log)
            except ConcurrencyConflict:
                self._backoff(attempt)
                continue
            return identity, self._written(log, position)
        raise ConcurrencyConflict("could not record the read: too many concurrent reads")

    # --- cases -----------------------------------------------------------------------------------
    def open_case(
        self,
        ctx: Context,
        *,
        case_type: CaseType | str,
        title: str,
        summary: str = "",
        lead_ids: list[UUID] | None = None,
        opened_at: datetime | None = None,
        case_id: UUID | None = None,
    ) -> Written:
        """Opens a case (立案) from zero or more leads, with the next number of the county's year."""
        self._require_writer(ctx)
        self._check_actor_county(ctx)
        case_id = case_id or uuid4()
        year = ctx.at.astimezone(self.timezone).year
        unique_leads = list(dict.fromkeys(lead_ids or []))
        for attempt in range(RETRIES):
            seq_id = CaseNumberSequence.id_for(ctx.actor.county, year)
            sequence = self._find(CaseNumberSequence, seq_id)
            if sequence is None:
                sequence = CaseNumberSequence.start(ctx.actor.county, year, ctx)
            number = sequence.issue(case_id, ctx)
            leads = [self._load(Lead, lead_id) for lead_id in unique_leads]
            case = Case.open(
                case_id=case_id,
                number=number,
                year=year,
                ctx=ctx,
                case_type=case_type,
                title=title,
                summary=summary,
                lead_ids=unique_leads,
                lead_counties=[lead.owner_county for lead in leads],
                opened_at=opened_at,
            )
            for lead in leads:
                lead.convert_to_case(case_id, number, ctx)
            try:
                position = self._commit(sequence, case, *leads)
            except ConcurrencyConflict:
                self._backoff(attempt)
                continue
            return self._written(case, position, number=number)
        raise ConcurrencyConflict("could not number the case: too many cases opened at once")

    def record_seizure(
        self,
        case_id: UUID,
        ctx: Context,
        *,
        brand: str,
        sticks: int,
        value: Decimal | str | int,
        price_basis: PriceBasis | str,
        seized_at: datetime,
        specification: str = "",
        place: str = "",
        disposition: Disposition | str = Disposition.UNSOLD,
        seizure_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        case = self._load(Case, case_id, expected_version)
        seizure_id = seizure_id or uuid4()
        case.record_seizure(
            seizure_id=seizure_id,
            ctx=ctx,
            brand=brand,
            sticks=sticks,
            value=Decimal(str(value)) if not isinstance(value, Decimal) else value,
            price_basis=price_basis,
            seized_at=seized_at,
            specification=specification,
            place=place,
            disposition=disposition,
        )
        return self._written(case, self._commit(case), seizure_id=seizure_id)

    def invite_co_handler(
        self,
        case_id: UUID,
        county: str,
        note: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        self.check_county(county, ctx.at)
        case = self._load(Case, case_id, expected_version)
        case.invite_co_handler(county, note, ctx)
        return self._written(case, self._commit(case))

    def accept_co_handling(
        self, case_id: UUID, ctx: Context, expected_version: int | None = None
    ) -> Written:
        self._require_writer(ctx)
        case = self._load(Case, case_id, expected_version)
        case.accept_co_handling(ctx)
        return self._written(case, self._commit(case))

    def decline_co_handling(
        self, case_id: UUID, reason: str, ctx: Context, expected_version: int | None = None
    ) -> Written:
        self._require_writer(ctx)
        case = self._load(Case, case_id, expected_version)
        case.decline_co_handling(reason, ctx)
        return self._written(case, self._commit(case))

    def request_assistance(
        self,
        case_id: UUID,
        to_county: str,
        request: str,
        ctx: Context,
        due: datetime | None = None,
        request_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        self.check_county(to_county, ctx.at)
        case = self._load(Case, case_id, expected_version)
        request_id = request_id or uuid4()
        due = due or ctx.at + self.deadlines.assistance
        if due <= ctx.at:
            raise InvalidInput("an assistance request's deadline must lie in the future")
        case.request_assistance(request_id, to_county, request, due, ctx)
        return self._written(case, self._commit(case), request_id=request_id)

    def answer_assistance(
        self,
        case_id: UUID,
        request_id: UUID,
        answer: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        case = self._load(Case, case_id, expected_version)
        case.answer_assistance(request_id, answer, ctx)
        return self._written(case, self._commit(case))

    def _survivor_chain(self, case: Case) -> list[UUID]:
        chain: list[UUID] = []
        current = case
        while current.merged_into is not None and current.merged_into not in chain:
            chain.append(current.merged_into)
            current = self._load(Case, current.merged_into)
        return chain

    def merge_cases(
        self,
        absorbed_id: UUID,
        survivor_id: UUID,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        """Merges a case into another (并案), or records consent when the merge crosses counties."""
        self._require_writer(ctx)
        absorbed = self._load(Case, absorbed_id, expected_version)
        survivor = self._load(Case, survivor_id)
        merged = merge(absorbed, survivor, reason, ctx, self._survivor_chain(survivor))
        position = self._commit(absorbed, survivor) if merged else self._commit(absorbed)
        return self._written(
            absorbed,
            position,
            merged=merged,
            survivor_id=survivor.id,
            awaiting=sorted({absorbed.county, survivor.county} - {ctx.actor.county})
            if not merged
            else [],
        )

    def decline_merge(
        self,
        absorbed_id: UUID,
        survivor_id: UUID,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        absorbed = self._load(Case, absorbed_id, expected_version)
        survivor = self._load(Case, survivor_id)
        if ctx.actor.county not in (absorbed.county, survivor.county):
            raise PermissionDenied("only a county party to the merge may decline it")
        decline_merge(absorbed, survivor_id, reason, ctx)
        return self._written(absorbed, self._commit(absorbed))

    def unmerge_case(
        self, absorbed_id: UUID, reason: str, ctx: Context, expected_version: int | None = None
    ) -> Written:
        self._require_writer(ctx)
        absorbed = self._load(Case, absorbed_id, expected_version)
        if absorbed.merged_into is None:
            unmerge(absorbed, absorbed, reason, ctx)  # raises NotMerged
        assert absorbed.merged_into is not None
        survivor = self._load(Case, absorbed.merged_into)
        unmerge(absorbed, survivor, reason, ctx)
        return self._written(
            absorbed,
            self._commit(absorbed, survivor),
            survivor_id=survivor.id,
            survivor_version=survivor.version,
        )

    def seizure_totals(self, case_id: UUID) -> SeizureTotals:
        """Totals of the case and of every case currently merged into it."""
        case = self._load(Case, case_id)
        totals = SeizureTotals()
        for member in self._with_absorbed(case):
            for s in member.seizures:
                totals = totals.add(s.value, s.sticks, member.case_type, s.disposition)
        return totals

    def police_advice(self, case_id: UUID) -> list[str]:
        return police_advice(self.seizure_totals(case_id), self.thresholds)

    def refer_to_police(
        self,
        case_id: UUID,
        police_unit: str,
        referred_on: datetime,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        case = self._load(Case, case_id, expected_version)
        advice = self.police_advice(case_id)
        case.refer_to_police(police_unit, referred_on, reason, advice, ctx)
        return self._written(case, self._commit(case), advice=advice)

    def record_police_acceptance(
        self,
        case_id: UUID,
        accepted_on: datetime,
        police_case_number: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        case = self._load(Case, case_id, expected_version)
        case.record_police_acceptance(accepted_on, police_case_number, ctx)
        return self._written(case, self._commit(case))

    def close_case(
        self,
        case_id: UUID,
        outcome: CaseOutcome | str,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self._require_writer(ctx)
        case = self._load(Case, case_id, expected_version)
        case.close(outcome, reason, ctx)
        return self._written(case, self._commit(case))

    def reopen_case(
        self, case_id: UUID, reason: str, ctx: Context, expected_version: int | None = None
    ) -> Written:
        self._require_writer(ctx)
        case = self._load(Case, case_id, expected_version)
        case.reopen(reason, ctx)
        return self._written(case, self._commit(case))

    def get_case(
        self, case_id: UUID, version: int | None = None, as_of: datetime | None = None
    ) -> Case:
        return self._time_travel(Case, case_id, version, as_of)

    def _with_absorbed(self, case: Case) -> Iterator[Case]:
        yield case
        for absorbed_id in case.absorbed:
            yield from self._with_absorbed(self._load(Case, UUID(absorbed_id)))

    def case_history(self, case_id: UUID) -> list[Case.Event]:
        """Every event of the case and of each case ever merged into it (released ones too, so an
        un-merge shows as such), oldest first."""
        seen: set[UUID] = set()
        events: list[Case.Event] = []
        pending = [case_id]
        self._load(Case, case_id)
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            for event in self.events.get(current):
                events.append(event)  # type: ignore[arg-type]
                if isinstance(event, Case.CaseAbsorbed):
                    pending.append(event.absorbed_id)
        events.sort(key=lambda e: (e.timestamp, e.originator_id != case_id, e.originator_version))
        return events

    # --- time travel -----------------------------------------------------------------------------
    def _time_travel(
        self,
        cls: type[TAggregate],
        aggregate_id: UUID,
        version: int | None,
        as_of: datetime | None,
    ) -> TAggregate:
        if version is not None and as_of is not None:
            raise InvalidInput("ask for a version or a moment, not both")
        if version is not None:
            if version < 1:
                raise InvalidInput("versions start at 1")
            try:
                aggregate: Any = self.repository.get(
                    aggregate_id, version=version, projector_func=replay
                )
            except AggregateNotFoundError:
                raise NotFound(f"no {cls.__name__.lower()} {aggregate_id}") from None
            if not isinstance(aggregate, cls):
                raise NotFound(f"no {cls.__name__.lower()} {aggregate_id}")
            if aggregate.version != version:
                raise NotFound(
                    f"{cls.__name__.lower()} {aggregate_id} has no version {version} "
                    f"(latest is {aggregate.version})"
                )
            return aggregate
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
        return self._load(cls, aggregate_id)


from domain.committee_app import CommitteeUseCases  # noqa: E402  (it builds on CaseApplication)


class JointCaseApp(CommitteeUseCases):
    """The jointcase application: every use case, recording into one event log."""

    name = "jointcase"  # the library names tables and settings after it; subclasses keep it
