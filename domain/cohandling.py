"""Joint handling (协同办理): the lead county invites other counties as co-handlers; each
invitation is accepted or declined. A county that joined acts on the case beside the lead county."""

from __future__ import annotations

from domain.case_state import CaseState, CoHandler
from domain.errors import AlreadyCoHandler, InviteOwnCounty, NotInvited
from domain.events import JointEvent, stamp
from domain.values import CoHandlerStatus, Context, required_text


class CoHandling(CaseState):
    """The co-handling part of ``Case``."""

    class CoHandlerInvited(JointEvent):
        county: str
        note: str

        def apply(self, case: CoHandling) -> None:
            case.co_handlers[self.county] = CoHandler(
                county=self.county,
                status=CoHandlerStatus.INVITED,
                invited_by=self.actor.officer_id,
                invited_at=self.timestamp,
                note=self.note,
            )

    class CoHandlerJoined(JointEvent):
        def apply(self, case: CoHandling) -> None:
            handler = case.co_handlers[self.actor.county]
            handler.status = CoHandlerStatus.JOINED
            handler.answered_at = self.timestamp

    class CoHandlerDeclined(JointEvent):
        reason: str

        def apply(self, case: CoHandling) -> None:
            handler = case.co_handlers[self.actor.county]
            handler.status = CoHandlerStatus.DECLINED
            handler.answered_at = self.timestamp
            handler.answer_reason = self.reason

    def invite_co_handler(self, county: str, note: str, ctx: Context) -> None:
        self._check_active()
        self._check_lead_county(ctx, "invite co-handlers")
        if county == self.county:
            raise InviteOwnCounty("the lead county cannot invite itself as a co-handler")
        existing = self.co_handlers.get(county)
        if existing is not None and existing.status != CoHandlerStatus.DECLINED:
            raise AlreadyCoHandler(f"{county} is already {existing.status} as a co-handler")
        self.trigger_event(self.CoHandlerInvited, county=county, note=note.strip(), **stamp(ctx))

    def accept_co_handling(self, ctx: Context) -> None:
        self._check_active()
        self._check_invited(ctx)
        self.trigger_event(self.CoHandlerJoined, **stamp(ctx))

    def decline_co_handling(self, reason: str, ctx: Context) -> None:
        self._check_active()
        self._check_invited(ctx)
        self.trigger_event(
            self.CoHandlerDeclined,
            reason=required_text(reason, "the reason for declining"),
            **stamp(ctx),
        )

    def participant_counties(self) -> set[str]:
        """The counties that act on the case: the lead county and the co-handlers that joined."""
        joined = {c for c, h in self.co_handlers.items() if h.status == CoHandlerStatus.JOINED}
        return {self.county, *joined}

    def _check_invited(self, ctx: Context) -> None:
        handler = self.co_handlers.get(ctx.actor.county)
        if handler is None or handler.status != CoHandlerStatus.INVITED:
            raise NotInvited(f"{ctx.actor.county} has no open invitation to co-handle this case")
