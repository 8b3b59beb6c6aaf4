"""How much of a case each county sees ("Who sees what"): the whole case, its summary, or
nothing; the same read from the case's state (by id) and from the grants its events fold into
(the read models), and what the summary holds."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from domain.access import (
    Visibility,
    case_access_change,
    case_visibility,
    counties_granted,
    counties_granted_full,
    county_sees_case,
    fold_access,
)
from domain.case import Case
from domain.case_summary import SUMMARY_FIELDS, case_summary
from domain.merging import decline_merge, merge
from domain.values import Actor, Role
from tests.domain.builders import (
    OTHER_CASE,
    a_case,
    with_assistance_request,
    with_co_handler,
    with_seizure,
)
from tests.domain.gwt import SHANGYI, TIANZHEN, XINGHE, YANGGAO, at, ctx

COUNTIES = (XINGHE, YANGGAO, TIANZHEN, SHANGYI)


def levels_by_state(case: Case) -> dict[str, Visibility]:
    return {county: county_sees_case(county, case) for county in COUNTIES}


def levels_by_events(case: Case) -> dict[str, Visibility]:
    """What a read model keeps: the grants folded from the case's events, with their level."""
    grants: set[str] = set()
    for e in case.collect_events():
        grants = fold_access(grants, case_access_change(e))
    seen, whole = counties_granted(grants), counties_granted_full(grants)
    return {
        county: Visibility.FULL
        if county in whole
        else Visibility.SUMMARY
        if county in seen
        else Visibility.NONE
        for county in COUNTIES
    }


def test_an_invited_county_sees_the_summary_until_it_joins_and_nothing_after_declining():
    invited = with_co_handler(a_case(), YANGGAO, joined=False)
    assert levels_by_state(invited)[YANGGAO] == Visibility.SUMMARY
    joined = with_co_handler(a_case(), YANGGAO)
    assert levels_by_state(joined)[YANGGAO] == Visibility.FULL
    declining = with_co_handler(a_case(), YANGGAO, joined=False)
    declining.decline_co_handling("no staff", ctx(YANGGAO, at(hours=3)))
    assert levels_by_state(declining)[YANGGAO] == Visibility.NONE
    for case in (invited, joined, declining):
        assert levels_by_state(case)[XINGHE] == Visibility.FULL
        assert levels_by_events(case) == levels_by_state(case)


def test_a_county_asked_for_assistance_sees_the_summary_while_open_and_after_answering():
    case = with_assistance_request(a_case(), TIANZHEN)
    assert levels_by_state(case)[TIANZHEN] == Visibility.SUMMARY
    (request_id,) = case.assistance
    case.answer_assistance(UUID(request_id), "two parcels", ctx(TIANZHEN))
    assert levels_by_state(case)[TIANZHEN] == Visibility.SUMMARY
    assert levels_by_events(case) == levels_by_state(case)


def test_a_merge_proposal_shows_the_proposing_case_summary_until_it_is_declined():
    absorbed, survivor = a_case(XINGHE), a_case(YANGGAO, case_id=OTHER_CASE)
    merge(absorbed, survivor, "same supplier", ctx(XINGHE, at(1)), survivor_chain=[])
    assert levels_by_state(absorbed)[YANGGAO] == Visibility.SUMMARY
    proposed = levels_by_state(absorbed)
    decline_merge(absorbed, survivor.id, "another supplier", ctx(YANGGAO, at(2)))
    assert levels_by_state(absorbed)[YANGGAO] == Visibility.NONE
    assert proposed[XINGHE] == Visibility.FULL
    assert levels_by_events(absorbed) == levels_by_state(absorbed)


def test_the_committee_reads_summaries_and_auditors_whole_cases():
    case = a_case()
    assert case_visibility(Actor("c", "000000", Role.COMMITTEE), case) == Visibility.SUMMARY
    assert case_visibility(Actor("a", "000000", Role.AUDITOR), case) == Visibility.FULL


def test_a_case_merged_into_one_a_county_sees_as_a_summary_is_seen_as_a_summary():
    absorbed = a_case(XINGHE)
    survivor = with_co_handler(a_case(XINGHE, case_id=OTHER_CASE), YANGGAO, joined=False)
    reader = Actor("r", YANGGAO, Role.OFFICER)
    assert case_visibility(reader, absorbed, [survivor]) == Visibility.SUMMARY
    survivor.accept_co_handling(ctx(YANGGAO, at(1)))
    assert case_visibility(reader, absorbed, [survivor]) == Visibility.FULL
    # the county of an absorbed case sees the whole survivor while the merge stands
    outsider = Actor("o", TIANZHEN, Role.OFFICER)
    assert case_visibility(outsider, survivor, [], [TIANZHEN]) == Visibility.FULL


def test_the_summary_holds_what_was_asked_of_the_reader_and_no_other_county_s_requests():
    case = with_seizure(with_co_handler(a_case(), SHANGYI), value="45000")
    with_co_handler(case, YANGGAO, joined=False)
    with_assistance_request(case, TIANZHEN)
    invited = case_summary(case, Actor("y", YANGGAO, Role.OFFICER))
    assert invited.invitation is not None and invited.invitation.county == YANGGAO
    assert invited.assistance == [] and invited.merge_proposals == []
    assert invited.co_handlers == [SHANGYI]  # the counties that joined
    assert (invited.seizures, invited.total_sticks, invited.total_value) == (
        1,
        50_000,
        Decimal("45000"),
    )
    asked = case_summary(case, Actor("t", TIANZHEN, Role.OFFICER))
    assert asked.invitation is None and [a.to_county for a in asked.assistance] == [TIANZHEN]
    committee = case_summary(case, Actor("c", TIANZHEN, Role.COMMITTEE))
    assert committee.invitation is None and committee.assistance == []
    assert set(invited.fields()) == set(SUMMARY_FIELDS)
