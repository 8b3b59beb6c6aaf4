"""Joint work beyond single cases: joint operations (集中整治行动), joint meetings (联席会议) and
price mutual inspections (价格互查), each an event-sourced record."""

from __future__ import annotations

from dataclasses import field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidInput, NotLeadCounty, RuleViolation
from domain.events import JointCreated, JointEvent, stamp
from domain.values import Context, required_text, to_money


class OperationConcluded(RuleViolation):
    rule = "operation-concluded"


class CaseAlreadyAttached(RuleViolation):
    rule = "case-already-attached"


class NotAParticipant(RuleViolation):
    rule = "not-a-participant"


class CaseOutsideOperation(RuleViolation):
    rule = "case-outside-operation"


class JointOperation(Aggregate):
    """Planned by one county with participants, a period and a target area; cases opened in it
    are attached and its results roll up from them."""

    class Event(JointEvent):
        pass

    class Planned(JointCreated, Event):
        name: str
        county: str
        participants: list[str]
        starts_on: date
        ends_on: date
        target_area: str
        plan: str

        def apply(self, op: JointOperation) -> None:
            op.name = self.name
            op.county = self.county
            op.participants = list(self.participants)
            op.starts_on = self.starts_on
            op.ends_on = self.ends_on
            op.target_area = self.target_area
            op.plan = self.plan
            op.case_ids = []
            op.concluded = False
            op.summary = None

    class CaseAttached(Event):
        case_id: UUID
        case_number: str

        def apply(self, op: JointOperation) -> None:
            op.case_ids.append(self.case_id)

    class Concluded(Event):
        summary: str

        def apply(self, op: JointOperation) -> None:
            op.concluded = True
            op.summary = self.summary

    name: str = field(init=False)
    county: str = field(init=False)
    participants: list[str] = field(init=False)
    starts_on: date = field(init=False)
    ends_on: date = field(init=False)
    target_area: str = field(init=False)
    plan: str = field(init=False)
    case_ids: list[UUID] = field(init=False)
    concluded: bool = field(init=False)
    summary: str | None = field(init=False)

    @classmethod
    def plan_operation(
        cls,
        *,
        operation_id: UUID,
        ctx: Context,
        name: str,
        participants: list[str],
        starts_on: date,
        ends_on: date,
        target_area: str,
        plan: str,
    ) -> JointOperation:
        if ends_on < starts_on:
            raise InvalidInput("an operation cannot end before it starts")
        members = list(dict.fromkeys([ctx.actor.county, *participants]))
        if len(members) < 2:
            raise InvalidInput("a joint operation needs at least one other participating county")
        return cls._create(
            cls.Planned,
            id=operation_id,
            name=required_text(name, "an operation's name"),
            county=ctx.actor.county,
            participants=members,
            starts_on=starts_on,
            ends_on=ends_on,
            target_area=target_area.strip(),
            plan=plan.strip(),
            **stamp(ctx),
        )

    def attach_case(
        self, case_id: UUID, case_number: str, case_county: str, opened_on: date, ctx: Context
    ) -> None:
        if self.concluded:
            raise OperationConcluded(f"operation {self.name} is concluded")
        if ctx.actor.county not in self.participants or case_county not in self.participants:
            raise NotAParticipant("only participating counties attach their own cases")
        if case_county != ctx.actor.county:
            raise NotAParticipant("a county attaches the cases it leads")
        if case_id in self.case_ids:
            raise CaseAlreadyAttached(f"case {case_number} is already attached")
        if not self.starts_on <= opened_on <= self.ends_on:
            raise CaseOutsideOperation(
                f"case {case_number} was opened on {opened_on}, outside the operation's period "
                f"{self.starts_on} to {self.ends_on}"
            )
        self.trigger_event(
            self.CaseAttached, case_id=case_id, case_number=case_number, **stamp(ctx)
        )

    def conclude(self, summary: str, ctx: Context) -> None:
        if self.concluded:
            raise OperationConcluded(f"operation {self.name} is already concluded")
        if ctx.actor.county != self.county:
            raise NotLeadCounty(f"only the planning county ({self.county}) concludes the operation")
        self.trigger_event(
            self.Concluded, summary=required_text(summary, "a summary"), **stamp(ctx)
        )

    def public_state(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "name": self.name,
            "county": self.county,
            "participants": list(self.participants),
            "starts_on": self.starts_on,
            "ends_on": self.ends_on,
            "target_area": self.target_area,
            "plan": self.plan,
            "case_ids": list(self.case_ids),
            "concluded": self.concluded,
            "summary": self.summary,
        }


class JointMeeting(Aggregate):
    """A joint meeting (联席会议): date, rotating host, attendees, minutes and decisions."""

    class Event(JointEvent):
        pass

    class Held(JointCreated, Event):
        held_on: date
        host: str
        attendees: list[str]
        minutes: str
        decisions: list[str]

        def apply(self, meeting: JointMeeting) -> None:
            meeting.held_on = self.held_on
            meeting.host = self.host
            meeting.attendees = list(self.attendees)
            meeting.minutes = self.minutes
            meeting.decisions = list(self.decisions)

    held_on: date = field(init=False)
    host: str = field(init=False)
    attendees: list[str] = field(init=False)
    minutes: str = field(init=False)
    decisions: list[str] = field(init=False)

    @classmethod
    def record(
        cls,
        *,
        meeting_id: UUID,
        ctx: Context,
        held_on: date,
        attendees: list[str],
        minutes: str,
        decisions: list[str],
    ) -> JointMeeting:
        members = list(dict.fromkeys([ctx.actor.county, *attendees]))
        if len(members) < 2:
            raise InvalidInput("a joint meeting has at least two attending units")
        return cls._create(
            cls.Held,
            id=meeting_id,
            held_on=held_on,
            host=ctx.actor.county,
            attendees=members,
            minutes=required_text(minutes, "the minutes"),
            decisions=[d.strip() for d in decisions if d.strip()],
            **stamp(ctx),
        )


class PriceInspection(Aggregate):
    """A price mutual inspection (价格互查): a county checks retail prices in a neighbour's area
    against a self-discipline group's agreed price and records the deviation."""

    class Event(JointEvent):
        pass

    class Recorded(JointCreated, Event):
        inspecting_county: str
        inspected_county: str
        area: str
        group_name: str
        brand: str
        agreed_price: Decimal
        observed_price: Decimal
        inspected_at: datetime
        note: str

        def apply(self, inspection: PriceInspection) -> None:
            inspection.state = {
                k: v for k, v in vars(self).items() if k not in ("actor", "correlation_id")
            }

    state: dict[str, Any] = field(init=False)

    @classmethod
    def record(
        cls,
        *,
        inspection_id: UUID,
        ctx: Context,
        inspected_county: str,
        area: str,
        group_name: str,
        brand: str,
        agreed_price: Decimal | str,
        observed_price: Decimal | str,
        inspected_at: datetime,
        note: str = "",
    ) -> PriceInspection:
        if inspected_county == ctx.actor.county:
            raise InvalidInput("a mutual inspection is of a neighbour's area, not the own county")
        return cls._create(
            cls.Recorded,
            id=inspection_id,
            inspecting_county=ctx.actor.county,
            inspected_county=inspected_county,
            area=area.strip(),
            group_name=group_name.strip(),
            brand=required_text(brand, "the brand"),
            agreed_price=to_money(agreed_price, allow_zero=False),
            observed_price=to_money(observed_price, allow_zero=False),
            inspected_at=inspected_at,
            note=note.strip(),
            **stamp(ctx),
        )

    @property
    def deviation(self) -> Decimal:
        return Decimal(self.state["observed_price"]) - Decimal(self.state["agreed_price"])

    def public_state(self) -> dict[str, Any]:
        agreed = Decimal(self.state["agreed_price"])
        return {
            "id": str(self.id),
            "inspecting_county": self.state["inspecting_county"],
            "inspected_county": self.state["inspected_county"],
            "area": self.state["area"],
            "group_name": self.state["group_name"],
            "brand": self.state["brand"],
            "agreed_price": agreed,
            "observed_price": Decimal(self.state["observed_price"]),
            "deviation": self.deviation,
            "deviation_percent": (self.deviation / agreed * 100).quantize(Decimal("0.01")),
            "inspected_at": self.state["inspected_at"],
            "note": self.state["note"],
        }
