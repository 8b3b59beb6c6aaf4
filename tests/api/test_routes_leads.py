"""Lead routes through HTTP on real PostgreSQL: registering, the informant, referrals,
sharing, corroboration, closing and time travel, with the problem documents of refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.world import (
    HUAIAN,
    SHANGYI,
    TIANZHEN,
    WANQUAN,
    XINGHE,
    YANGGAO,
    World,
    assert_problem,
    make_world,
    new_lead,
)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield from make_world()


# --- leads -------------------------------------------------------------------------------------
def test_registering_a_lead_answers_201_with_location_etag_and_log_position(world: World) -> None:
    r = world.post(
        XINGHE,
        "/v1/leads",
        {
            "summary": "parcels of smuggled cigarettes",
            "source": "parcel_screening",
            "place_county": SHANGYI,
            "suspected_parties": ["收件人 刘某"],
        },
    )
    assert r.status_code == 201
    body = r.json()
    assert r.headers["location"] == f"/v1/leads/{body['id']}"
    assert r.headers["etag"] == '"1"'
    assert int(r.headers["x-log-position"]) == body["position"] > 0
    lead = world.get(XINGHE, f"/v1/leads/{body['id']}").json()
    assert lead["owner_county"] == XINGHE and lead["suspected_parties"] == ["收件人 刘某"]


def test_the_informant_is_never_in_a_lead_and_is_disclosed_only_to_the_owning_county(
    world: World,
) -> None:
    lead_id = new_lead(world, informant="赵六 13700001111")
    world.post(XINGHE, f"/v1/leads/{lead_id}/referrals", {"to_county": YANGGAO, "reason": "r"})
    for reader in (XINGHE, YANGGAO, "auditor"):
        text = world.get(reader, f"/v1/leads/{lead_id}").text
        assert "13700001111" not in text and "赵六" not in text
        assert "INF-" in text
    r = world.post(XINGHE, f"/v1/leads/{lead_id}/informant-disclosures", {"purpose": "call back"})
    assert r.status_code == 200 and r.json()["informant"] == "赵六 13700001111"
    assert r.headers["cache-control"] == "no-store"
    assert_problem(
        world.post(YANGGAO, f"/v1/leads/{lead_id}/informant-disclosures", {"purpose": "x"}),
        403,
        "permission-denied",
    )
    assert_problem(
        world.post("liaison", f"/v1/leads/{lead_id}/informant-disclosures", {"purpose": "x"}),
        403,
        "permission-denied",
    )
    log = world.get("auditor", "/v1/events", after=0, limit=1000).json()["items"]
    viewed = [e for e in log if e["type"] == "InformantAccessLog.IdentityViewed"]
    assert viewed and viewed[-1]["data"]["lead_id"] == lead_id
    assert "13700001111" not in world.get("auditor", "/v1/events", limit=1000).text


def test_a_referral_is_accepted_by_the_receiving_county_who_then_gives_feedback(
    world: World,
) -> None:
    lead_id = new_lead(world)
    r = world.post(
        XINGHE, f"/v1/leads/{lead_id}/referrals", {"to_county": YANGGAO, "reason": "route"}
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    referral = world.get(YANGGAO, f"/v1/leads/{lead_id}").json()["referrals"][0]
    assert referral["status"] == "pending" and referral["acknowledge_by"] > referral["referred_at"]
    assert_problem(
        world.post(XINGHE, f"/v1/leads/{lead_id}/referrals/{XINGHE}/acceptance"),
        409,
        "not-receiving-county",
    )
    assert_problem(
        world.post(XINGHE, f"/v1/leads/{lead_id}/referrals/{YANGGAO}/acceptance"),
        403,
        "permission-denied",
    )
    assert (
        world.post(YANGGAO, f"/v1/leads/{lead_id}/referrals/{YANGGAO}/acceptance").status_code
        == 200
    )
    r = world.post(
        YANGGAO, f"/v1/leads/{lead_id}/feedback", {"content": "watching", "final": False}
    )
    assert r.status_code == 200
    lead = world.get(XINGHE, f"/v1/leads/{lead_id}").json()
    assert lead["responsible_county"] == YANGGAO
    assert lead["feedback"][0]["content"] == "watching"


def test_referral_refusals_name_their_rule(world: World) -> None:
    lead_id = new_lead(world)
    assert_problem(
        world.post(XINGHE, f"/v1/leads/{lead_id}/referrals", {"to_county": XINGHE, "reason": "r"}),
        409,
        "referral-to-own-county",
    )
    world.post(XINGHE, f"/v1/leads/{lead_id}/referrals", {"to_county": YANGGAO, "reason": "r"})
    assert_problem(
        world.post(XINGHE, f"/v1/leads/{lead_id}/referrals", {"to_county": YANGGAO, "reason": "r"}),
        409,
        "referral-already-open",
    )
    assert_problem(
        world.post(
            XINGHE, f"/v1/leads/{lead_id}/referrals", {"to_county": "999999", "reason": "r"}
        ),
        422,
        "unknown-jurisdiction",
    )
    body = assert_problem(
        world.post(XINGHE, f"/v1/leads/{lead_id}/referrals", {"to_county": "12", "reason": ""}),
        422,
        "invalid-input",
    )
    assert {e["field"] for e in body["errors"]} == {"body.to_county", "body.reason"}


def test_a_declined_referral_leaves_the_lead_with_its_owner_and_can_be_made_again(
    world: World,
) -> None:
    lead_id = new_lead(world)
    world.post(XINGHE, f"/v1/leads/{lead_id}/referrals", {"to_county": HUAIAN, "reason": "r"})
    r = world.post(
        HUAIAN, f"/v1/leads/{lead_id}/referrals/{HUAIAN}/declination", {"reason": "not ours"}
    )
    assert r.status_code == 200
    lead = world.get(XINGHE, f"/v1/leads/{lead_id}").json()
    assert lead["responsible_county"] == XINGHE
    assert lead["referrals"][0]["status"] == "declined"
    r = world.post(
        XINGHE, f"/v1/leads/{lead_id}/referrals", {"to_county": HUAIAN, "reason": "again"}
    )
    assert r.status_code == 200
    r = world.post(XINGHE, f"/v1/leads/{lead_id}/referrals/{HUAIAN}/withdrawal", {"reason": "oops"})
    assert r.status_code == 200
    assert world.get(XINGHE, f"/v1/leads/{lead_id}").json()["referrals"][1]["status"] == "withdrawn"


def test_sharing_corroboration_and_closing_a_lead(world: World) -> None:
    lead_id = new_lead(world)
    r = world.post(
        XINGHE, f"/v1/leads/{lead_id}/shares", {"counties": [TIANZHEN, SHANGYI], "reason": "fyi"}
    )
    assert r.status_code == 200
    assert world.get(SHANGYI, f"/v1/leads/{lead_id}").status_code == 200
    assert_problem(
        world.post(XINGHE, f"/v1/leads/{lead_id}/shares", {"counties": [TIANZHEN]}),
        409,
        "already-shared",
    )
    r = world.post(
        TIANZHEN, f"/v1/leads/{lead_id}/corroborations", {"result": "seen", "note": "same van"}
    )
    assert r.status_code == 200
    assert_problem(
        world.post(XINGHE, f"/v1/leads/{lead_id}/corroborations", {"result": "seen"}),
        409,
        "corroboration-by-owner",
    )
    r = world.post(
        XINGHE, f"/v1/leads/{lead_id}/closure", {"closure": "unfounded", "reason": "nothing there"}
    )
    assert r.status_code == 200
    assert_problem(
        world.post(XINGHE, f"/v1/leads/{lead_id}/shares", {"counties": [WANQUAN]}),
        409,
        "lead-closed",
    )


def test_a_lead_closed_as_merged_points_at_the_other_lead(world: World) -> None:
    keep, dup = new_lead(world), new_lead(world)
    r = world.post(
        XINGHE,
        f"/v1/leads/{dup}/closure",
        {
            "closure": "merged",
            "reason": "same van",
            "merged_into_lead": keep,
        },
    )
    assert r.status_code == 200
    assert world.get(XINGHE, f"/v1/leads/{dup}").json()["merged_into_lead"] == keep
    assert world.get(XINGHE, f"/v1/leads/{keep}").json()["absorbed_leads"] == [dup]


def test_time_travel_over_http_by_version_and_moment(world: World) -> None:
    lead_id = new_lead(world)
    first = world.get(XINGHE, f"/v1/leads/{lead_id}").json()
    world.post(XINGHE, f"/v1/leads/{lead_id}/shares", {"counties": [TIANZHEN]})
    r = world.get(XINGHE, f"/v1/leads/{lead_id}", version=1)
    assert r.status_code == 200 and r.json()["shared_with"] == {} and r.headers["etag"] == '"1"'
    r = world.get(XINGHE, f"/v1/leads/{lead_id}", as_of=first["modified_at"])
    assert r.json()["version"] == 1
    assert world.get(XINGHE, f"/v1/leads/{lead_id}").json()["version"] == 2
    assert_problem(world.get(XINGHE, f"/v1/leads/{lead_id}", version=7), 404, "not-found")
    assert world.get(XINGHE, f"/v1/leads/{lead_id}", as_of="2026-01-01T00:00:00").status_code == 422
