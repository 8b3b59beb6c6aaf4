"""Merging cases (并案): non-destructive, with both counties' consent across counties, reversible."""

from __future__ import annotations

import pytest

from domain.case import Case
from domain.errors import (
    CaseClosed,
    CaseIsMerged,
    InvalidInput,
    MergeConsentAlreadyGiven,
    MergeCycle,
    MergeIntoAbsorbedCase,
    MergeIntoSelf,
    NoMergeProposal,
    NotLeadCounty,
    NotMerged,
)
from domain.merging import decline_merge, merge, unmerge
from domain.values import CaseOutcome, CaseStatus
from tests.domain.builders import (
    CASE,
    OTHER_CASE,
    THIRD_CASE,
    a_case,
    closed_case,
    merged,
    with_seizure,
)
from tests.domain.gwt import SHANGYI, T0, XINGHE, YANGGAO, at, ctx, event, given


def merge_by(county: str, chain: list | None = None, reason: str = " same supplier "):
    """``merge(absorbed, survivor)`` as a when-command on (absorbed, survivor)."""
    return lambda absorbed, survivor: merge(
        absorbed, survivor, reason, ctx(county, at(days=10)), survivor_chain=chain or []
    )


def unmerge_by(county: str, reason: str = " different suppliers after all "):
    return lambda absorbed, survivor: unmerge(absorbed, survivor, reason, ctx(county, at(days=20)))


def two_cases(absorbed_county: str = XINGHE, survivor_county: str = XINGHE) -> tuple[Case, Case]:
    absorbed = with_seizure(a_case(absorbed_county, case_id=CASE, when=T0))
    survivor = a_case(survivor_county, case_id=OTHER_CASE, when=at(days=1))
    return absorbed, survivor


# --- merging within a county -------------------------------------------------------------------
def test_a_merged_case_points_at_the_survivor_which_keeps_its_id_and_number():
    outcome = (
        given(*two_cases())
        .when(merge_by(XINGHE))
        .then(
            event(
                Case.MergedInto,
                originator_id=CASE,
                survivor_id=OTHER_CASE,
                survivor_number="150924-2026-c2",
                reason="same supplier",
                timestamp=at(days=10),
            ),
            event(
                Case.CaseAbsorbed,
                originator_id=OTHER_CASE,
                absorbed_id=CASE,
                absorbed_number="150924-2026-c1",
            ),
        )
    )
    assert outcome.result is True
    absorbed, survivor = outcome.aggregates
    assert absorbed.status == CaseStatus.MERGED
    assert (absorbed.merged_into, absorbed.merged_into_number) == (OTHER_CASE, "150924-2026-c2")
    assert (survivor.id, survivor.number, survivor.status) == (
        OTHER_CASE,
        "150924-2026-c2",
        CaseStatus.OPEN,
    )
    assert survivor.absorbed == {str(CASE): "150924-2026-c1"}


def test_a_merge_deletes_nothing_and_keeps_the_original_actors_and_dates():
    absorbed, survivor = (
        given(*two_cases())
        .when(merge_by(XINGHE))
        .then(Case.MergedInto, Case.CaseAbsorbed)
        .aggregates
    )
    assert (absorbed.number, absorbed.created_on, absorbed.opened_by) == (
        "150924-2026-c1",
        T0,
        ctx(XINGHE).actor,
    )
    assert absorbed.seizure_ids == two_cases()[0].seizure_ids
    assert absorbed.seizure_totals() == two_cases()[0].seizure_totals()
    assert absorbed.seizure_totals().sticks == 50_000
    assert survivor.created_on == at(days=1)


def test_both_cases_record_who_merged_them_when_and_why():
    absorbed, survivor = (
        given(*two_cases())
        .when(merge_by(XINGHE))
        .then(Case.MergedInto, Case.CaseAbsorbed)
        .aggregates
    )
    [absorbed_line] = absorbed.merge_history
    [survivor_line] = survivor.merge_history
    assert (absorbed_line.kind, absorbed_line.other_case_id, absorbed_line.at) == (
        "merged_into",
        OTHER_CASE,
        at(days=10),
    )
    assert (survivor_line.kind, survivor_line.other_case_number) == ("absorbed", "150924-2026-c1")
    assert survivor_line.officer_id == f"officer-{XINGHE}"
    assert survivor_line.reason == "same supplier"


def test_a_closed_case_may_be_merged_into_an_open_one():
    absorbed, survivor = two_cases()
    given(closed_case(absorbed), survivor).when(merge_by(XINGHE)).then(
        Case.MergedInto, Case.CaseAbsorbed
    )


# --- refusals ----------------------------------------------------------------------------------
def test_a_case_is_not_merged_into_itself():
    given(a_case()).when(
        lambda case: merge(case, case, "same", ctx(XINGHE), survivor_chain=[])
    ).then_refused(MergeIntoSelf)


def test_a_case_already_merged_is_not_merged_again():
    absorbed, _ = merged(*two_cases())
    third = a_case(case_id=THIRD_CASE)
    given(absorbed, third).when(merge_by(XINGHE)).then_refused(CaseIsMerged)


def test_a_case_is_not_merged_into_a_case_that_was_itself_absorbed():
    absorbed, _ = merged(*two_cases())
    third = a_case(case_id=THIRD_CASE)
    given(third, absorbed).when(merge_by(XINGHE, chain=[OTHER_CASE])).then_refused(
        MergeIntoAbsorbedCase, match="surviving case"
    )


def test_merging_a_case_into_one_that_was_merged_into_it_would_make_a_cycle():
    # CASE was merged into OTHER_CASE, which was merged into THIRD_CASE: THIRD_CASE into CASE loops.
    first, second = merged(*two_cases())
    second, third = merged(second, a_case(case_id=THIRD_CASE))
    given(third, first).when(merge_by(XINGHE, chain=[OTHER_CASE, THIRD_CASE])).then_refused(
        MergeCycle, match="cycle"
    )


def test_a_case_is_not_merged_into_a_closed_case():
    absorbed, survivor = two_cases()
    given(absorbed, closed_case(survivor)).when(merge_by(XINGHE)).then_refused(
        CaseClosed, match="reopen"
    )


def test_a_merge_needs_a_reason():
    given(*two_cases()).when(merge_by(XINGHE, reason=" ")).then_refused(InvalidInput)


def test_only_the_lead_county_of_one_of_the_two_cases_merges_them():
    given(*two_cases(XINGHE, YANGGAO)).when(merge_by(SHANGYI)).then_refused(NotLeadCounty)


# --- merging across counties -------------------------------------------------------------------
@pytest.mark.parametrize("first", [XINGHE, YANGGAO], ids=["absorbed's county", "survivor's county"])
def test_a_cross_county_merge_first_records_one_countys_consent_and_waits(first):
    outcome = (
        given(*two_cases(XINGHE, YANGGAO))
        .when(merge_by(first))
        .then(
            event(
                Case.MergeConsentGiven,
                originator_id=CASE,
                survivor_id=OTHER_CASE,
                survivor_county=YANGGAO,
                actor=ctx(first).actor,
            )
        )
    )
    assert outcome.result is False
    absorbed = outcome.aggregate
    assert absorbed.status == CaseStatus.OPEN
    assert absorbed.merged_into is None
    assert absorbed.merge_consents == {str(OTHER_CASE): [first]}
    assert absorbed.counties_involved() >= {XINGHE, YANGGAO}
    assert absorbed.public_state()["pending_merges"] == [
        {"survivor_id": OTHER_CASE, "consenting_counties": [first]}
    ]


@pytest.mark.parametrize(("first", "second"), [(XINGHE, YANGGAO), (YANGGAO, XINGHE)])
def test_the_second_countys_consent_merges_the_cases(first, second):
    absorbed, survivor = two_cases(XINGHE, YANGGAO)
    merge_by(first)(absorbed, survivor)
    outcome = (
        given(absorbed, survivor)
        .when(merge_by(second))
        .then(
            event(Case.MergedInto, survivor_id=OTHER_CASE, actor=ctx(second).actor),
            event(Case.CaseAbsorbed, absorbed_id=CASE),
        )
    )
    assert outcome.result is True
    assert outcome.aggregate.merge_consents == {}


def test_a_county_consents_to_a_merge_only_once():
    absorbed, survivor = two_cases(XINGHE, YANGGAO)
    merge_by(XINGHE)(absorbed, survivor)
    given(absorbed, survivor).when(merge_by(XINGHE)).then_refused(
        MergeConsentAlreadyGiven, match=YANGGAO
    )


def test_the_other_county_declines_a_proposed_merge_and_the_proposal_is_dropped():
    absorbed, survivor = two_cases(XINGHE, YANGGAO)
    merge_by(XINGHE)(absorbed, survivor)
    absorbed = (
        given(absorbed)
        .when(lambda case: decline_merge(case, OTHER_CASE, " not related ", ctx(YANGGAO, at(11))))
        .then(event(Case.MergeProposalDeclined, survivor_id=OTHER_CASE, reason="not related"))
        .aggregate
    )
    assert absorbed.merge_consents == {}
    assert absorbed.merge_parties == {}
    assert absorbed.status == CaseStatus.OPEN


def test_after_a_declined_proposal_a_merge_starts_again_from_one_consent():
    absorbed, survivor = two_cases(XINGHE, YANGGAO)
    merge_by(XINGHE)(absorbed, survivor)
    decline_merge(absorbed, OTHER_CASE, "not related", ctx(YANGGAO, at(11)))
    outcome = given(absorbed, survivor).when(merge_by(YANGGAO)).then(Case.MergeConsentGiven)
    assert outcome.result is False


def test_there_is_no_merge_to_decline_without_a_proposal():
    given(a_case()).when(
        lambda case: decline_merge(case, OTHER_CASE, "no", ctx(YANGGAO))
    ).then_refused(NoMergeProposal)


def test_declining_a_merge_needs_a_reason():
    absorbed, survivor = two_cases(XINGHE, YANGGAO)
    merge_by(XINGHE)(absorbed, survivor)
    given(absorbed).when(
        lambda case: decline_merge(case, OTHER_CASE, "", ctx(YANGGAO))
    ).then_refused(InvalidInput)


def test_a_merge_already_made_is_not_declined_but_reversed():
    absorbed, _ = merged(*two_cases(XINGHE, YANGGAO))
    given(absorbed).when(
        lambda case: decline_merge(case, OTHER_CASE, "no", ctx(YANGGAO))
    ).then_refused(CaseIsMerged)


# --- reversing a merge -------------------------------------------------------------------------
def test_unmerging_restores_both_cases_and_keeps_the_history():
    absorbed, survivor = (
        given(*merged(*two_cases()))
        .when(unmerge_by(XINGHE))
        .then(
            event(
                Case.MergeReversed,
                originator_id=CASE,
                survivor_id=OTHER_CASE,
                status_before_merge="open",
                reason="different suppliers after all",
            ),
            event(Case.AbsorbedCaseReleased, originator_id=OTHER_CASE, absorbed_id=CASE),
        )
        .aggregates
    )
    assert absorbed.status == CaseStatus.OPEN
    assert (absorbed.merged_into, absorbed.merged_into_number) == (None, None)
    assert survivor.absorbed == {}
    assert [m.kind for m in absorbed.merge_history] == ["merged_into", "merge_reversed"]
    assert [m.kind for m in survivor.merge_history] == ["absorbed", "released"]
    assert absorbed.merge_history[1].at == at(days=20)


def test_a_closed_case_that_was_merged_goes_back_to_closed_when_unmerged():
    absorbed, survivor = two_cases()
    absorbed, survivor = merged(closed_case(absorbed), survivor)
    absorbed = (
        given(absorbed, survivor)
        .when(unmerge_by(XINGHE))
        .then(event(Case.MergeReversed, status_before_merge="closed"), Case.AbsorbedCaseReleased)
        .aggregate
    )
    assert absorbed.status == CaseStatus.CLOSED
    assert absorbed.outcome == CaseOutcome.PENALTY


def test_a_case_closed_then_reopened_goes_back_to_open_when_unmerged():
    absorbed, survivor = two_cases()
    closed_case(absorbed).reopen("new evidence", ctx(XINGHE, at(6)))
    given(*merged(absorbed, survivor)).when(unmerge_by(XINGHE)).then(
        event(Case.MergeReversed, status_before_merge="open"), Case.AbsorbedCaseReleased
    )


def test_an_unmerged_case_is_handled_again_and_may_be_merged_again():
    absorbed, survivor = merged(*two_cases())
    unmerge_by(XINGHE)(absorbed, survivor)
    given(absorbed).when(lambda case: case.close("penalty", "fined", ctx(XINGHE, at(30)))).then(
        Case.Closed
    )
    absorbed, survivor = merged(*two_cases())
    unmerge_by(XINGHE)(absorbed, survivor)
    given(absorbed, survivor).when(merge_by(XINGHE)).then(Case.MergedInto, Case.CaseAbsorbed)


@pytest.mark.parametrize(
    "county", [XINGHE, YANGGAO], ids=["absorbed's county", "survivor's county"]
)
def test_either_lead_county_reverses_a_cross_county_merge(county):
    given(*merged(*two_cases(XINGHE, YANGGAO))).when(unmerge_by(county)).then(
        Case.MergeReversed, Case.AbsorbedCaseReleased
    )


def test_only_the_lead_county_of_one_of_the_two_cases_reverses_their_merge():
    given(*merged(*two_cases(XINGHE, YANGGAO))).when(unmerge_by(SHANGYI)).then_refused(
        NotLeadCounty
    )


def test_a_case_that_was_not_merged_is_not_unmerged():
    given(*two_cases()).when(unmerge_by(XINGHE)).then_refused(NotMerged, match="not merged")


def test_a_case_is_unmerged_only_from_the_case_it_was_merged_into():
    absorbed, _ = merged(*two_cases())
    given(absorbed, a_case(case_id=THIRD_CASE)).when(unmerge_by(XINGHE)).then_refused(
        NotMerged, match="150924-2026-c3"
    )


def test_a_merge_is_not_reversed_while_the_survivor_is_itself_merged():
    first, second = merged(*two_cases())
    second, _ = merged(second, a_case(case_id=THIRD_CASE))
    given(first, second).when(unmerge_by(XINGHE)).then_refused(CaseIsMerged)


def test_reversing_a_merge_needs_a_reason():
    given(*merged(*two_cases())).when(unmerge_by(XINGHE, reason=" ")).then_refused(InvalidInput)
