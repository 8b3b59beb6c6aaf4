"""Case routes through HTTP on real PostgreSQL: conversion, seizures, joint handling,
assistance, merging and un-merging, police referral, closing and reopening."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.world import (
    HUAIAN,
    SHANGYI,
    TIANZHEN,
    XINGHE,
    YANGGAO,
    World,
    assert_problem,
    make_world,
    new_case,
    new_lead,
)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield from make_world()


# --- cases ------------------------------------------------------------------------------------
def test_converting_a_lead_opens_a_numbered_case_and_marks_the_lead(world: World) -> None:
    lead_id = new_lead(world, county=TIANZHEN)
    r = world.post(
        TIANZHEN, f"/v1/leads/{lead_id}/conversion", {"case_type": "smuggled", "title": "parcels"}
    )
    assert r.status_code == 201
    case = world.get(TIANZHEN, r.headers["location"]).json()
    assert case["number"].startswith(f"{TIANZHEN}-") and case["lead_ids"] == [lead_id]
    lead = world.get(TIANZHEN, f"/v1/leads/{lead_id}").json()
    assert lead["status"] == "converted" and lead["case_number"] == case["number"]
    assert_problem(
        world.post(
            TIANZHEN, f"/v1/leads/{lead_id}/conversion", {"case_type": "smuggled", "title": "x"}
        ),
        409,
        "lead-already-converted",
    )


def test_seizures_are_stored_in_sticks_and_shown_in_both_units(world: World) -> None:
    case = new_case(world)
    r = world.post(
        YANGGAO,
        f"/v1/cases/{case['id']}/seizures",
        {
            "brand": "中华(硬)",
            "quantity": "4",
            "unit": "case",
            "value": "180000.00",
            "price_basis": "provincial",
            "seized_at": "2026-03-02T03:10:00+08:00",
        },
    )
    assert r.status_code == 201
    body = world.get(YANGGAO, f"/v1/cases/{case['id']}").json()
    assert body["seizures"][0]["sticks"] == 200_000
    assert body["seizures"][0]["quantity"] == {"sticks": 200_000, "cases": "4.0000"}
    assert body["seizures"][0]["value"] == "180000.00"
    assert body["police_advice"]  # 200,000支 and ¥180,000 reach 情节严重
    for bad in ({"quantity": "0"}, {"quantity": "-3"}, {"quantity": "0.001", "unit": "stick"}):
        payload = {
            "brand": "x",
            "quantity": "1",
            "unit": "carton",
            "value": "1",
            "price_basis": "national",
            "seized_at": "2026-03-02T03:10:00+08:00",
            **bad,
        }
        assert world.post(YANGGAO, f"/v1/cases/{case['id']}/seizures", payload).status_code == 422


def test_a_case_read_at_a_version_or_moment_shows_the_seizures_it_had_then(world: World) -> None:
    case = new_case(world)
    positions = []
    for brand in ("first", "second", "third"):
        r = world.post(
            YANGGAO,
            f"/v1/cases/{case['id']}/seizures",
            {
                "brand": brand,
                "quantity": "200",
                "unit": "stick",
                "value": "90",
                "price_basis": "provincial",
                "seized_at": "2026-03-02T03:10:00+08:00",
            },
        )
        assert r.status_code == 201
        positions.append(r.json())
    now = world.get(YANGGAO, f"/v1/cases/{case['id']}").json()
    assert [s["brand"] for s in now["seizures"]] == ["first", "second", "third"]
    assert now["totals"]["value"] == "270.00" and now["totals"]["quantity"]["sticks"] == 600
    second = positions[1]["version"]
    then = world.get(YANGGAO, f"/v1/cases/{case['id']}", version=second).json()
    assert [s["brand"] for s in then["seizures"]] == ["first", "second"]
    assert then["totals"]["quantity"]["sticks"] == 400
    # the same, from the case's history, while the view has not caught up with the case
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(world.services.views.seizures, "of_case", lambda *_: [])
        behind = world.get(YANGGAO, f"/v1/cases/{case['id']}", version=second).json()
    assert behind["seizures"] == then["seizures"]
    at_first = now["seizures"][0]["recorded_at"]
    before = world.get(YANGGAO, f"/v1/cases/{case['id']}", as_of=at_first).json()
    assert [s["brand"] for s in before["seizures"]] == ["first"]


def test_joint_handling_invitation_acceptance_and_a_co_handler_seizure(world: World) -> None:
    case = new_case(world)
    cid = case["id"]
    assert (
        world.post(YANGGAO, f"/v1/cases/{cid}/co-handlers", {"county": XINGHE}).status_code == 200
    )
    seizure = {
        "brand": "x",
        "quantity": "10",
        "unit": "carton",
        "value": "4500",
        "price_basis": "national",
        "seized_at": "2026-03-02T03:10:00+08:00",
    }
    assert_problem(
        world.post(XINGHE, f"/v1/cases/{cid}/seizures", seizure), 409, "co-handler-not-accepted"
    )
    assert world.post(XINGHE, f"/v1/cases/{cid}/co-handlers/{XINGHE}/acceptance").status_code == 200
    assert world.post(XINGHE, f"/v1/cases/{cid}/seizures", seizure).status_code == 201
    world.post(YANGGAO, f"/v1/cases/{cid}/co-handlers", {"county": HUAIAN})
    r = world.post(
        HUAIAN, f"/v1/cases/{cid}/co-handlers/{HUAIAN}/declination", {"reason": "no link"}
    )
    assert r.status_code == 200
    handlers = {
        h["county"]: h["status"]
        for h in world.get(YANGGAO, f"/v1/cases/{cid}").json()["co_handlers"]
    }
    assert handlers == {XINGHE: "joined", HUAIAN: "declined"}
    assert_problem(
        world.post(XINGHE, f"/v1/cases/{cid}/co-handlers", {"county": TIANZHEN}),
        409,
        "not-lead-county",
    )


def test_assistance_is_requested_and_answered_by_the_requested_county(world: World) -> None:
    cid = new_case(world)["id"]
    r = world.post(
        YANGGAO,
        f"/v1/cases/{cid}/assistance-requests",
        {"to_county": SHANGYI, "request": "check depot"},
    )
    assert r.status_code == 201
    rid = r.json()["request_id"]
    assert world.get(SHANGYI, f"/v1/cases/{cid}").status_code == 200
    assert_problem(
        world.post(
            YANGGAO, f"/v1/cases/{cid}/assistance-requests/{rid}/answer", {"answer": "self"}
        ),
        409,
        "not-assistance-recipient",
    )
    r = world.post(
        SHANGYI, f"/v1/cases/{cid}/assistance-requests/{rid}/answer", {"answer": "held 2 parcels"}
    )
    assert r.status_code == 200
    assert_problem(
        world.post(
            SHANGYI, f"/v1/cases/{cid}/assistance-requests/{rid}/answer", {"answer": "again"}
        ),
        409,
        "assistance-already-answered",
    )


def test_a_cross_county_merge_needs_both_counties_and_can_be_reversed(world: World) -> None:
    survivor = new_case(world, YANGGAO)
    absorbed = new_case(world, TIANZHEN)
    body = {"survivor_id": survivor["id"], "reason": "same net"}
    # a county proposes a merge only into a case it may see: 404 as for an unknown case...
    r = world.post(TIANZHEN, f"/v1/cases/{absorbed['id']}/merge", body)
    assert r.status_code == 404 and r.json()["detail"] == f"no case {survivor['id']}"
    # ...until the survivor's county involves it (here: asks it for assistance)
    ask = {"to_county": TIANZHEN, "request": "same net?"}
    assert world.post(YANGGAO, f"/v1/cases/{survivor['id']}/assistance-requests", ask).is_success
    r = world.post(
        TIANZHEN,
        f"/v1/cases/{absorbed['id']}/merge",
        {"survivor_id": survivor["id"], "reason": "same net"},
    )
    assert (
        r.status_code == 200 and r.json()["merged"] is False and r.json()["awaiting"] == [YANGGAO]
    )
    # the survivor's county reads the proposing case as its summary, with the proposal to answer
    proposed = world.get(YANGGAO, f"/v1/cases/{absorbed['id']}").json()
    assert proposed["access"] == "summary" and "seizures" in proposed
    assert proposed["merge_proposals"] == [
        {
            "survivor_id": survivor["id"],
            "survivor_county": YANGGAO,
            "consenting_counties": [TIANZHEN],
        }
    ]
    assert world.get(YANGGAO, f"/v1/cases/{absorbed['id']}/history").status_code == 404
    r = world.post(
        YANGGAO,
        f"/v1/cases/{absorbed['id']}/merge",
        {"survivor_id": survivor["id"], "reason": "same net"},
    )
    assert r.status_code == 200 and r.json()["merged"] is True
    gone = world.get(TIANZHEN, f"/v1/cases/{absorbed['id']}").json()
    assert gone["status"] == "merged" and gone["merged_into"] == survivor["id"]
    assert_problem(
        world.post(
            TIANZHEN, f"/v1/cases/{absorbed['id']}/closure", {"outcome": "penalty", "reason": "x"}
        ),
        409,
        "case-is-merged",
    )
    history = world.get(YANGGAO, f"/v1/cases/{survivor['id']}/history").json()["events"]
    assert {e["aggregate_id"] for e in history} == {survivor["id"], absorbed["id"]}
    r = world.post(YANGGAO, f"/v1/cases/{absorbed['id']}/unmerge", {"reason": "wrong supplier"})
    assert r.status_code == 200
    assert world.get(TIANZHEN, f"/v1/cases/{absorbed['id']}").json()["status"] == "open"
    types = [
        e["type"]
        for e in world.get(YANGGAO, f"/v1/cases/{survivor['id']}/history").json()["events"]
    ]
    assert "Case.MergeReversed" in types and "Case.AbsorbedCaseReleased" in types
    assert_problem(
        world.post(TIANZHEN, f"/v1/cases/{absorbed['id']}/unmerge", {"reason": "x"}),
        409,
        "not-merged",
    )


def test_merge_refusals(world: World) -> None:
    a = new_case(world, YANGGAO)
    b = new_case(world, YANGGAO)
    assert_problem(
        world.post(YANGGAO, f"/v1/cases/{a['id']}/merge", {"survivor_id": a["id"], "reason": "r"}),
        409,
        "merge-into-self",
    )
    assert world.post(
        YANGGAO, f"/v1/cases/{a['id']}/merge", {"survivor_id": b["id"], "reason": "r"}
    ).json()["merged"]
    c = new_case(world, YANGGAO)
    assert_problem(
        world.post(YANGGAO, f"/v1/cases/{c['id']}/merge", {"survivor_id": a["id"], "reason": "r"}),
        409,
        "merge-into-absorbed-case",
    )
    assert_problem(
        world.post(YANGGAO, f"/v1/cases/{b['id']}/merge", {"survivor_id": a["id"], "reason": "r"}),
        409,
        "merge-cycle",
    )
    d = new_case(world, SHANGYI)
    ask = {"to_county": SHANGYI, "request": "same net?"}  # SHANGYI may now see c
    assert world.post(YANGGAO, f"/v1/cases/{c['id']}/assistance-requests", ask).is_success
    world.post(SHANGYI, f"/v1/cases/{d['id']}/merge", {"survivor_id": c["id"], "reason": "r"})
    r = world.post(
        YANGGAO, f"/v1/cases/{d['id']}/merge/declination", {"survivor_id": c["id"], "reason": "no"}
    )
    assert r.status_code == 200
    assert world.get(SHANGYI, f"/v1/cases/{d['id']}").json()["pending_merges"] == []


def test_police_referral_acceptance_closing_and_reopening(world: World) -> None:
    cid = new_case(world)["id"]
    assert_problem(
        world.post(
            YANGGAO,
            f"/v1/cases/{cid}/police-referral/acceptance",
            {"accepted_on": "2026-03-08T10:00:00+08:00"},
        ),
        409,
        "not-referred-to-police",
    )
    r = world.post(
        YANGGAO,
        f"/v1/cases/{cid}/police-referral",
        {
            "police_unit": "阳高分局",
            "referred_on": "2026-03-05T10:00:00+08:00",
            "reason": "threshold",
        },
    )
    assert r.status_code == 200 and r.json()["advice"] == []
    assert (
        world.post(
            YANGGAO,
            f"/v1/cases/{cid}/police-referral/acceptance",
            {"accepted_on": "2026-03-08T10:00:00+08:00", "police_case_number": "0137"},
        ).status_code
        == 200
    )
    assert (
        world.post(
            YANGGAO, f"/v1/cases/{cid}/closure", {"outcome": "referred", "reason": "police"}
        ).status_code
        == 200
    )
    assert_problem(
        world.post(YANGGAO, f"/v1/cases/{cid}/closure", {"outcome": "penalty", "reason": "x"}),
        409,
        "case-closed",
    )
    assert (
        world.post(YANGGAO, f"/v1/cases/{cid}/reopening", {"reason": "new evidence"}).status_code
        == 200
    )
    assert world.get(YANGGAO, f"/v1/cases/{cid}").json()["status"] == "open"
    assert world.get(YANGGAO, f"/v1/cases/{cid}/police-advice").json()["thresholds_reached"] == []
