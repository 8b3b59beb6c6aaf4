"""Reference data and the event log through HTTP: units and liaisons, the global log by
position, auditors who read everything and write nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.world import (
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
