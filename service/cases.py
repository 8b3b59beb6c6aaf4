"""Use cases of cases (案件): open with a number, seizures, co-handling (协同办理), assistance
(协查), police referral (移送公安), closing and reopening, reading (also as it was) and the
whole history with merged cases."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.access import Visibility, require_own_county
from domain.case import Case
from domain.case_summary import CaseSummary, case_summary
from domain.errors import InvalidInput, NotFound
from domain.jurisdiction import CaseNumberSequence
from domain.lead import Lead
from domain.policy import SeizureTotals, police_advice
from domain.values import Actor, CaseOutcome, CaseType, Context, Disposition, PriceBasis
from service.jurisdictions import JurisdictionUseCases
from service.store import Decided, Written, decided

#: A case number: county, year and the place in that county's year (140221-2026-0007).
CASE_NUMBER = re.compile(r"(\d{6})-(\d{4})-(\d{4,9})")


class CaseUseCases(JurisdictionUseCases):
    def _on_case(
        self,
        case_id: UUID,
        ctx: Context,
        expected_version: int | None,
        act: Callable[[Case], None],
        **details: object,
    ) -> Written:
        """The common shape: load the case the caller may see, let it decide, save it."""

        def decide() -> Decided:
            case = self._load(Case, case_id, ctx.actor, expected_version, least=Visibility.SUMMARY)
            act(case)
            return decided(case, **details)

        return self.write(ctx, decide, expected_version)

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
        lead_version: tuple[UUID, int] | None = None,
    ) -> Written:
        """Opens a case (立案) from zero or more leads, with the next number of the county's year
        (issued in the same transaction: no duplicates, no gaps)."""
        case_id = case_id or uuid4()
        year = ctx.at.astimezone(self.timezone).year
        unique_leads = list(dict.fromkeys(lead_ids or []))

        def decide() -> Decided:
            self._check_actor_county(ctx)
            leads = [
                self._load(
                    Lead,
                    lead_id,
                    ctx.actor,
                    lead_version[1] if lead_version and lead_version[0] == lead_id else None,
                )
                for lead_id in unique_leads
            ]
            seq_id = CaseNumberSequence.id_for(ctx.actor.county, year)
            sequence = self._find(CaseNumberSequence, seq_id)
            if sequence is None:
                sequence = CaseNumberSequence.start(ctx.actor.county, year, ctx)
            number = sequence.issue(case_id, ctx)
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
            return decided(case, sequence, *leads, number=number)

        return self.write(ctx, decide, lead_version[1] if lead_version else None)

    def convert_lead(
        self,
        lead_id: UUID,
        ctx: Context,
        *,
        case_type: CaseType | str,
        title: str,
        summary: str = "",
        opened_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Written:
        """Opens a case (立案) from one lead, at the lead's version the caller saw (if given)."""
        return self.open_case(
            ctx,
            case_type=case_type,
            title=title,
            summary=summary,
            lead_ids=[lead_id],
            opened_at=opened_at,
            lead_version=(lead_id, expected_version) if expected_version is not None else None,
        )

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
        seizure_id = seizure_id or uuid4()
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
        return self._on_case(
            case_id,
            ctx,
            expected_version,
            lambda case: case.record_seizure(
                seizure_id=seizure_id,
                ctx=ctx,
                brand=brand,
                sticks=sticks,
                value=amount,
                price_basis=price_basis,
                seized_at=seized_at,
                specification=specification,
                place=place,
                disposition=disposition,
            ),
            seizure_id=seizure_id,
        )

    def invite_co_handler(
        self,
        case_id: UUID,
        county: str,
        note: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self.check_county(county, ctx.at)
        return self._on_case(
            case_id,
            ctx,
            expected_version,
            lambda case: case.invite_co_handler(county, note, ctx),
        )

    def accept_co_handling(
        self,
        case_id: UUID,
        ctx: Context,
        expected_version: int | None = None,
        *,
        county: str | None = None,
    ) -> Written:
        def act(case: Case) -> None:
            if county is not None:
                require_own_county(ctx.actor, county)
            case.accept_co_handling(ctx)

        return self._on_case(case_id, ctx, expected_version, act)

    def decline_co_handling(
        self,
        case_id: UUID,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
        *,
        county: str | None = None,
    ) -> Written:
        def act(case: Case) -> None:
            if county is not None:
                require_own_county(ctx.actor, county)
            case.decline_co_handling(reason, ctx)

        return self._on_case(case_id, ctx, expected_version, act)

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
        self.check_county(to_county, ctx.at)
        request_id = request_id or uuid4()
        deadline = due or ctx.at + self.deadlines.assistance
        if deadline <= ctx.at:
            raise InvalidInput("an assistance request's deadline must lie in the future")
        return self._on_case(
            case_id,
            ctx,
            expected_version,
            lambda case: case.request_assistance(request_id, to_county, request, deadline, ctx),
            request_id=request_id,
        )

    def answer_assistance(
        self,
        case_id: UUID,
        request_id: UUID,
        answer: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        return self._on_case(
            case_id,
            ctx,
            expected_version,
            lambda case: case.answer_assistance(request_id, answer, ctx),
        )

    def seizure_totals(
        self, case_id: UUID, *, viewer: Actor | None = None, loaded: Case | None = None
    ) -> SeizureTotals:
        """Totals of the case and of every case currently merged into it (``loaded``: the case
        as the caller just loaded it now for the same viewer, so it is not loaded again)."""
        case = (
            loaded
            if loaded is not None and loaded.id == case_id
            else self._load(Case, case_id, viewer)
        )
        totals = SeizureTotals()
        for member in self._with_absorbed(case):
            totals = totals.plus(member.seizure_totals())
        return totals

    def recorded_seizures(self, case: Case) -> list[dict[str, Any]]:
        """The case's seizures up to its version, read from its history (the read model of
        seizures serves them; this is for when it has not caught up with the case yet)."""
        return [
            event.details()
            for event in self.events.get(case.id, lte=case.version)
            if isinstance(event, Case.SeizureRecorded)
        ]

    def police_advice(
        self, case_id: UUID, *, viewer: Actor | None = None, loaded: Case | None = None
    ) -> list[str]:
        """The thresholds the case (with its merged cases) reaches: advice, never a decision."""
        totals = self.seizure_totals(case_id, viewer=viewer, loaded=loaded)
        return police_advice(totals, self.thresholds)

    def refer_to_police(
        self,
        case_id: UUID,
        police_unit: str,
        referred_on: datetime,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        def decide() -> Decided:
            case = self._load(Case, case_id, ctx.actor, expected_version, least=Visibility.SUMMARY)
            advice = self.police_advice(case_id)
            case.refer_to_police(police_unit, referred_on, reason, advice, ctx)
            return decided(case, advice=advice)

        return self.write(ctx, decide, expected_version)

    def record_police_acceptance(
        self,
        case_id: UUID,
        accepted_on: datetime,
        police_case_number: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        return self._on_case(
            case_id,
            ctx,
            expected_version,
            lambda case: case.record_police_acceptance(accepted_on, police_case_number, ctx),
        )

    def close_case(
        self,
        case_id: UUID,
        outcome: CaseOutcome | str,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        return self._on_case(
            case_id, ctx, expected_version, lambda case: case.close(outcome, reason, ctx)
        )

    def reopen_case(
        self, case_id: UUID, reason: str, ctx: Context, expected_version: int | None = None
    ) -> Written:
        return self._on_case(case_id, ctx, expected_version, lambda case: case.reopen(reason, ctx))

    def get_case(
        self,
        case_id: UUID,
        version: int | None = None,
        as_of: datetime | None = None,
        *,
        viewer: Actor | None = None,
    ) -> Case:
        """The case now or as it was; ``viewer``: the officer reading (None: the system)."""
        return self._time_travel(Case, case_id, viewer, version, as_of)

    def read_case(
        self,
        case_id: UUID,
        version: int | None = None,
        as_of: datetime | None = None,
        *,
        viewer: Actor,
    ) -> Case | CaseSummary:
        """The case as the officer sees it (``domain.access.case_visibility``): whole (now or as
        it was), or its summary, now only (an earlier version is part of its history)."""
        case, seen = self._seen(Case, case_id, viewer)
        if seen == Visibility.FULL:
            return self._time_travel(Case, case_id, viewer, version, as_of)
        if version is not None or as_of is not None:
            raise NotFound(f"no case {case_id}")
        return case_summary(case, viewer)

    def find_case_number(self, number: str, *, viewer: Actor | None = None) -> Case:
        """The case with this number (``140221-2026-0007``), read through its county's number
        sequence; one the caller may not see is not found, like an unknown number (one it sees
        as its summary is found: ``read_case`` then tells how much it reads)."""
        not_found = NotFound(f"no case {number}")
        match = CASE_NUMBER.fullmatch(number)
        if match is None:
            raise not_found
        county, year, sequence = match.group(1), int(match.group(2)), int(match.group(3))
        seq_id = CaseNumberSequence.id_for(county, year)
        # Number n is the sequence's event n + 1 (its first event starts the sequence).
        for event in self.events.get(seq_id, gt=sequence, lte=sequence + 1):
            if isinstance(event, CaseNumberSequence.NumberIssued) and event.number == number:
                try:
                    return self._load(Case, event.case_id, viewer, least=Visibility.SUMMARY)
                except NotFound:
                    raise not_found from None
        raise not_found

    def _with_absorbed(self, case: Case) -> Iterator[Case]:
        yield case
        for absorbed_id in case.absorbed:
            yield from self._with_absorbed(self._load(Case, UUID(absorbed_id)))

    def case_history(self, case_id: UUID, *, viewer: Actor | None = None) -> list[Case.Event]:
        """Every event of the case and of each case ever merged into it, oldest first; of a
        case since released by an un-merge, only its events up to the release (so the
        un-merge shows, and neither side sees the other's later events)."""
        self._load(Case, case_id, viewer)
        seen: set[UUID] = set()
        events: list[Case.Event] = []
        pending: list[tuple[UUID, datetime | None]] = [(case_id, None)]
        while pending:
            current, until = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            stored: list[Any] = list(self.events.get(current))
            own = [e for e in stored if until is None or e.timestamp <= until]
            for event in own:
                events.append(event)
                if isinstance(event, Case.CaseAbsorbed):
                    pending.append((event.absorbed_id, _released(own, event, until)))
        events.sort(key=lambda e: (e.timestamp, e.originator_id != case_id, e.originator_version))
        return events


def _released(events: list[Any], absorbed: Any, until: datetime | None) -> datetime | None:
    """When the case absorbed by ``absorbed`` was released after it (None: it is still merged),
    at the latest ``until``."""
    after = events[events.index(absorbed) + 1 :]
    for event in after:
        if (
            isinstance(event, Case.AbsorbedCaseReleased)
            and event.absorbed_id == absorbed.absorbed_id
        ):
            return event.timestamp if until is None else min(until, event.timestamp)
    return until
