"""The write protocol and authentication through HTTP: If-Match, Idempotency-Key, tokens, and
the correlation id that lands on the events."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from jointcase.storage import resolve_database
from tests.api.world import (
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


def test_a_refused_request_answers_its_correlation_id_and_a_malformed_one_is_replaced(
    world: World,
) -> None:
    given = world.client.get("/v1/workspace", headers={"X-Correlation-ID": "req-401"})
    assert_problem(given, 401, "not-authenticated")
    assert given.headers["x-correlation-id"] == "req-401" == given.json()["correlation_id"]
    replaced = world.client.get("/v1/workspace", headers={"X-Correlation-ID": "bad id"})
    assert_problem(replaced, 401, "not-authenticated")
    made = replaced.headers["x-correlation-id"]
    assert made != "bad id" and len(made) == 36 and replaced.json()["correlation_id"] == made
