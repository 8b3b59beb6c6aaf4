"""Merging cases (并案): a case is merged into another, non-destructively; a merge across counties
needs the consent of both; a wrong merge is reversed (un-merge) with a reason. The rules span two
cases, so they are functions over both; the events belong to each case's ``Merging`` part."""

from __future__ import annotations

from uuid import UUID

from domain.case_state import CaseState, MergeRecord
from domain.errors import (
    CaseClosed,
    MergeConsentAlreadyGiven,
    MergeCycle,
    MergeIntoAbsorbedCase,
    MergeIntoSelf,
    NoMergeProposal,
    NotLeadCounty,
    NotMerged,
)
from domain.events import JointEvent, stamp
from domain.values import CaseStatus, Context, required_text


class Merging(CaseState):
    """The merge events of ``Case``; the rules that trigger them are the functions below."""

    class MergeConsentGiven(JointEvent):
        """A county consents to merging this case into the survivor (cross-county merges need two)."""

        survivor_id: UUID
        survivor_number: str
        survivor_county: str
        reason: str

        def apply(self, case: Merging) -> None:
            case.merge_parties[str(self.survivor_id)] = self.survivor_county
            consenting = case.merge_consents.setdefault(str(self.survivor_id), [])
            if self.actor.county not in consenting:
                consenting.append(self.actor.county)

    class MergeProposalDeclined(JointEvent):
        survivor_id: UUID
        reason: str

        def apply(self, case: Merging) -> None:
            case.merge_consents.pop(str(self.survivor_id), None)
            case.merge_parties.pop(str(self.survivor_id), None)

    class MergedInto(JointEvent):
        survivor_id: UUID
        survivor_number: str
        reason: str

        def apply(self, case: Merging) -> None:
            case.status = CaseStatus.MERGED
            case.merged_into = self.survivor_id
            case.merged_into_number = self.survivor_number
            case.merge_consents.clear()
            case.merge_parties.clear()
            case.merge_history.append(
                MergeRecord(
                    "merged_into",
                    self.survivor_id,
                    self.survivor_number,
                    self.timestamp,
                    self.actor.officer_id,
                    self.actor.county,
                    self.reason,
                )
            )

    class CaseAbsorbed(JointEvent):
        absorbed_id: UUID
        absorbed_number: str
        reason: str

        def apply(self, case: Merging) -> None:
            case.absorbed[str(self.absorbed_id)] = self.absorbed_number
            case.merge_history.append(
                MergeRecord(
                    "absorbed",
                    self.absorbed_id,
                    self.absorbed_number,
                    self.timestamp,
                    self.actor.officer_id,
                    self.actor.county,
                    self.reason,
                )
            )

    class MergeReversed(JointEvent):
        survivor_id: UUID
        survivor_number: str
        reason: str
        status_before_merge: str

        def apply(self, case: Merging) -> None:
            case.status = CaseStatus(self.status_before_merge)
            case.merged_into = None
            case.merged_into_number = None
            case.merge_history.append(
                MergeRecord(
                    "merge_reversed",
                    self.survivor_id,
                    self.survivor_number,
                    self.timestamp,
                    self.actor.officer_id,
                    self.actor.county,
                    self.reason,
                )
            )

    class AbsorbedCaseReleased(JointEvent):
        absorbed_id: UUID
        absorbed_number: str
        reason: str

        def apply(self, case: Merging) -> None:
            case.absorbed.pop(str(self.absorbed_id), None)
            case.merge_history.append(
                MergeRecord(
                    "released",
                    self.absorbed_id,
                    self.absorbed_number,
                    self.timestamp,
                    self.actor.officer_id,
                    self.actor.county,
                    self.reason,
                )
            )


def merge(
    absorbed: Merging, survivor: Merging, reason: str, ctx: Context, survivor_chain: list[UUID]
) -> bool:
    """Merges ``absorbed`` into ``survivor`` (并案), or records this county's consent when the merge
    crosses counties and the other county has not consented yet. ``survivor_chain`` lists the cases
    the survivor was itself merged into, nearest first. Returns True when the merge took place."""
    if absorbed.id == survivor.id:
        raise MergeIntoSelf("a case cannot be merged into itself")
    absorbed._check_not_merged()
    if absorbed.id in survivor_chain:
        raise MergeCycle(
            f"case {survivor.number} was merged into case {absorbed.number}; "
            "merging back would make a cycle"
        )
    if survivor.merged_into is not None:
        raise MergeIntoAbsorbedCase(
            f"case {survivor.number} was itself merged into {survivor.merged_into_number}; "
            "merge into the surviving case instead"
        )
    if survivor.status == CaseStatus.CLOSED:
        raise CaseClosed(f"case {survivor.number} is closed; reopen it before merging into it")
    reason = required_text(reason, "the reason for merging")
    needed = {absorbed.county, survivor.county}
    if ctx.actor.county not in needed:
        raise NotLeadCounty("only the lead county of one of the two cases may merge them")
    consents = set(absorbed.merge_consents.get(str(survivor.id), []))
    if ctx.actor.county in consents:
        raise MergeConsentAlreadyGiven(
            f"{ctx.actor.county} already consented; waiting for {sorted(needed - consents)}"
        )
    if not needed <= consents | {ctx.actor.county}:
        absorbed.trigger_event(
            absorbed.MergeConsentGiven,
            survivor_id=survivor.id,
            survivor_number=survivor.number,
            survivor_county=survivor.county,
            reason=reason,
            **stamp(ctx),
        )
        return False
    absorbed._cancel_open_assistance(f"the case was merged into case {survivor.number}", ctx)
    absorbed.trigger_event(
        absorbed.MergedInto,
        survivor_id=survivor.id,
        survivor_number=survivor.number,
        reason=reason,
        **stamp(ctx),
    )
    survivor.trigger_event(
        survivor.CaseAbsorbed,
        absorbed_id=absorbed.id,
        absorbed_number=absorbed.number,
        reason=reason,
        **stamp(ctx),
    )
    return True


def decline_merge(absorbed: Merging, survivor_id: UUID, reason: str, ctx: Context) -> None:
    """The other county refuses a proposed cross-county merge; the proposal is dropped."""
    absorbed._check_not_merged()
    consents = absorbed.merge_consents.get(str(survivor_id))
    if not consents:
        raise NoMergeProposal("there is no pending proposal to merge these cases")
    absorbed.trigger_event(
        absorbed.MergeProposalDeclined,
        survivor_id=survivor_id,
        reason=required_text(reason, "the reason for declining"),
        **stamp(ctx),
    )


def unmerge(absorbed: Merging, survivor: Merging, reason: str, ctx: Context) -> None:
    """Reverses a merge: both cases record it, the absorbed case becomes active again."""
    if absorbed.merged_into is None:
        raise NotMerged(f"case {absorbed.number} is not merged into another case")
    if absorbed.merged_into != survivor.id:
        raise NotMerged(f"case {absorbed.number} is not merged into case {survivor.number}")
    survivor._check_not_merged()
    if ctx.actor.county not in (absorbed.county, survivor.county):
        raise NotLeadCounty("only the lead county of one of the two cases may reverse their merge")
    reason = required_text(reason, "the reason for reversing the merge")
    # A case is closed or open independently of merges; restore what its own events say.
    before = CaseStatus.CLOSED if absorbed.outcome is not None else CaseStatus.OPEN
    absorbed.trigger_event(
        absorbed.MergeReversed,
        survivor_id=survivor.id,
        survivor_number=survivor.number,
        reason=reason,
        status_before_merge=str(before),
        **stamp(ctx),
    )
    survivor.trigger_event(
        survivor.AbsorbedCaseReleased,
        absorbed_id=absorbed.id,
        absorbed_number=absorbed.number,
        reason=reason,
        **stamp(ctx),
    )
