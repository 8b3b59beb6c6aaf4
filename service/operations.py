"""Use cases of joint work between the counties: joint operations (集中整治行动) with their
attached cases, joint meetings (联席会议) and price mutual inspections (价格互查)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.access import Visibility, can_see_joint_work
from domain.case import Case
from domain.cooperation import JointMeeting, JointOperation, PriceInspection
from domain.errors import NotFound
from domain.values import Actor, Context
from service.jurisdictions import JurisdictionUseCases
from service.store import Decided, Written, decided


class OperationUseCases(JurisdictionUseCases):
    def plan_operation(
        self,
        ctx: Context,
        *,
        name: str,
        participants: list[str],
        starts_on: date,
        ends_on: date,
        target_area: str,
        plan: str,
    ) -> Written:
        operation_id = uuid4()

        def decide() -> Decided:
            for county in participants:
                self.check_county(county)
            return decided(
                JointOperation.plan_operation(
                    operation_id=operation_id,
                    ctx=ctx,
                    name=name,
                    participants=participants,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    target_area=target_area,
                    plan=plan,
                )
            )

        return self.write(ctx, decide)

    def attach_case_to_operation(
        self, operation_id: UUID, case_id: UUID, ctx: Context, expected_version: int | None = None
    ) -> Written:
        def decide() -> Decided:
            op = self._operation_of(operation_id, ctx, expected_version)
            case = self._load(Case, case_id, ctx.actor, least=Visibility.SUMMARY)
            opened = (case.opened_at or case.created_on).astimezone(self.timezone).date()
            op.attach_case(case.id, case.number, case.county, opened, ctx)
            return decided(op)

        return self.write(ctx, decide, expected_version)

    def conclude_operation(
        self, operation_id: UUID, summary: str, ctx: Context, expected_version: int | None = None
    ) -> Written:
        def decide() -> Decided:
            op = self._operation_of(operation_id, ctx, expected_version)
            op.conclude(summary, ctx)
            return decided(op)

        return self.write(ctx, decide, expected_version)

    def _operation_of(
        self, operation_id: UUID, ctx: Context, expected_version: int | None
    ) -> JointOperation:
        """The operation a command is about, if the actor may see it (else not found), at the
        version the caller saw."""
        self.get_operation(operation_id, viewer=ctx.actor)
        return self._load(JointOperation, operation_id, None, expected_version)

    def get_operation(self, operation_id: UUID, *, viewer: Actor | None = None) -> JointOperation:
        """The operation, for the committee, auditors and its participants (to anyone else it
        does not exist, worded as for an unknown id)."""
        try:
            op = self._load(JointOperation, operation_id)
        except NotFound:
            raise NotFound(f"no joint operation {operation_id}") from None
        if viewer is not None and not can_see_joint_work(viewer, op.participants):
            raise NotFound(f"no joint operation {operation_id}")
        return op

    def operation_report(
        self, operation_id: UUID, *, viewer: Actor
    ) -> tuple[JointOperation, dict[str, Any]]:
        """The operation with its results rolled up from the summaries of its attached cases."""
        op = self.get_operation(operation_id, viewer=viewer)
        rows = self.ports.cases.summaries(list(op.case_ids))
        results = {
            "cases": len(rows),
            "seizures": sum(r["seizures"] for r in rows),
            "sticks": sum(r["total_sticks"] for r in rows),
            "value": sum((r["total_value"] for r in rows), Decimal(0)),
            "referred_to_police": sum(1 for r in rows if r["police_referred"]),
            "by_case": rows,
        }
        return op, results

    def record_meeting(
        self,
        ctx: Context,
        *,
        held_on: date,
        attendees: list[str],
        minutes: str,
        decisions: list[str],
    ) -> Written:
        meeting_id = uuid4()

        def decide() -> Decided:
            for county in attendees:
                self.check_county(county)
            return decided(
                JointMeeting.record(
                    meeting_id=meeting_id,
                    ctx=ctx,
                    held_on=held_on,
                    attendees=attendees,
                    minutes=minutes,
                    decisions=decisions,
                )
            )

        return self.write(ctx, decide)

    def record_price_inspection(
        self,
        ctx: Context,
        *,
        inspected_county: str,
        area: str,
        group_name: str,
        brand: str,
        agreed_price: Decimal | str,
        observed_price: Decimal | str,
        inspected_at: datetime,
        note: str = "",
    ) -> Written:
        inspection_id = uuid4()

        def decide() -> Decided:
            self.check_county(inspected_county)
            return decided(
                PriceInspection.record(
                    inspection_id=inspection_id,
                    ctx=ctx,
                    inspected_county=inspected_county,
                    area=area,
                    group_name=group_name,
                    brand=brand,
                    agreed_price=agreed_price,
                    observed_price=observed_price,
                    inspected_at=inspected_at,
                    note=note,
                )
            )

        return self.write(ctx, decide)
