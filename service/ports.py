"""What the use cases need from outside the event store, as small protocols: the contribution
ledger and the deadline breaches (both read models), the bulletins' figures (the audit trail)
and the reward policy (a settings file). The service never imports the read models: the entry
point that builds the application connects them (``JointCaseApp.connect``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from domain.contributions import Contribution
from domain.reward_policy import PolicyError, PolicyUnavailable, RewardPolicy


class ContributionLedger(Protocol):
    """The contribution ledger (a read model): how far it has applied the log, and a case's
    contributions (with those of the cases merged into it) as of a position."""

    def position(self) -> int: ...

    def contributions(self, case_id: UUID, as_of: int) -> list[Contribution]: ...


class RewardPolicySource(Protocol):
    """The reward policy in force; raises ``PolicyUnavailable`` when it cannot be used."""

    def current(self) -> RewardPolicy: ...


class BreachFinder(Protocol):
    """The missed deadlines the read models show: (the position scanned at, candidate findings,
    each ready for ``Finding.record``)."""

    def scan(
        self, now: datetime, counties: list[str], tz: tzinfo
    ) -> tuple[int, list[dict[str, Any]]]: ...


class BulletinSource(Protocol):
    """The figures of a county's quarterly bulletin, from the audit trail as of a position."""

    def position(self) -> int: ...

    def issued(self, county: str, year: int, quarter: int) -> int | None: ...

    def figures(
        self, county: str, year: int, quarter: int, as_of: int, tz: tzinfo
    ) -> dict[str, Any]: ...


class CaseSummaries(Protocol):
    """The search rows of some cases (number, county, status, seizure totals), by number."""

    def summaries(self, case_ids: list[UUID]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class PolicyFile:
    """The reward policy read from its TOML file (read on each use, so a corrected file takes
    effect without a restart; its digest is recorded with each proposal)."""

    path: Path

    def current(self) -> RewardPolicy:
        try:
            return RewardPolicy.load(self.path)
        except PolicyError as e:
            raise PolicyUnavailable(str(e)) from None


@dataclass(frozen=True)
class Ports:
    ledger: ContributionLedger
    policies: RewardPolicySource
    breaches: BreachFinder
    bulletins: BulletinSource
    cases: CaseSummaries


class _NotConnected:
    """Stands in until an entry point connects the read models: any use is a programming error."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("the application's read models are not connected (JointCaseApp.connect)")


NOT_CONNECTED: Any = _NotConnected()
