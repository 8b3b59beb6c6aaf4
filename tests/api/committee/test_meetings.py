"""Joint meetings through HTTP."""

from __future__ import annotations

import pytest

from projections import search_text
from tests.api.committee.conftest import (
    Fresh,
    Scenario,
    assert_bad_paging_refused,
    assert_pages,
)
from tests.api.world import (
    HUAIAN,
    SHANGYI,
    TIANZHEN,
    WANQUAN,
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


def _meetings(fresh: Fresh, host: str, attendees: list[str], days: range) -> list[dict]:
    written = []
    for day in days:
        fresh.clock.at(4, day)
        r = fresh.w.post(
            host,
            "/v1/joint-meetings",
            {"held_on": f"2026-04-{day:02}", "attendees": attendees, "minutes": f"day {day}"},
        )
        assert r.status_code == 201, r.text
        written.append(r.json())
    return written


def test_the_meetings_list_pages_latest_first_with_a_total(fresh: Fresh) -> None:
    held = _meetings(fresh, TIANZHEN, [TIANZHEN, SHANGYI], range(1, 6))
    last = _meetings(fresh, HUAIAN, [HUAIAN, YANGGAO], range(6, 7))[-1]  # not for 尚义
    newest_first = [m["id"] for m in reversed(held)]
    assert_pages(
        fresh.w,
        SHANGYI,
        "/v1/joint-meetings",
        "meeting_id",
        newest_first,
        wait_for=last["position"],
    )
    assert_bad_paging_refused(fresh.w, SHANGYI, "/v1/joint-meetings")


def test_past_the_count_cap_the_meetings_list_says_more(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _meetings(fresh, WANQUAN, [WANQUAN, XINGHE], range(10, 14))[-1]
    monkeypatch.setattr(search_text, "COUNT_CAP", 3)
    page = fresh.w.get(WANQUAN, "/v1/joint-meetings", wait_for=last["position"]).json()
    assert (page["total"], page["more"], len(page["items"])) == (3, True, 4)
