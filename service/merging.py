"""Use cases of merging cases (并案): propose or consent, decline a proposal, reverse a merge."""

from __future__ import annotations

from uuid import UUID

from domain.access import Visibility
from domain.case import Case
from domain.errors import PermissionDenied
from domain.merging import decline_merge, merge, unmerge
from domain.values import Context
from service.cases import CaseUseCases
from service.store import Decided, Written, decided


class MergingUseCases(CaseUseCases):
    def merge_cases(
        self,
        absorbed_id: UUID,
        survivor_id: UUID,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        """Merges a case into another (并案), or records consent when the merge crosses counties."""

        def decide() -> Decided:
            absorbed = self._load(
                Case, absorbed_id, ctx.actor, expected_version, least=Visibility.SUMMARY
            )
            # A case the caller may not see is not found: never its number or status.
            survivor = self._load(Case, survivor_id, ctx.actor, least=Visibility.SUMMARY)
            merged = merge(
                absorbed, survivor, reason, ctx, [c.id for c in self._survivors(survivor)]
            )
            awaiting = (
                [] if merged else sorted({absorbed.county, survivor.county} - {ctx.actor.county})
            )
            details = {"merged": merged, "survivor_id": survivor.id, "awaiting": awaiting}
            if merged:
                return decided(absorbed, survivor, **details)
            return decided(absorbed, **details)

        return self.write(ctx, decide, expected_version)

    def decline_merge(
        self,
        absorbed_id: UUID,
        survivor_id: UUID,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        def decide() -> Decided:
            absorbed = self._load(
                Case, absorbed_id, ctx.actor, expected_version, least=Visibility.SUMMARY
            )
            survivor = self._load(Case, survivor_id)
            if ctx.actor.county not in (absorbed.county, survivor.county):
                raise PermissionDenied("only a county party to the merge may decline it")
            decline_merge(absorbed, survivor_id, reason, ctx)
            return decided(absorbed)

        return self.write(ctx, decide, expected_version)

    def unmerge_case(
        self, absorbed_id: UUID, reason: str, ctx: Context, expected_version: int | None = None
    ) -> Written:
        def decide() -> Decided:
            absorbed = self._load(
                Case, absorbed_id, ctx.actor, expected_version, least=Visibility.SUMMARY
            )
            if absorbed.merged_into is None:
                unmerge(absorbed, absorbed, reason, ctx)  # raises NotMerged
            assert absorbed.merged_into is not None
            survivor = self._load(Case, absorbed.merged_into)
            unmerge(absorbed, survivor, reason, ctx)
            return decided(
                absorbed,
                survivor,
                survivor_id=survivor.id,
                survivor_version=survivor.version,
            )

        return self.write(ctx, decide, expected_version)
