"""Assistance (协查) between counties on a case: a participant asks another county, with a
deadline; only the county asked answers, once. Closing or merging the case cancels the requests
still open, each with an event, so that a cancelled request is never charged to the county asked."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.case_state import AssistanceRequest, CaseState
from domain.errors import (
    AssistanceAlreadyAnswered,
    AssistanceCancelled,
    AssistanceNotFound,
    AssistanceToOwnCounty,
    InvalidInput,
    NotAssistanceRecipient,
)
from domain.events import JointEvent, stamp
from domain.values import Context, required_text


class Assistance(CaseState):
    """The assistance part of ``Case``."""

    class AssistanceRequested(JointEvent):
        request_id: UUID
        to_county: str
        request: str
        due: datetime

        def apply(self, case: Assistance) -> None:
            case.assistance[str(self.request_id)] = AssistanceRequest(
                request_id=self.request_id,
                from_county=self.actor.county,
                to_county=self.to_county,
                request=self.request,
                due=self.due,
                requested_at=self.timestamp,
                requested_by=self.actor.officer_id,
            )

    class AssistanceAnswered(JointEvent):
        request_id: UUID
        answer: str

        def apply(self, case: Assistance) -> None:
            request = case.assistance[str(self.request_id)]
            request.answer = self.answer
            request.answered_at = self.timestamp
            request.answered_by = self.actor.officer_id

    class AssistanceCancelled(JointEvent):
        request_id: UUID
        because: str

        def apply(self, case: Assistance) -> None:
            request = case.assistance[str(self.request_id)]
            request.cancelled_at = self.timestamp
            request.cancelled_because = self.because

    def request_assistance(
        self, request_id: UUID, to_county: str, request: str, due: datetime, ctx: Context
    ) -> None:
        self._check_active()
        self._check_participant(ctx)
        if to_county == ctx.actor.county:
            raise AssistanceToOwnCounty("a county cannot ask itself for assistance")
        if str(request_id) in self.assistance:
            raise InvalidInput(f"assistance request {request_id} already exists")
        self.trigger_event(
            self.AssistanceRequested,
            request_id=request_id,
            to_county=to_county,
            request=required_text(request, "an assistance request"),
            due=due,
            **stamp(ctx),
        )

    def answer_assistance(self, request_id: UUID, answer: str, ctx: Context) -> None:
        self._check_active()
        request = self.assistance.get(str(request_id))
        if request is None:
            raise AssistanceNotFound(f"this case has no assistance request {request_id}")
        if request.to_county != ctx.actor.county:
            raise NotAssistanceRecipient(
                f"only the requested county ({request.to_county}) answers this assistance request"
            )
        if request.answered_at is not None:
            raise AssistanceAlreadyAnswered("this assistance request was already answered")
        if request.cancelled_at is not None:
            raise AssistanceCancelled(
                f"this assistance request was cancelled ({request.cancelled_because})"
            )
        self.trigger_event(
            self.AssistanceAnswered,
            request_id=request_id,
            answer=required_text(answer, "an answer"),
            **stamp(ctx),
        )

    def _cancel_open_assistance(self, because: str, ctx: Context) -> None:
        """Cancels every request still open (the case is being closed or merged), in the order
        they were made; the caller has checked that it may close or merge the case."""
        for request in list(self.assistance.values()):
            if request.is_open:
                self.trigger_event(
                    self.AssistanceCancelled,
                    request_id=request.request_id,
                    because=because,
                    **stamp(ctx),
                )
