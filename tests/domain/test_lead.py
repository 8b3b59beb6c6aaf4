"""The Lead aggregate: registration, sharing, feedback, corroboration, conversion, closing."""

from __future__ import annotations

import pytest

from domain.errors import (
    AlreadyShared,
    CorroborationByOwner,
    InvalidInput,
    LeadAlreadyConverted,
    LeadClosed,
    LeadMergeInvalid,
    NoAcceptedReferral,
    NotResponsibleCounty,
    ShareWithOwnCounty,
)
from domain.lead import Lead
from domain.values import (
    Actor,
    CorroborationResult,
    LeadClosure,
    LeadSource,
    LeadStatus,
    ReferralStatus,
    Role,
)
from tests.domain.builders import (
    CASE,
    LEAD,
    OTHER_LEAD,
    a_lead,
    accepted,
    closed_lead,
    converted,
    refer,
    referred,
)
from tests.domain.gwt import SHANGYI, T0, TIANZHEN, XINGHE, YANGGAO, at, ctx, event, given


# --- registration ------------------------------------------------------------------------------
def test_a_registered_lead_belongs_to_the_registering_county_which_is_also_responsible():
    lead = (
        given()
        .when(
            lambda: Lead.register(
                lead_id=LEAD,
                ctx=ctx(XINGHE, T0, officer="wang.jicha", correlation_id="req-7"),
                summary="  Counterfeit 中华 in a farmyard ",
                source="tip_off",
                place_county=XINGHE,
                place_detail=" 城关镇 north road ",
                suspected_parties=[" 张三 ", "", "  ", "李四"],
                received_at=at(days=-1),
            )
        )
        .then(
            event(
                Lead.Registered,
                originator_id=LEAD,
                county=XINGHE,
                summary="Counterfeit 中华 in a farmyard",
                source="tip_off",
                place_detail="城关镇 north road",
                suspected_parties=["张三", "李四"],
                received_at=at(days=-1),
                timestamp=T0,
                actor=Actor("wang.jicha", XINGHE, Role.OFFICER),
                correlation_id="req-7",
            )
        )
        .aggregate
    )
    assert (lead.owner_county, lead.responsible_county) == (XINGHE, XINGHE)
    assert lead.status == LeadStatus.OPEN
    assert lead.source == LeadSource.TIP_OFF
    assert lead.registered_by.officer_id == "wang.jicha"
    assert lead.created_on == T0
    assert lead.counties_involved() == {XINGHE}


def test_a_lead_needs_a_summary():
    given().when(lambda: a_lead(summary="   ")).then_refused(InvalidInput, match="summary")


def test_a_lead_has_a_known_source():
    given().when(lambda: a_lead(source="gossip")).then_refused(InvalidInput, match="source")


def test_a_lead_keeps_only_the_sealed_informant_and_shows_its_pseudonym():
    lead = a_lead(informant_ciphertext="v1:sealed", informant_ref="INF-0123456789")
    assert lead.has_informant
    shown = lead.public_state()
    assert shown["informant_ref"] == "INF-0123456789"
    assert "v1:sealed" not in repr(shown)
    assert not a_lead().has_informant


# --- sharing -----------------------------------------------------------------------------------
def test_a_lead_is_shared_with_several_counties_without_changing_its_owner():
    lead = (
        given(a_lead())
        .when(
            lambda lead: lead.share(
                [YANGGAO, TIANZHEN, YANGGAO], " same brand seen ", ctx(XINGHE, at(1))
            )
        )
        .then(event(Lead.Shared, counties=[YANGGAO, TIANZHEN], reason="same brand seen"))
        .aggregate
    )
    assert lead.shared_with == {YANGGAO: at(1), TIANZHEN: at(1)}
    assert (lead.owner_county, lead.responsible_county) == (XINGHE, XINGHE)
    assert lead.counties_involved() == {XINGHE, YANGGAO, TIANZHEN}


def test_the_county_responsible_for_a_received_lead_may_share_it():
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO)
    given(lead).when(lambda lead: lead.share([TIANZHEN], "", ctx(YANGGAO))).then(
        event(Lead.Shared, counties=[TIANZHEN])
    )


def test_only_the_owning_or_responsible_county_shares_a_lead():
    given(referred(a_lead(), YANGGAO)).when(
        lambda lead: lead.share([TIANZHEN], "fyi", ctx(YANGGAO))
    ).then_refused(NotResponsibleCounty)


def test_sharing_names_at_least_one_county():
    given(a_lead()).when(lambda lead: lead.share([], "fyi", ctx(XINGHE))).then_refused(InvalidInput)


@pytest.mark.parametrize(
    ("sharer", "counties"),
    [(XINGHE, [YANGGAO, XINGHE]), (YANGGAO, [XINGHE]), (YANGGAO, [YANGGAO])],
    ids=["owner with itself", "responsible with the owner", "responsible with itself"],
)
def test_a_lead_is_not_shared_with_its_own_county(sharer, counties):
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO) if sharer == YANGGAO else a_lead()
    given(lead).when(lambda lead: lead.share(counties, "fyi", ctx(sharer))).then_refused(
        ShareWithOwnCounty
    )


def test_a_lead_is_shared_only_once_with_a_county():
    lead = a_lead()
    lead.share([YANGGAO], "fyi", ctx(XINGHE, at(1)))
    given(lead).when(
        lambda lead: lead.share([TIANZHEN, YANGGAO], "again", ctx(XINGHE))
    ).then_refused(AlreadyShared, match=YANGGAO)


# --- feedback ----------------------------------------------------------------------------------
def test_the_county_that_accepted_the_referral_gives_feedback():
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO)
    lead = (
        given(lead)
        .when(lambda lead: lead.give_feedback(" raided, 3箱 seized ", True, ctx(YANGGAO, at(4))))
        .then(event(Lead.FeedbackGiven, content="raided, 3箱 seized", final=True))
        .aggregate
    )
    [feedback] = lead.feedback
    assert (feedback.county, feedback.at, feedback.final) == (YANGGAO, at(4), True)
    assert lead.referrals[0].first_feedback_at == at(4)


def test_only_the_first_feedback_sets_the_time_the_referral_was_first_answered():
    lead = accepted(referred(a_lead(), YANGGAO), YANGGAO)
    lead.give_feedback("surveillance started", False, ctx(YANGGAO, at(2)))
    lead = (
        given(lead)
        .when(lambda lead: lead.give_feedback("raided", True, ctx(YANGGAO, at(9))))
        .then(Lead.FeedbackGiven)
        .aggregate
    )
    assert lead.referrals[0].first_feedback_at == at(2)
    assert [f.content for f in lead.feedback] == ["surveillance started", "raided"]


@pytest.mark.parametrize(
    "county", [YANGGAO, XINGHE, TIANZHEN], ids=["pending", "owner", "stranger"]
)
def test_only_a_county_that_accepted_a_referral_gives_feedback(county):
    given(referred(a_lead(), YANGGAO)).when(
        lambda lead: lead.give_feedback("progress", False, ctx(county))
    ).then_refused(NoAcceptedReferral)


def test_feedback_is_not_empty():
    given(accepted(referred(a_lead(), YANGGAO), YANGGAO)).when(
        lambda lead: lead.give_feedback(" ", False, ctx(YANGGAO))
    ).then_refused(InvalidInput)


def test_feedback_continues_after_the_lead_became_a_case():
    lead = converted(accepted(referred(a_lead(), YANGGAO), YANGGAO))
    given(lead).when(lambda lead: lead.give_feedback("case opened", True, ctx(YANGGAO))).then(
        Lead.FeedbackGiven
    )


# --- corroboration -----------------------------------------------------------------------------
def test_another_county_corroborates_a_lead():
    lead = (
        given(a_lead())
        .when(lambda lead: lead.corroborate("seen", " same van ", ctx(SHANGYI, at(1))))
        .then(event(Lead.Corroborated, result="seen", note="same van"))
        .aggregate
    )
    [corroboration] = lead.corroborations
    assert corroboration.result == CorroborationResult.SEEN
    assert (corroboration.county, corroboration.at) == (SHANGYI, at(1))
    assert SHANGYI in lead.counties_involved()


def test_the_owning_county_does_not_corroborate_its_own_lead():
    given(a_lead()).when(lambda lead: lead.corroborate("seen", "", ctx(XINGHE))).then_refused(
        CorroborationByOwner
    )


def test_a_corroboration_is_seen_or_not_found():
    given(a_lead()).when(lambda lead: lead.corroborate("maybe", "", ctx(SHANGYI))).then_refused(
        InvalidInput
    )


# --- conversion --------------------------------------------------------------------------------
def test_the_responsible_county_converts_a_lead_to_a_case():
    lead = (
        given(accepted(referred(a_lead(), YANGGAO), YANGGAO))
        .when(lambda lead: lead.convert_to_case(CASE, "140221-2026-0001", ctx(YANGGAO)))
        .then(event(Lead.ConvertedToCase, case_id=CASE, case_number="140221-2026-0001"))
        .aggregate
    )
    assert lead.status == LeadStatus.CONVERTED
    assert (lead.case_id, lead.case_number) == (CASE, "140221-2026-0001")


def test_only_the_responsible_county_converts_a_lead():
    given(referred(a_lead(), YANGGAO)).when(
        lambda lead: lead.convert_to_case(CASE, "140221-2026-0001", ctx(YANGGAO))
    ).then_refused(NotResponsibleCounty)


def test_a_lead_is_converted_only_once():
    given(converted(a_lead())).when(
        lambda lead: lead.convert_to_case(CASE, "150924-2026-0002", ctx(XINGHE))
    ).then_refused(LeadAlreadyConverted)


def test_a_converted_lead_is_not_closed():
    given(converted(a_lead())).when(
        lambda lead: lead.close("duplicate", "seen twice", ctx(XINGHE))
    ).then_refused(LeadAlreadyConverted)


# --- closing -----------------------------------------------------------------------------------
def test_a_lead_is_closed_as_unfounded_with_a_reason():
    lead = (
        given(a_lead())
        .when(lambda lead: lead.close("unfounded", " nothing at the address ", ctx(XINGHE)))
        .then(
            event(
                Lead.Closed,
                closure="unfounded",
                reason="nothing at the address",
                merged_into_lead=None,
            )
        )
        .aggregate
    )
    assert lead.status == LeadStatus.CLOSED
    assert lead.closure == LeadClosure.UNFOUNDED
    assert lead.closure_reason == "nothing at the address"


def test_only_the_responsible_county_closes_a_lead():
    given(accepted(referred(a_lead(), YANGGAO), YANGGAO)).when(
        lambda lead: lead.close("unfounded", "nothing there", ctx(XINGHE))
    ).then_refused(NotResponsibleCounty)


def test_a_lead_is_closed_with_a_known_closure():
    given(a_lead()).when(lambda lead: lead.close("solved", "done", ctx(XINGHE))).then_refused(
        InvalidInput
    )


def test_closing_a_lead_needs_a_reason():
    given(a_lead()).when(lambda lead: lead.close("unfounded", "", ctx(XINGHE))).then_refused(
        InvalidInput, match="reason"
    )


CLOSED_LEAD_COMMANDS = {
    "refer": refer(YANGGAO),
    "withdraw": lambda lead: lead.withdraw_referral(TIANZHEN, "oops", ctx(XINGHE)),
    "accept": lambda lead: lead.accept_referral(ctx(TIANZHEN)),
    "decline": lambda lead: lead.decline_referral("not ours", ctx(TIANZHEN)),
    "share": lambda lead: lead.share([SHANGYI], "fyi", ctx(XINGHE)),
    "feedback": lambda lead: lead.give_feedback("news", False, ctx(TIANZHEN)),
    "corroborate": lambda lead: lead.corroborate("seen", "", ctx(SHANGYI)),
    "convert": lambda lead: lead.convert_to_case(CASE, "150924-2026-0001", ctx(XINGHE)),
    "close": lambda lead: lead.close("duplicate", "again", ctx(XINGHE)),
}


@pytest.mark.parametrize("command", CLOSED_LEAD_COMMANDS.values(), ids=CLOSED_LEAD_COMMANDS.keys())
def test_a_closed_lead_accepts_nothing_but_reading(command):
    lead = referred(a_lead(), TIANZHEN)
    lead.share([YANGGAO], "fyi", ctx(XINGHE, at(hours=1)))
    given(closed_lead(lead)).when(command).then_refused(LeadClosed, match="closed")


def test_a_lead_closed_as_merged_points_at_the_lead_that_absorbs_it():
    lead, survivor = (
        given(a_lead(), a_lead(lead_id=OTHER_LEAD))
        .when(
            lambda lead, survivor: lead.close(
                LeadClosure.MERGED, "same farmyard", ctx(XINGHE, at(2)), merged_into_lead=survivor
            )
        )
        .then(
            event(Lead.Closed, originator_id=LEAD, closure="merged", merged_into_lead=OTHER_LEAD),
            event(Lead.LeadAbsorbed, originator_id=OTHER_LEAD, lead_id=LEAD, timestamp=at(2)),
        )
        .aggregates
    )
    assert (lead.status, lead.merged_into_lead) == (LeadStatus.CLOSED, OTHER_LEAD)
    assert survivor.status == LeadStatus.OPEN
    assert survivor.absorbed_leads == [LEAD]


def test_closing_a_lead_as_merged_names_the_lead_it_is_merged_into():
    given(a_lead()).when(
        lambda lead: lead.close("merged", "same farmyard", ctx(XINGHE))
    ).then_refused(InvalidInput)


def test_a_lead_is_not_merged_into_itself():
    given(a_lead()).when(
        lambda lead: lead.close("merged", "same farmyard", ctx(XINGHE), merged_into_lead=lead)
    ).then_refused(LeadMergeInvalid)


@pytest.mark.parametrize(
    ("target", "error"),
    [(closed_lead, LeadClosed), (converted, LeadAlreadyConverted)],
    ids=["closed", "converted"],
)
def test_a_lead_is_merged_only_into_a_lead_still_open(target, error):
    given(a_lead(), target(a_lead(lead_id=OTHER_LEAD))).when(
        lambda lead, other: lead.close("merged", "same", ctx(XINGHE), merged_into_lead=other)
    ).then_refused(error)


def test_only_a_lead_closed_as_merged_names_another_lead():
    given(a_lead(), a_lead(lead_id=OTHER_LEAD)).when(
        lambda lead, other: lead.close("duplicate", "same", ctx(XINGHE), merged_into_lead=other)
    ).then_refused(InvalidInput)


def test_a_merge_of_leads_without_a_reason_records_nothing_on_either_lead():
    given(a_lead(), a_lead(lead_id=OTHER_LEAD)).when(
        lambda lead, other: lead.close("merged", " ", ctx(XINGHE), merged_into_lead=other)
    ).then_refused(InvalidInput)


# --- the public view ---------------------------------------------------------------------------
def test_the_public_state_shows_the_history_of_referrals_and_never_the_informant_ciphertext():
    lead = accepted(referred(a_lead(informant_ciphertext="v1:secret"), YANGGAO), YANGGAO)
    shown = lead.public_state()
    assert shown["owner_county"] == XINGHE
    assert shown["responsible_county"] == YANGGAO
    assert shown["referrals"][0]["status"] == ReferralStatus.ACCEPTED
    assert shown["version"] == 3
    assert "v1:secret" not in repr(shown)
