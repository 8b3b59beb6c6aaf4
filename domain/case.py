"""The Case aggregate (案件): opened by a county from zero or more leads, closed and reopened.

One aggregate composed of parts, each in the module named after its idea: seizures
(domain/seizures.py), co-handling (domain/cohandling.py), assistance (domain/assistance.py),
merging (domain/merging.py) and police referral (domain/police.py). The state and the checks the
parts share are in domain/case_state.py. Every part's events are redefined on ``Case`` by the
library (``Case.SeizureRecorded``...), so stored topics stay ``domain.case:Case.<Event>``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.assistance import Assistance
from domain.cohandling import CoHandling
from domain.errors import CaseNotClosed, InvalidInput
from domain.events import JointCreated, JointEvent, stamp
from domain.evidence import EvidenceFiles
from domain.merging import Merging
from domain.police import PoliceReferrals
from domain.policy import SeizureTotals
from domain.seizures import Seizures
from domain.values import (
    CaseOutcome,
    CaseStatus,
    CaseType,
    CoHandlerStatus,
    Context,
    IdSet,
    required_text,
)


class Case(Seizures, CoHandling, Assistance, Merging, PoliceReferrals, EvidenceFiles, Aggregate):
    """A case. State is only assigned by the events' ``apply``; the public methods check the rules.

    Class version 2: seizures are no longer kept in the state, only their ids and running
    totals; a snapshot of version 1 (with every seizure) is upcast to that on load."""

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken when the state held every seizure: keep their ids and totals."""
        seizures = state.pop("seizures")
        state["seizure_ids"] = IdSet(s.seizure_id.hex for s in seizures)
        totals = SeizureTotals()
        for s in seizures:
            totals = totals.add(s.value, s.sticks, CaseType(state["case_type"]), s.disposition)
        state["seized"] = totals

    class Event(JointEvent):
        pass

    class Opened(JointCreated, Event):
        county: str
        number: str
        year: int
        case_type: str
        title: str
        summary: str
        lead_ids: list[UUID]
        lead_counties: list[str]
        opened_at: datetime | None

        def apply(self, case: Case) -> None:
            case.county = self.county
            case.number = self.number
            case.year = self.year
            case.case_type = CaseType(self.case_type)
            case.title = self.title
            case.summary = self.summary
            case.lead_ids = list(self.lead_ids)
            case.lead_counties = list(self.lead_counties)
            case.opened_at = self.opened_at
            case.opened_by = self.actor
            case.status = CaseStatus.OPEN
            case.outcome = None
            case.close_reason = None
            case.co_handlers = {}
            case.seizure_ids = IdSet()
            case.seized = SeizureTotals()
            case.assistance = {}
            case.merged_into = None
            case.merged_into_number = None
            case.absorbed = {}
            case.merge_history = []
            case.merge_consents = {}
            case.merge_parties = {}
            case.police = None

    class Closed(Event):
        outcome: str
        reason: str

        def apply(self, case: Case) -> None:
            case.status = CaseStatus.CLOSED
            case.outcome = CaseOutcome(self.outcome)
            case.close_reason = self.reason

    class Reopened(Event):
        reason: str

        def apply(self, case: Case) -> None:
            case.status = CaseStatus.OPEN
            case.outcome = None
            case.close_reason = None

    # --- commands --------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        *,
        case_id: UUID,
        number: str,
        year: int,
        ctx: Context,
        case_type: CaseType | str,
        title: str,
        summary: str = "",
        lead_ids: list[UUID] | None = None,
        lead_counties: list[str] | None = None,
        opened_at: datetime | None = None,
    ) -> Case:
        try:
            case_type = CaseType(case_type)
        except ValueError as e:
            raise InvalidInput(f"unknown case type {case_type!r}") from e
        return cls._create(
            cls.Opened,
            id=case_id,
            county=ctx.actor.county,
            number=number,
            year=year,
            case_type=str(case_type),
            title=required_text(title, "a case's title"),
            summary=summary.strip(),
            lead_ids=list(dict.fromkeys(lead_ids or [])),
            lead_counties=sorted(set(lead_counties or []) - {ctx.actor.county}),
            opened_at=opened_at,
            **stamp(ctx),
        )

    def close(self, outcome: CaseOutcome | str, reason: str, ctx: Context) -> None:
        self._check_active()
        self._check_lead_county(ctx, "close the case")
        try:
            outcome = CaseOutcome(outcome)
        except ValueError as e:
            raise InvalidInput(f"unknown case outcome {outcome!r}") from e
        reason = required_text(reason, "the reason for closing")
        self._cancel_open_assistance("the case was closed", ctx)
        self.trigger_event(
            self.Closed,
            outcome=str(outcome),
            reason=reason,
            **stamp(ctx),
        )

    def reopen(self, reason: str, ctx: Context) -> None:
        self._check_not_merged()
        self._check_lead_county(ctx, "reopen the case")
        if self.status != CaseStatus.CLOSED:
            raise CaseNotClosed("only a closed case can be reopened")
        self.trigger_event(
            self.Reopened, reason=required_text(reason, "the reason for reopening"), **stamp(ctx)
        )

    def _check_evidence_contributor(self, ctx: Context) -> None:
        """Files are added and removed by the lead county and joined co-handlers, on a case
        that is neither merged (read-only) nor closed, like every other record of the case."""
        self._check_active()
        self._check_participant(ctx)

    # --- queries ---------------------------------------------------------------------------------
    def counties_involved(self) -> set[str]:
        """Every county that may see this case: lead county, co-handlers (invited or joined; not
        one that declined), the owners of the leads it was opened from, the counties asked for
        assistance and those party to a pending merge."""
        counties = {self.county, *self.lead_counties}
        counties.update(
            county
            for county, handler in self.co_handlers.items()
            if handler.status != CoHandlerStatus.DECLINED
        )
        counties.update(a.to_county for a in self.assistance.values())
        for consenting in self.merge_consents.values():
            counties.update(consenting)
        counties.update(self.merge_parties.values())
        return counties

    def public_state(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "number": self.number,
            "county": self.county,
            "year": self.year,
            "case_type": str(self.case_type),
            "title": self.title,
            "summary": self.summary,
            "lead_ids": list(self.lead_ids),
            "lead_counties": list(self.lead_counties),
            "opened_at": self.opened_at,
            "opened_by": self.opened_by,
            "recorded_at": self.created_on,
            "modified_at": self.modified_on,
            "status": str(self.status),
            "outcome": str(self.outcome) if self.outcome else None,
            "close_reason": self.close_reason,
            "co_handlers": [vars(h).copy() for h in self.co_handlers.values()],
            "seizure_count": len(self.seizure_ids),
            "assistance": [vars(a).copy() for a in self.assistance.values()],
            "merged_into": self.merged_into,
            "merged_into_number": self.merged_into_number,
            "absorbed": [{"case_id": UUID(k), "number": v} for k, v in self.absorbed.items()],
            "merge_history": [vars(m).copy() for m in self.merge_history],
            "pending_merges": [
                {"survivor_id": UUID(k), "consenting_counties": sorted(v)}
                for k, v in self.merge_consents.items()
            ],
            "police": vars(self.police).copy() if self.police else None,
            "files": self.evidence_public(),
        }
