"""Every route through HTTP on real PostgreSQL: the happy path and its refusals, with the
problem documents, ETags, If-Match, Idempotency-Key and log positions a client relies on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import build_services, close_services, create_app
from api.deps import Services
from jointcase.storage import init_database, resolve_database
from tests.pg import scratch_database

XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN = (
    "150924",
    "140221",
    "140222",
    "130725",
    "130728",
    "130708",
)


@dataclass
class World:
    client: TestClient
    services: Services
    tokens: dict[str, str]

    def as_(self, who: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **headers}

    def post(self, who: str, path: str, body: dict | None = None, **headers: str):
        return self.client.post(path, json=body or {}, headers=self.as_(who, **headers))

    def get(self, who: str, path: str, **params):
        return self.client.get(path, params=params, headers=self.as_(who))


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with scratch_database("jointcase_routes") as settings:
        settings.token_pepper = SecretStr("routes-test-pepper-0123456789abcdef")
        init_database(settings)
        services = build_services(settings, run_projections=True)  # histories read the audit view
        tokens = {}
        for county in (XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN):
            tokens[county] = services.officers.add(county, "officer", f"officer {county}")[1]
        tokens["auditor"] = services.officers.add(XINGHE, "auditor", "auditor")[1]
        tokens["admin"] = services.officers.add(XINGHE, "admin", "admin")[1]
        tokens["liaison"] = services.officers.add(XINGHE, "liaison", "liaison")[1]
        with TestClient(create_app(services=services)) as client:
            yield World(client, services, tokens)
        close_services(services)
        resolve_database(settings)


def new_lead(w: World, county: str = XINGHE, **extra) -> str:
    body = {"summary": "van with fake cartons", "source": "tip_off", "place_county": YANGGAO}
    body.update(extra)
    r = w.post(county, "/v1/leads", body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def new_case(w: World, county: str = YANGGAO, **extra) -> dict:
    body = {"case_type": "counterfeit", "title": "network"}
    body.update(extra)
    r = w.post(county, "/v1/cases", body)
    assert r.status_code == 201, r.text
    return r.json()


def assert_problem(r, status: int, rule: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["rule"] == rule
    assert body["detail"] and body["type"].endswith(rule)
    return body


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


# --- write protocol ---------------------------------------------------------------------------
def test_if_match_with_a_stale_version_is_412_and_records_nothing(world: World) -> None:
    lead_id = new_lead(world)
    ok = world.post(
        XINGHE, f"/v1/leads/{lead_id}/shares", {"counties": [TIANZHEN]}, **{"If-Match": '"1"'}
    )
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    stale = world.post(
        XINGHE, f"/v1/leads/{lead_id}/shares", {"counties": [SHANGYI]}, **{"If-Match": '"1"'}
    )
    assert_problem(stale, 412, "precondition-failed")
    assert_problem(
        world.post(
            XINGHE, f"/v1/leads/{lead_id}/shares", {"counties": [SHANGYI]}, **{"If-Match": "banana"}
        ),
        412,
        "precondition-failed",
    )
    assert world.get(XINGHE, f"/v1/leads/{lead_id}").json()["shared_with"].keys() == {TIANZHEN}


def test_a_retry_with_the_same_idempotency_key_returns_the_first_response_and_records_nothing(
    world: World,
) -> None:
    key = {"Idempotency-Key": "register-2026-03-02-0001"}
    body = {"summary": "retry me", "source": "online", "place_county": XINGHE}
    first = world.post(XINGHE, "/v1/leads", body, **key)
    last_position = world.get("auditor", "/v1/events", limit=1).json()["last_position"]
    again = world.post(XINGHE, "/v1/leads", body, **key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert world.get("auditor", "/v1/events", limit=1).json()["last_position"] == last_position
    different = world.post(XINGHE, "/v1/leads", {**body, "summary": "other"}, **key)
    assert_problem(different, 422, "idempotency-key-reused")


def test_a_refused_write_under_an_idempotency_key_can_be_corrected_and_retried(
    world: World,
) -> None:
    lead_id = new_lead(world)
    key = {"Idempotency-Key": f"refer-{lead_id}"}
    path = f"/v1/leads/{lead_id}/referrals"
    assert_problem(
        world.post(XINGHE, path, {"to_county": XINGHE, "reason": "r"}, **key),
        409,
        "referral-to-own-county",
    )
    corrected = world.post(XINGHE, path, {"to_county": YANGGAO, "reason": "r"}, **key)
    assert corrected.status_code == 200
    replay = world.post(XINGHE, path, {"to_county": YANGGAO, "reason": "r"}, **key)
    assert replay.json() == corrected.json()
    assert len(world.get(XINGHE, f"/v1/leads/{lead_id}").json()["referrals"]) == 1


def test_every_route_but_health_needs_a_valid_token(world: World) -> None:
    assert world.client.get("/v1/health").status_code == 200
    assert world.client.get("/v1/ready").json()["status"] == "ready"
    r = world.client.get("/v1/jurisdictions")
    assert_problem(r, 401, "not-authenticated")
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = world.client.get("/v1/jurisdictions", headers={"Authorization": "Bearer jc_not-a-token"})
    assert_problem(r, 401, "not-authenticated")


def test_a_revoked_token_stops_working_at_once(world: World) -> None:
    officer, token = world.services.officers.add(WANQUAN, "officer", "short-lived")
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/v1/jurisdictions", headers=headers).status_code == 200
    world.services.officers.revoke(officer.officer_id)
    assert world.client.get("/v1/jurisdictions", headers=headers).status_code == 401


def test_tokens_are_stored_only_as_hashes(world: World) -> None:
    db = resolve_database(world.services.settings)
    with psycopg.connect(db.conninfo()) as conn:
        rows = conn.execute("SELECT token_hash::text FROM jointcase_officers").fetchall()
    dump = " ".join(r[0] for r in rows)
    for token in world.tokens.values():
        assert token not in dump and token.encode().hex() not in dump


def test_the_correlation_id_of_a_request_lands_on_its_events(world: World) -> None:
    r = world.post(
        XINGHE,
        "/v1/leads",
        {"summary": "s", "source": "online", "place_county": XINGHE},
        **{"X-Correlation-ID": "req-7f3a"},
    )
    assert r.headers["x-correlation-id"] == "req-7f3a"
    events = world.get("auditor", "/v1/events", after=r.json()["position"] - 1, limit=1).json()[
        "items"
    ]
    assert events[0]["correlation_id"] == "req-7f3a" and events[0]["actor"]["county"] == XINGHE


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
    r = world.post(
        TIANZHEN,
        f"/v1/cases/{absorbed['id']}/merge",
        {"survivor_id": survivor["id"], "reason": "same net"},
    )
    assert (
        r.status_code == 200 and r.json()["merged"] is False and r.json()["awaiting"] == [YANGGAO]
    )
    assert world.get(YANGGAO, f"/v1/cases/{absorbed['id']}").json()["pending_merges"]
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


# --- reference data and the log ---------------------------------------------------------------
def test_units_are_data_an_admin_can_add_and_liaisons_keep_their_history(world: World) -> None:
    units = world.get(XINGHE, "/v1/jurisdictions").json()["items"]
    assert len(units) >= 6
    new_unit = {
        "code": "150981",
        "name": "Fengzhen City",
        "name_zh": "丰镇市",
        "valid_from": "2026-01-01",
    }
    assert_problem(world.post(XINGHE, "/v1/jurisdictions", new_unit), 403, "permission-denied")
    assert world.post("admin", "/v1/jurisdictions", new_unit).status_code == 201
    assert_problem(world.post("admin", "/v1/jurisdictions", new_unit), 409, "jurisdiction-exists")
    assert world.post(XINGHE, "/v1/leads/", {}).status_code in (404, 405, 422)
    lead_id = new_lead(world)
    assert (
        world.post(
            XINGHE, f"/v1/leads/{lead_id}/referrals", {"to_county": "150981", "reason": "r"}
        ).status_code
        == 200
    )
    for name in ("王伟", "王芳"):
        r = world.post(
            XINGHE,
            "/v1/liaisons",
            {"county": XINGHE, "name": name, "since": f"2026-0{2 if name == '王伟' else 5}-01"},
        )
        assert r.status_code == 201, r.text
    assert_problem(
        world.post(XINGHE, "/v1/liaisons", {"county": YANGGAO, "name": "x", "since": "2026-01-01"}),
        403,
        "permission-denied",
    )
    entry = next(
        i for i in world.get(YANGGAO, "/v1/liaisons").json()["items"] if i["county"] == XINGHE
    )
    assert entry["current"]["name"] == "王芳"
    assert [h["name"] for h in entry["history"]] == ["王伟", "王芳"]
    assert entry["history"][0]["until"] == "2026-05-01"


def test_the_event_log_pages_by_position(world: World) -> None:
    first = world.get("auditor", "/v1/events", after=0, limit=5).json()
    assert len(first["items"]) == 5
    positions = [e["position"] for e in first["items"]]
    assert positions == sorted(positions)
    second = world.get("auditor", "/v1/events", after=first["next_after"], limit=5).json()
    assert second["items"][0]["position"] > positions[-1]
    assert_problem(world.get(XINGHE, "/v1/events"), 403, "permission-denied")
    assert world.get("auditor", "/v1/events", limit=5000).status_code == 422


def test_auditors_read_everything_and_write_nothing(world: World) -> None:
    lead_id = new_lead(world)
    assert world.get("auditor", f"/v1/leads/{lead_id}").status_code == 200
    assert_problem(
        world.post("auditor", f"/v1/leads/{lead_id}/shares", {"counties": [YANGGAO]}),
        403,
        "permission-denied",
    )
    assert_problem(world.get(WANQUAN, f"/v1/leads/{lead_id}"), 404, "not-found")
