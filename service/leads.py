"""Use cases of leads (线索): register, refer and answer referrals, share, give feedback,
corroborate, close, read (also as it was), and the recorded reading of an informant's identity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID, uuid4

from domain.access import require_own_county, require_recorder
from domain.errors import InvalidInput, NoInformant, PermissionDenied
from domain.informants import InformantAccessLog
from domain.lead import Lead
from domain.values import (
    INFORMANT_READER_ROLES,
    Actor,
    Context,
    CorroborationResult,
    LeadClosure,
    LeadSource,
)
from service.jurisdictions import JurisdictionUseCases
from service.store import Decided, Written, decided


class LeadUseCases(JurisdictionUseCases):
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
        lead_id = lead_id or uuid4()
        ciphertext = ref = None
        if informant is not None and informant.strip():
            ciphertext, ref = self.cipher.seal(informant, lead_id)

        def decide() -> Decided:
            self._check_actor_county(ctx)
            self.check_county(place_county)
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
            return decided(lead, informant_ref=ref)

        return self.write(ctx, decide)

    def _on_lead(
        self, lead_id: UUID, ctx: Context, expected_version: int | None, act: Callable[[Lead], None]
    ) -> Written:
        """The common shape: load the lead the caller may see, let it decide, save it."""

        def decide() -> Decided:
            lead = self._load(Lead, lead_id, ctx.actor, expected_version)
            act(lead)
            return decided(lead)

        return self.write(ctx, decide, expected_version)

    def refer_lead(
        self,
        lead_id: UUID,
        to_county: str,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        self.check_county(to_county, ctx.at)
        referral_id = uuid4()  # made once: a re-run of the command records the same id
        return self._on_lead(
            lead_id,
            ctx,
            expected_version,
            lambda lead: lead.refer(
                to_county,
                reason,
                ctx,
                acknowledge_by=ctx.at + self.deadlines.acknowledge,
                feedback_by=ctx.at + self.deadlines.feedback,
                referral_id=referral_id,
            ),
        )

    def withdraw_referral(
        self,
        lead_id: UUID,
        to_county: str,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        return self._on_lead(
            lead_id,
            ctx,
            expected_version,
            lambda lead: lead.withdraw_referral(to_county, reason, ctx),
        )

    def accept_referral(
        self,
        lead_id: UUID,
        ctx: Context,
        expected_version: int | None = None,
        *,
        county: str | None = None,
    ) -> Written:
        """The county the lead was referred to accepts it (``county``: the county the caller
        answers for, when it names one; it must be its own)."""

        def act(lead: Lead) -> None:
            if county is not None:
                require_own_county(ctx.actor, county)
            lead.accept_referral(ctx)

        return self._on_lead(lead_id, ctx, expected_version, act)

    def decline_referral(
        self,
        lead_id: UUID,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
        *,
        county: str | None = None,
    ) -> Written:
        def act(lead: Lead) -> None:
            if county is not None:
                require_own_county(ctx.actor, county)
            lead.decline_referral(reason, ctx)

        return self._on_lead(lead_id, ctx, expected_version, act)

    def share_lead(
        self,
        lead_id: UUID,
        counties: list[str],
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        for county in counties:
            self.check_county(county, ctx.at)
        return self._on_lead(
            lead_id, ctx, expected_version, lambda lead: lead.share(counties, reason, ctx)
        )

    def give_feedback(
        self,
        lead_id: UUID,
        content: str,
        final: bool,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        return self._on_lead(
            lead_id,
            ctx,
            expected_version,
            lambda lead: lead.give_feedback(content, final, ctx),
        )

    def corroborate_lead(
        self,
        lead_id: UUID,
        result: CorroborationResult | str,
        note: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        return self._on_lead(
            lead_id, ctx, expected_version, lambda lead: lead.corroborate(result, note, ctx)
        )

    def close_lead(
        self,
        lead_id: UUID,
        closure: LeadClosure | str,
        reason: str,
        ctx: Context,
        merged_into_lead: UUID | None = None,
        expected_version: int | None = None,
    ) -> Written:
        def decide() -> Decided:
            lead = self._load(Lead, lead_id, ctx.actor, expected_version)
            target = (
                self._load(Lead, merged_into_lead, ctx.actor)
                if merged_into_lead is not None
                else None
            )
            lead.close(closure, reason, ctx, target)
            return decided(lead) if target is None else decided(lead, target)

        return self.write(ctx, decide, expected_version)

    def get_lead(
        self,
        lead_id: UUID,
        version: int | None = None,
        as_of: datetime | None = None,
        *,
        viewer: Actor | None = None,
    ) -> Lead:
        """The lead now or as it was; ``viewer``: the officer reading (None: the system)."""
        return self._time_travel(Lead, lead_id, viewer, version, as_of)

    def reveal_informant(self, lead_id: UUID, purpose: str, ctx: Context) -> tuple[str, Written]:
        """The informant's identity, for officers of the owning county only; the read is recorded."""
        require_recorder(ctx.actor)
        lead = self._load(Lead, lead_id, ctx.actor)
        if ctx.actor.county != lead.owner_county or ctx.actor.role not in INFORMANT_READER_ROLES:
            raise PermissionDenied(
                "only officers of the owning county may read an informant's identity"
            )
        if lead.informant_ciphertext is None:
            raise NoInformant("this lead has no informant on record")
        if not purpose.strip():
            raise InvalidInput("say why the informant's identity is needed")
        identity = self.cipher.open(lead.informant_ciphertext, lead.id)

        def decide() -> Decided:
            log = self._find(InformantAccessLog, InformantAccessLog.id_for(lead_id))
            if log is None:
                log = InformantAccessLog.start(lead_id, ctx)
            log.record_view(purpose, ctx)
            return decided(log, lead_id=lead.id, informant_ref=lead.informant_ref)

        return identity, self.write(ctx, decide)
