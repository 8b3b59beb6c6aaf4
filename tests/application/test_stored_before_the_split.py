"""Events and snapshots recorded before Case and Lead were split into parts (seizures,
co-handling, assistance, merging, police, referrals) still load, through the store's own mapper.

``data/stored_before_the_split.json`` was recorded by the code of commit b10ecd9 through the same
transcodings as the store: two leads and three cases that between them hold every kind of Case and
Lead event (a referral declined, withdrawn, accepted; co-handling joined and declined; assistance;
police; closing and reopening; a cross-county merge proposal declined; a merge, reversed, redone),
and a snapshot of each at its last version."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from domain.case import Case
from domain.lead import Lead
from service.app import JointCaseApp
from tests.domain.test_stored_topics import TOPICS_ADDED_SINCE

RECORDED = json.loads((Path(__file__).parent / "data" / "stored_before_the_split.json").read_text())


def stored(item: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(item["originator_id"]),
        originator_version=item["originator_version"],
        topic=item["topic"],
        state=item["state"].encode(),
    )


def test_the_recording_holds_every_kind_of_case_and_lead_event() -> None:
    topics = {item["topic"] for item in RECORDED["events"]}
    expected = {
        f"domain.{aggregate.__name__.lower()}:{aggregate.__name__}.{name}"
        for aggregate in (Case, Lead)
        for name in dir(aggregate)
        if name not in ("Event", "Created")
        and isinstance(value := getattr(aggregate, name), type)
        and issubclass(value, aggregate.Event)
    }
    assert expected - set(TOPICS_ADDED_SINCE) == topics


@pytest.mark.parametrize("item", RECORDED["events"], ids=lambda i: i["topic"].split(":")[1])
def test_an_event_stored_before_the_split_loads_as_the_aggregates_event_and_stores_alike(
    app: JointCaseApp, item: dict[str, Any]
) -> None:
    event = app.mapper.to_domain_event(stored(item))
    aggregate, name = item["topic"].split(":")[1].split(".")
    assert type(event) is getattr({"Case": Case, "Lead": Lead}[aggregate], name)
    again = app.mapper.to_stored_event(event)
    if getattr(type(event), "class_version", 1) == 1:
        assert (again.topic, again.state.decode()) == (item["topic"], item["state"])
        return
    # Upcast (the referral events and feedback now carry the referral's id): it stores as the
    # new version, with the same data and the added fields.
    restored, original = json.loads(again.state), json.loads(item["state"])
    assert again.topic == item["topic"] and restored.pop("class_version") == 2
    added = {name: restored.pop(name) for name in set(restored) - set(original)}
    assert restored == original and set(added) == {"referral_id"}
    if name == "Referred":
        assert added["referral_id"] is not None  # derived from the referral itself


def test_histories_stored_before_the_split_replay_to_the_state_of_their_snapshots(
    app: JointCaseApp,
) -> None:
    histories: dict[UUID, list[Any]] = defaultdict(list)
    for item in RECORDED["events"]:
        histories[UUID(item["originator_id"])].append(app.mapper.to_domain_event(stored(item)))
    assert len(RECORDED["snapshots"]) == len(histories) == 5
    for item in RECORDED["snapshots"]:
        snapshot = app.mapper.to_domain_event(stored(item))
        from_snapshot = snapshot.mutate(None)
        replayed = None
        for event in histories[snapshot.originator_id]:
            replayed = event.mutate(replayed)
        assert type(from_snapshot) is type(replayed) is resolve_topic(snapshot.topic)
        assert from_snapshot.version == replayed.version
        assert from_snapshot.public_state() == replayed.public_state()
