"""Use cases of accountability (问责): recording the breaches a scan found (each once, ever) and
the committee's decision on a finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.access import can_see_finding, require_committee, require_finding_recorder
from domain.accountability import Finding
from domain.errors import NotFound
from domain.values import Actor, Context
from service.jurisdictions import JurisdictionUseCases
from service.store import Decided, Written, decided


@dataclass(frozen=True)
class Scan:
    """What a scan for missed deadlines found and recorded."""

    scanned_at_position: int
    breaches: int
    recorded: list[Written]

    @property
    def position(self) -> int:
        """The log position to wait for to read what was recorded."""
        return self.recorded[-1].position if self.recorded else self.scanned_at_position


class FindingUseCases(JurisdictionUseCases):
    def scan_for_breaches(self, ctx: Context) -> Scan:
        """Records a finding for each missed deadline the read models show that was not recorded
        before (the committee runs the scan)."""
        require_committee(ctx.actor)
        counties = [unit.code for unit in self.list_jurisdictions()]
        position, candidates = self.ports.breaches.scan(ctx.at, counties, self.timezone)
        return Scan(position, len(candidates), self.record_findings(candidates, ctx))

    def record_findings(self, candidates: list[dict[str, Any]], ctx: Context) -> list[Written]:
        """Records each breach not recorded before (a breach has one finding, ever)."""
        require_finding_recorder(ctx.actor)
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
            return self.write(ctx, decide, check=require_finding_recorder)
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

    def get_finding(self, finding_id: UUID, *, viewer: Actor | None = None) -> Finding:
        """The finding, for the committee, auditors and the county it is about."""
        finding = self._load(Finding, finding_id)
        if viewer is not None and not can_see_finding(viewer, finding.county):
            raise NotFound(f"no finding {finding_id}")
        return finding


class _AlreadyRecorded(Exception):
    """The finding exists: another scan recorded it."""
