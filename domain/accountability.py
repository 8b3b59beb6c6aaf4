"""Accountability (问责): findings recorded when a unit missed a deadline, each citing its
evidence as of the log position it was found at, and the committee's decision on it; and the
issuing of quarterly bulletins, whose absence is itself a finding."""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import InvalidInput, RuleViolation
from domain.events import JointCreated, JointEvent, stamp
from domain.jurisdiction import NAMESPACE
from domain.values import Context, required_text

FINDING_KINDS = (
    "referral_not_acknowledged",
    "feedback_not_given",
    "assistance_not_answered",
    "bulletin_not_issued",
)
DECISIONS = ("excused", "reminder", "criticism", "escalated")
#: How an item about a deadline ended without the charged county's answer: the request was
#: cancelled (a case closed or merged), the referral withdrawn or its lead closed.
CANCELLED = "cancelled"
ENDED_BY_OTHERS = ("withdrawn", "lead closed")


def deadline_breach(
    due: datetime | None, done: datetime | None, outcome: str | None, now: datetime
) -> str | None:
    """Whether a county is charged for a deadline (a referral to acknowledge, feedback to give,
    an assistance request to answer), and how: ``None`` when it is not. A deadline still to come,
    or met, is no breach; a cancelled request is never charged ("Trust rules"). A referral
    withdrawn, or whose lead was closed, before its deadline is not charged either; after its
    deadline lapsed it is: the county had not acknowledged it by then, which is the breach
    ("a referral not acknowledged ... by its deadline"), and what the referring county did
    afterwards neither answers for it nor erases it (the committee may excuse it)."""
    if due is None or due >= now or outcome == CANCELLED:
        return None
    if done is None:
        return "still not done"
    if done <= due:
        return None
    if outcome in ENDED_BY_OTHERS:
        return f"not done by the deadline ({outcome} afterwards)"
    return "answered late"


class FindingAlreadyDecided(RuleViolation):
    rule = "finding-already-decided"


class BulletinAlreadyIssued(RuleViolation):
    rule = "bulletin-already-issued"


class Finding(Aggregate):
    class Event(JointEvent):
        pass

    class Recorded(JointCreated, Event):
        kind: str
        county: str
        subject: str
        deadline: datetime
        found_at_position: int
        evidence: list[dict[str, Any]]
        detail: str

        def apply(self, finding: Finding) -> None:
            finding.kind = self.kind
            finding.county = self.county
            finding.subject = self.subject
            finding.deadline = self.deadline
            finding.found_at_position = self.found_at_position
            finding.evidence = list(self.evidence)
            finding.detail = self.detail
            finding.decision = None

    class DecisionRecorded(Event):
        decision: str
        reason: str

        def apply(self, finding: Finding) -> None:
            finding.decision = {
                "decision": self.decision,
                "reason": self.reason,
                "by": self.actor.officer_id,
                "at": self.timestamp,
            }

    kind: str = field(init=False)
    county: str = field(init=False)
    subject: str = field(init=False)
    deadline: datetime = field(init=False)
    found_at_position: int = field(init=False)
    evidence: list[dict[str, Any]] = field(init=False)
    detail: str = field(init=False)
    decision: dict[str, Any] | None = field(init=False)

    @staticmethod
    def id_for(kind: str, subject: str) -> UUID:
        """One finding per breach: scanning again never records it twice."""
        return uuid5(NAMESPACE, f"finding/{kind}/{subject}")

    @classmethod
    def record(
        cls,
        *,
        kind: str,
        county: str,
        subject: str,
        deadline: datetime,
        found_at_position: int,
        evidence: list[dict[str, Any]],
        detail: str,
        ctx: Context,
    ) -> Finding:
        if kind not in FINDING_KINDS:
            raise InvalidInput(f"unknown finding kind {kind!r}")
        return cls._create(
            cls.Recorded,
            id=cls.id_for(kind, subject),
            kind=kind,
            county=county,
            subject=subject,
            deadline=deadline,
            found_at_position=found_at_position,
            evidence=evidence,
            detail=detail,
            **stamp(ctx),
        )

    def decide(self, decision: str, reason: str, ctx: Context) -> None:
        if self.decision is not None:
            raise FindingAlreadyDecided("the committee already decided on this finding")
        if decision not in DECISIONS:
            raise InvalidInput(f"a decision is one of {', '.join(DECISIONS)}")
        self.trigger_event(
            self.DecisionRecorded,
            decision=decision,
            reason=required_text(reason, "the reason for the decision"),
            **stamp(ctx),
        )

    def public_state(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "kind": self.kind,
            "county": self.county,
            "subject": self.subject,
            "deadline": self.deadline,
            "found_at_position": self.found_at_position,
            "found_at": self.created_on,
            "evidence": list(self.evidence),
            "detail": self.detail,
            "decision": self.decision,
        }


class BulletinIssue(Aggregate):
    """That a county issued its quarterly bulletin (季度通报), as of which log position, with the
    digest of the exact bytes issued. One per county and quarter."""

    class Event(JointEvent):
        pass

    class Issued(JointCreated, Event):
        county: str
        year: int
        quarter: int
        as_of_position: int
        sha256: str

        def apply(self, issue: BulletinIssue) -> None:
            issue.county = self.county
            issue.year = self.year
            issue.quarter = self.quarter
            issue.as_of_position = self.as_of_position
            issue.sha256 = self.sha256

    county: str = field(init=False)
    year: int = field(init=False)
    quarter: int = field(init=False)
    as_of_position: int = field(init=False)
    sha256: str = field(init=False)

    @staticmethod
    def id_for(county: str, year: int, quarter: int) -> UUID:
        return uuid5(NAMESPACE, f"bulletin/{county}/{year}/Q{quarter}")

    @classmethod
    def issue(
        cls, *, county: str, year: int, quarter: int, as_of_position: int, sha256: str, ctx: Context
    ) -> BulletinIssue:
        if not 1 <= quarter <= 4:
            raise InvalidInput("a quarter is 1 to 4")
        return cls._create(
            cls.Issued,
            id=cls.id_for(county, year, quarter),
            county=county,
            year=year,
            quarter=quarter,
            as_of_position=as_of_position,
            sha256=sha256,
            **stamp(ctx),
        )
