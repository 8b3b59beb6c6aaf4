"""Joint operations through HTTP: results rolled up from the attached cases."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from tests.api.committee.conftest import (
    Fresh,
    Scenario,
    assert_bad_paging_refused,
    assert_pages,
)
from tests.api.world import (
    HUAIAN,
    TIANZHEN,
    WANQUAN,
    XINGHE,
    YANGGAO,
    assert_problem,
)


def test_a_joint_operation_rolls_up_its_attached_cases(scenario: Scenario) -> None:
    op = scenario.w.get(TIANZHEN, f"/v1/joint-operations/{scenario.ids['op']}").json()
    assert op["participants"] == [XINGHE, YANGGAO, TIANZHEN]
    assert op["results"]["cases"] == 1 and op["results"]["sticks"] == 10000
    assert Decimal(op["results"]["value"]) == Decimal("5000.00")
    assert_problem(
        scenario.w.get(HUAIAN, f"/v1/joint-operations/{scenario.ids['op']}"), 404, "not-found"
    )
    assert_problem(
        scenario.w.post(
            YANGGAO,
            f"/v1/joint-operations/{scenario.ids['op']}/cases",
            {"case_id": scenario.ids["C3"]},
        ),
        409,
        "case-already-attached",
    )
    assert_problem(
        scenario.w.post(
            YANGGAO,
            f"/v1/joint-operations/{scenario.ids['op']}/cases",
            {"case_id": scenario.ids["C1"]},
        ),
        409,
        "case-outside-operation",
    )


def test_an_operation_a_county_may_not_see_is_worded_as_one_that_does_not_exist(
    scenario: Scenario,
) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    hidden = scenario.w.get(HUAIAN, f"/v1/joint-operations/{scenario.ids['op']}").json()
    missing = scenario.w.get(HUAIAN, f"/v1/joint-operations/{unknown}").json()
    assert hidden["detail"] == f"no joint operation {scenario.ids['op']}"
    assert missing["detail"] == f"no joint operation {unknown}"
    # nor does a command name it (its name, whether it is concluded) to a non-participant
    for path, body in (
        ("/cases", {"case_id": scenario.ids["C3"]}),
        ("/conclusion", {"summary": "done"}),
    ):
        refused = scenario.w.post(HUAIAN, f"/v1/joint-operations/{scenario.ids['op']}{path}", body)
        assert_problem(refused, 404, "not-found")
        assert refused.json()["detail"] == f"no joint operation {scenario.ids['op']}"


def test_the_operations_list_shows_a_county_only_those_it_takes_part_in(
    scenario: Scenario,
) -> None:
    mine = scenario.w.get(YANGGAO, "/v1/joint-operations").json()["items"]
    assert [op["operation_id"] for op in mine] == [scenario.ids["op"]]
    assert scenario.w.get(HUAIAN, "/v1/joint-operations").json()["items"] == []
    everything = scenario.w.get("committee-a", "/v1/joint-operations").json()["items"]
    assert {op["operation_id"] for op in everything} == {scenario.ids["op"]}


def test_the_operations_list_pages_latest_start_first_with_a_total(fresh: Fresh) -> None:
    """Two operations starting the same day keep one order across pages (by id)."""
    w = fresh.w

    def plan(county: str, participants: list[str], day: int) -> dict:
        r = w.post(
            county,
            "/v1/joint-operations",
            {
                "name": f"行动 {day}",
                "participants": participants,
                "starts_on": f"2026-05-{day:02}",
                "ends_on": "2026-06-30",
            },
        )
        assert r.status_code == 201, r.text
        return {**r.json(), "day": day}

    planned = [plan(XINGHE, [YANGGAO], day) for day in (1, 2, 3, 3, 4)]
    last = plan(HUAIAN, [WANQUAN], 5)  # 阳高 takes no part: not listed to it
    newest_first = [op["id"] for op in sorted(planned, key=lambda op: (-op["day"], UUID(op["id"])))]
    assert_pages(
        w, YANGGAO, "/v1/joint-operations", "operation_id", newest_first, wait_for=last["position"]
    )
    assert_bad_paging_refused(w, YANGGAO, "/v1/joint-operations")
