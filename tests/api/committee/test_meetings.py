"""Joint meetings through HTTP."""

from __future__ import annotations

from tests.api.committee.conftest import Scenario
from tests.api.world import (
    HUAIAN,
    SHANGYI,
    TIANZHEN,
    XINGHE,
    YANGGAO,
)


def test_joint_meetings_are_recorded_and_listed(scenario: Scenario) -> None:
    w = scenario.w
    scenario.clock.at(4, 2)
    r = w.post(
        TIANZHEN,
        "/v1/joint-meetings",
        {
            "held_on": "2026-04-02",
            "attendees": [XINGHE, YANGGAO, SHANGYI],
            "minutes": "Q1 bulletins exchanged",
            "decisions": ["next host 尚义"],
        },
    )
    assert r.status_code == 201
    items = w.get(SHANGYI, "/v1/joint-meetings", wait_for=r.json()["position"]).json()["items"]
    assert items[0]["host"] == TIANZHEN and items[0]["decisions"] == ["next host 尚义"]
    assert w.get(HUAIAN, "/v1/joint-meetings").json()["items"] == []
