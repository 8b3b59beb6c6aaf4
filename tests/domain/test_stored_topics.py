"""Stored events and snapshots name their class by topic (``module:qualname``). The Case and Lead
aggregates are composed of parts in modules of their own (seizures, co-handling, merging, police,
referrals...); every topic already in databases and exported logs must still resolve, to the
class the aggregate uses now, and new events must be recorded under the same topics."""

from __future__ import annotations

import pytest
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic, resolve_topic

from domain.case import Case
from domain.case_state import AssistanceRequest, CoHandler, MergeRecord, PoliceReferral, Seizure
from domain.evidence import EvidenceFile
from domain.lead import Lead
from domain.lead_state import Corroboration, Feedback, Referral
from domain.rewards import Reward
from domain.values import DataclassAsDict

#: Every aggregate and event topic before the split (from ``domain/case.py``, ``domain/lead.py``
#: and ``domain/rewards.py`` of that time).
TOPICS_BEFORE_THE_SPLIT = {
    "domain.case:Case": Case,
    "domain.case:Case.AbsorbedCaseReleased": Case.AbsorbedCaseReleased,
    "domain.case:Case.AssistanceAnswered": Case.AssistanceAnswered,
    "domain.case:Case.AssistanceRequested": Case.AssistanceRequested,
    "domain.case:Case.CaseAbsorbed": Case.CaseAbsorbed,
    "domain.case:Case.Closed": Case.Closed,
    "domain.case:Case.CoHandlerDeclined": Case.CoHandlerDeclined,
    "domain.case:Case.CoHandlerInvited": Case.CoHandlerInvited,
    "domain.case:Case.CoHandlerJoined": Case.CoHandlerJoined,
    "domain.case:Case.Created": Case.Created,
    "domain.case:Case.Event": Case.Event,
    "domain.case:Case.MergeConsentGiven": Case.MergeConsentGiven,
    "domain.case:Case.MergeProposalDeclined": Case.MergeProposalDeclined,
    "domain.case:Case.MergeReversed": Case.MergeReversed,
    "domain.case:Case.MergedInto": Case.MergedInto,
    "domain.case:Case.Opened": Case.Opened,
    "domain.case:Case.PoliceAcceptanceRecorded": Case.PoliceAcceptanceRecorded,
    "domain.case:Case.ReferredToPolice": Case.ReferredToPolice,
    "domain.case:Case.Reopened": Case.Reopened,
    "domain.case:Case.SeizureRecorded": Case.SeizureRecorded,
    "domain.lead:Lead": Lead,
    "domain.lead:Lead.Closed": Lead.Closed,
    "domain.lead:Lead.ConvertedToCase": Lead.ConvertedToCase,
    "domain.lead:Lead.Corroborated": Lead.Corroborated,
    "domain.lead:Lead.Created": Lead.Created,
    "domain.lead:Lead.Event": Lead.Event,
    "domain.lead:Lead.FeedbackGiven": Lead.FeedbackGiven,
    "domain.lead:Lead.LeadAbsorbed": Lead.LeadAbsorbed,
    "domain.lead:Lead.ReferralAccepted": Lead.ReferralAccepted,
    "domain.lead:Lead.ReferralDeclined": Lead.ReferralDeclined,
    "domain.lead:Lead.ReferralWithdrawn": Lead.ReferralWithdrawn,
    "domain.lead:Lead.Referred": Lead.Referred,
    "domain.lead:Lead.Registered": Lead.Registered,
    "domain.lead:Lead.Shared": Lead.Shared,
    "domain.rewards:Reward": Reward,
    "domain.rewards:Reward.Adjusted": Reward.Adjusted,
    "domain.rewards:Reward.Approved": Reward.Approved,
    "domain.rewards:Reward.ClaimFiled": Reward.ClaimFiled,
    "domain.rewards:Reward.Created": Reward.Created,
    "domain.rewards:Reward.Event": Reward.Event,
    "domain.rewards:Reward.PaymentRecorded": Reward.PaymentRecorded,
    "domain.rewards:Reward.ProposalComputed": Reward.ProposalComputed,
}


#: Events added since, each recorded under the aggregate's topic like the others.
TOPICS_ADDED_SINCE = {
    "domain.case:Case.AssistanceCancelled": Case.AssistanceCancelled,
    "domain.rewards:Reward.ProposalAdjusted": Reward.ProposalAdjusted,
    "domain.case:Case.EvidenceAttached": Case.EvidenceAttached,
    "domain.case:Case.EvidenceRemoved": Case.EvidenceRemoved,
    "domain.lead:Lead.EvidenceAttached": Lead.EvidenceAttached,
    "domain.lead:Lead.EvidenceRemoved": Lead.EvidenceRemoved,
}
KNOWN_TOPICS = {**TOPICS_BEFORE_THE_SPLIT, **TOPICS_ADDED_SINCE}


@pytest.mark.parametrize("topic", TOPICS_BEFORE_THE_SPLIT)
def test_a_topic_stored_before_the_split_resolves_to_the_class_used_now(topic):
    assert resolve_topic(topic) is TOPICS_BEFORE_THE_SPLIT[topic]


@pytest.mark.parametrize("topic", KNOWN_TOPICS)
def test_new_events_are_recorded_under_the_same_topics_as_before(topic):
    assert get_topic(KNOWN_TOPICS[topic]) == topic


@pytest.mark.parametrize("aggregate", [Case, Lead, Reward], ids=lambda a: a.__name__)
def test_every_event_an_aggregate_records_was_stored_under_a_known_topic(aggregate):
    """An event added to a part must be added to the list above once it is stored anywhere."""
    events = {
        get_topic(value)
        for name in dir(aggregate)
        if isinstance(value := getattr(aggregate, name), type)
        and issubclass(value, CanMutateAggregate)
    }
    prefix = get_topic(aggregate) + "."
    assert all(topic.startswith(prefix) for topic in events)
    assert events <= set(KNOWN_TOPICS)


@pytest.mark.parametrize(
    "cls",
    [
        Referral,
        Feedback,
        Corroboration,
        CoHandler,
        Seizure,
        AssistanceRequest,
        PoliceReferral,
        MergeRecord,
        EvidenceFile,
    ],
    ids=lambda c: c.__name__,
)
def test_state_kept_in_snapshots_keeps_its_stored_name(cls):
    """Snapshots hold these dataclasses under ``state:<class name>``, whatever their module."""
    assert DataclassAsDict(cls).name == f"state:{cls.__name__}"
