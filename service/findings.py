"""Use cases of accountability (问责): recording the breaches a scan found (each once, ever) and
the committee's decision on a finding."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.access import require_committee
from domain.accountability import Finding
from domain.errors import PermissionDenied
from domain.values import Actor, Context, Role
from service.store import Decided, Store, Written, decided


def _require_scanner(actor: Actor) -> None:
    if actor.role not in (Role.COMMITTEE, Role.ADMIN):
        raise PermissionDenied("findings are recorded by the committee (or the system)")


class FindingUseCases(Store):
    def record_findings(self, candidates: list[dict[str, Any]], ctx: Context) -> list[Written]:
        """Records each breach not recorded before (a breach has one finding, ever)."""
        _require_scanner(ctx.actor)
        recorded = []
        for candidate in candidates:
            finding_id = Finding.id_for(candidate["kind"], candidate["subject"])
            if self._find(Finding, finding_id) is not None:
                continue
            written = self._record_finding(finding_id, candidate, ctx)
            if written is not None:
                recorded.append(written)
        return recorded

    def _record_finding(
        self, finding_id: UUID, candidate: dict[str, Any], ctx: Context
    ) -> Written | None:
        """Records one finding; None when a concurrent scan recorded it first (the lost race is
        re-run by the write path, which then finds it recorded)."""

        def decide() -> Decided:
            if self._find(Finding, finding_id) is not None:
                raise _AlreadyRecorded
            return decided(Finding.record(ctx=ctx, **candidate))

        try:
            return self.write(ctx, decide, check=_require_scanner)
        except _AlreadyRecorded:
            return None

    def decide_finding(
        self,
        finding_id: UUID,
        decision: str,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        def decide() -> Decided:
            finding = self._load(Finding, finding_id, None, expected_version)
            finding.decide(decision, reason, ctx)
            return decided(finding)

        return self.write(ctx, decide, expected_version, check=require_committee)

    def get_finding(self, finding_id: UUID) -> Finding:
        return self._load(Finding, finding_id)


class _AlreadyRecorded(Exception):
    """The finding exists: another scan recorded it."""
