"""What "Who sees what" takes away, through the lists and the trail as well as by id: a declined
referral, invitation or merge proposal, an un-merge; and an administrator's event feed."""

from __future__ import annotations

from typing import Any

from tests.api.authz import (
    NEIGHBOUR,
    OWN,
    SEIZURE,
    THIRD,
    UNRELATED,
    case_co_handling_declined,
    case_merge_declined,
    case_merged_across,
    case_unmerged_across,
    lead_referral_declined,
    lead_referral_withdrawn,
    lead_referred,
    ok,
)
from tests.api.conftest import Api


def searched(api: Api, county: str, case_id: str, role: str = "officer") -> bool:
    """Whether the county's case search lists the case (found by its number)."""
    number = ok(api.get("auditor", OWN, f"/v1/cases/{case_id}"))["number"]
    last = api.services.app.log_position()
    page = ok(api.get(role, county, "/v1/cases", q=number, wait_for=last))
    return case_id in {row["case_id"] for row in page["items"]}


def registered(api: Api, county: str, lead_id: str) -> bool:
    """Whether the county's lead register lists the lead."""
    last = api.services.app.log_position()
    page = ok(api.get("officer", county, "/v1/leads", wait_for=last, limit=200))
    return lead_id in {row["lead_id"] for row in page["items"]}


def test_a_declined_or_withdrawn_referral_takes_the_lead_off_the_county_register(api: Api):
    pending = lead_referred(api)["lead"]
    assert registered(api, NEIGHBOUR, pending)
    for lead in (lead_referral_declined(api)["lead"], lead_referral_withdrawn(api)["lead"]):
        assert not registered(api, NEIGHBOUR, lead)
        assert registered(api, OWN, lead)


def test_a_declined_invitation_or_merge_proposal_takes_the_case_out_of_search(api: Api):
    declined = case_co_handling_declined(api)["case"]
    assert not searched(api, NEIGHBOUR, declined)
    assert searched(api, OWN, declined)
    assert searched(api, UNRELATED, declined, role="committee")
    proposal = case_merge_declined(api)["case"]
    assert not searched(api, NEIGHBOUR, proposal)


def test_search_follows_a_merge_both_ways_while_it_stands(api: Api):
    ids = case_merged_across(api)
    assert searched(api, NEIGHBOUR, ids["case"])  # the survivor's county: the absorbed case
    assert searched(api, OWN, ids["survivor"])  # the absorbed case's county: the survivor
    assert not searched(api, THIRD, ids["case"])


def test_after_an_unmerge_neither_side_sees_the_other_later_events(api: Api):
    ids = case_unmerged_across(api)
    assert not searched(api, NEIGHBOUR, ids["case"])
    last = api.services.app.log_position()
    for path in ("history", "timeline"):
        events = ok(api.get("officer", NEIGHBOUR, f"/v1/cases/{ids['survivor']}/{path}"))
        released = [e for e in events["events"] if e["aggregate_id"] == ids["case"]]
        assert released, "the released case's events before the un-merge stay in the history"
        assert "Case.SeizureRecorded" not in {e["type"] for e in released}
        assert all(e["position"] <= last for e in released)
    # the released case recorded a seizure after the un-merge: its own history has it
    own = ok(api.get("officer", OWN, f"/v1/cases/{ids['case']}/history"))["events"]
    assert "Case.SeizureRecorded" in {e["type"] for e in own}


def feed(api: Api, role: str, county: str) -> list[dict[str, Any]]:
    """The whole event feed as the county's administrator (or an auditor) reads it."""
    last = api.services.app.log_position()
    events: list[dict[str, Any]] = []
    after = 0
    while after < last:
        page = ok(api.get(role, county, "/v1/events", after=after, limit=1000, wait_for=last))
        events.extend(page["items"])
        after = page["next_after"]
    return events


def test_an_administrator_reads_the_events_of_its_county_records_only(api: Api):
    case = ok(
        api.post("officer", OWN, "/v1/cases", {"case_type": "counterfeit", "title": "G6"}), 201
    )
    ok(api.post("officer", OWN, f"/v1/cases/{case['id']}/seizures", SEIZURE), 201)
    ok(
        api.post("officer", UNRELATED, "/v1/cases", {"case_type": "counterfeit", "title": "G7"}),
        201,
    )
    # a case of OWN that THIRD was asked to assist: THIRD sees only its summary, none of its events
    asked = ok(
        api.post("officer", OWN, "/v1/cases", {"case_type": "counterfeit", "title": "G8"}), 201
    )
    body = {"to_county": THIRD, "request": "who rents the depot?"}
    ok(api.post("officer", OWN, f"/v1/cases/{asked['id']}/assistance-requests", body), 201)
    last = api.services.app.log_position()

    unrelated = feed(api, "admin", UNRELATED)
    assert unrelated, "its own county's events are in its feed"
    assert {case["id"], asked["id"]}.isdisjoint({e["aggregate_id"] for e in unrelated})
    trail = ok(api.get("admin", UNRELATED, "/v1/audit/events", wait_for=last, limit=1000))
    assert {case["id"], asked["id"]}.isdisjoint({e["aggregate_id"] for e in trail["items"]})
    # another county's filter only narrows what it may read: none of OWN's records
    other = ok(api.get("admin", UNRELATED, "/v1/audit/events", county=OWN, case_id=case["id"]))
    assert other["items"] == []
    export = api.get("admin", UNRELATED, "/v1/audit/events", case_id=case["id"], format="jsonl")
    assert export.status_code == 200 and export.text == ""

    mine = ok(api.get("admin", OWN, "/v1/audit/events", case_id=case["id"], wait_for=last))
    assert len(mine["items"]) == 2
    third = {e["aggregate_id"] for e in feed(api, "admin", THIRD)}
    assert asked["id"] not in third and case["id"] not in third
    everything = ok(api.get("auditor", UNRELATED, "/v1/audit/events", case_id=case["id"]))
    assert len(everything["items"]) == 2
    assert {case["id"], asked["id"]} <= {e["aggregate_id"] for e in feed(api, "auditor", OWN)}


def test_a_declined_invitation_takes_the_case_events_out_of_the_administrator_feed(api: Api):
    declined = case_co_handling_declined(api)["case"]
    assert declined not in {e["aggregate_id"] for e in feed(api, "admin", NEIGHBOUR)}
    assert declined in {e["aggregate_id"] for e in feed(api, "admin", OWN)}
