"""Quarterly bulletins through HTTP: the figures of the scenario's first two quarters, worked out
by hand; regeneration to the same bytes; the HTML page; issuing once."""

from __future__ import annotations

from api.bulletin_page import bulletin_html
from tests.api.committee.conftest import Scenario, bulletin
from tests.api.world import (
    HUAIAN,
    SHANGYI,
    TIANZHEN,
    WANQUAN,
    XINGHE,
    YANGGAO,
    assert_problem,
)


def test_the_q1_bulletins_hold_the_figures_worked_out_by_hand(scenario: Scenario) -> None:
    q1 = scenario.end_of_q1
    yg = bulletin(scenario, YANGGAO, 1, as_of_position=q1)
    # 阳高 received L1 (acknowledged the next day, feedback 4 days later: both in time), opened
    # C1, absorbed 天镇's C2, handled C1 with 天镇, referred C1 to police, and seized 3箱 =
    # 150,000支 worth ¥135,000 in a counterfeit case.
    assert yg["leads"] == {
        "referred": 0,
        "received": 1,
        "acknowledgement": {"in_time": 1, "late": 0, "unanswered": 0, "withdrawn": 0},
        "feedback": {"in_time": 1, "late": 0, "none_yet": 0},
    }
    assert yg["cases"] == {
        "opened": 1,
        "merged_into_other_cases": 0,
        "other_cases_merged_in": 1,
        "jointly_handled": 1,
        "referred_to_police": 1,
    }
    assert yg["seizures"]["by_case_type"] == [
        {
            "case_type": "counterfeit",
            "label": "假冒 counterfeit",
            "seizures": 1,
            "quantity": {"sticks": 150000, "cases": "3.0000"},
            "value": "135000.00",
        }
    ]
    tz = bulletin(scenario, TIANZHEN, 1, as_of_position=q1)
    # 天镇: 1箱 ¥45,000 as co-handler of the counterfeit C1, 20条 = 4,000支 ¥8,000 in its own
    # smuggling case C2, which it merged into C1.
    assert [
        (s["case_type"], s["quantity"]["sticks"], s["value"])
        for s in tz["seizures"]["by_case_type"]
    ] == [
        ("counterfeit", 50000, "45000.00"),
        ("smuggled", 4000, "8000.00"),
    ]
    assert tz["seizures"]["total"] == {
        "quantity": {"sticks": 54000, "cases": "1.0800"},
        "value": "53000.00",
    }
    assert tz["cases"]["opened"] == 1 and tz["cases"]["merged_into_other_cases"] == 1
    assert tz["cases"]["jointly_handled"] == 1
    wq = bulletin(scenario, WANQUAN, 1, as_of_position=q1)
    assert wq["leads"]["referred"] == 2 and wq["leads"]["received"] == 0
    ha = bulletin(scenario, HUAIAN, 1, as_of_position=q1)
    # 怀安 declined on Jan 25, two days after the Jan 23 deadline.
    assert ha["leads"]["acknowledgement"] == {
        "in_time": 0,
        "late": 1,
        "unanswered": 0,
        "withdrawn": 0,
    }
    sy_then = bulletin(scenario, SHANGYI, 1, as_of_position=q1)
    sy_now = bulletin(scenario, SHANGYI, 1)
    # 尚义 had not answered the Jan 26 referral by the end of Q1; it accepted on Apr 2 (late).
    assert sy_then["leads"]["acknowledgement"]["unanswered"] == 1
    assert sy_now["leads"]["acknowledgement"]["late"] == 1


def test_a_bulletin_regenerated_later_is_the_same_bytes(scenario: Scenario) -> None:
    w = scenario.w
    path = f"/v1/bulletins/{YANGGAO}/2026/1"
    issued = w.get(YANGGAO, path)  # the issued one's position by default
    again = w.get(TIANZHEN, path)
    assert issued.content == again.content
    assert issued.headers["x-bulletin-sha256"] == again.headers["x-bulletin-sha256"]
    position = issued.json()["as_of_position"]
    assert w.get(YANGGAO, path, as_of_position=position).content == issued.content
    q2 = bulletin(scenario, YANGGAO, 2)
    # Q2: C3 opened (真烟非法流通, 50条 = 10,000支, ¥5,000) and the joint operation.
    assert q2["cases"]["opened"] == 1
    assert q2["seizures"]["by_case_type"][0]["case_type"] == "illegal_circulation"
    assert q2["joint_operations"] == [
        {
            "name": "春季整治",
            "starts_on": "2026-04-01",
            "ends_on": "2026-05-31",
            "lead_county": XINGHE,
            "cases_attached": 1,
        }
    ]
    sy = bulletin(scenario, SHANGYI, 2)
    assert sy["market_notes"][0]["deviation"] == "-20.00"


def test_the_html_bulletin_is_readable_charts_seizures_and_never_shows_informants(
    scenario: Scenario,
) -> None:
    r = scenario.w.client.get(
        f"/v1/bulletins/{TIANZHEN}/2026/1",
        params={"format": "html", "as_of_position": scenario.end_of_q1},
        headers=scenario.w.as_(TIANZHEN),
    )
    assert r.headers["content-type"].startswith("text/html")
    assert "<svg" in r.text and "天镇县" in r.text and "走私 smuggled" in r.text
    assert "13800001111" not in r.text and "张某" not in r.text
    again = scenario.w.client.get(
        f"/v1/bulletins/{TIANZHEN}/2026/1",
        params={"format": "html", "as_of_position": scenario.end_of_q1},
        headers=scenario.w.as_(TIANZHEN),
    )
    assert again.content == r.content


def test_a_bulletin_is_issued_once(scenario: Scenario) -> None:
    assert_problem(
        scenario.w.post(YANGGAO, "/v1/bulletins/2026/1/issue"), 409, "bulletin-already-issued"
    )


def test_the_html_page_escapes_every_text_it_shows() -> None:
    figures = {
        "county": "140222",
        "quarter": "2026Q1",
        "period": {"from": "2026-01-01", "to": "2026-03-31"},
        "as_of_position": 7,
        "leads": {
            "referred": 0,
            "received": 0,
            "acknowledgement": {"in_time": 0, "late": 0, "unanswered": 0, "withdrawn": 0},
            "feedback": {"in_time": 0, "late": 0, "none_yet": 0},
        },
        "cases": {
            "opened": 0,
            "merged_into_other_cases": 0,
            "other_cases_merged_in": 0,
            "jointly_handled": 0,
            "referred_to_police": 0,
        },
        "seizures": {
            "by_case_type": [],
            "total": {"quantity": {"sticks": 0, "cases": "0.0000"}, "value": "0.00"},
        },
        "joint_operations": [
            {
                "name": "<script>alert(1)</script>",
                "starts_on": "2026-01-02",
                "ends_on": "2026-01-03",
                "lead_county": "150924",
                "cases_attached": 0,
            }
        ],
        "findings": {},
        "market_notes": [
            {
                "inspecting_county": "140222",
                "inspected_county": "130725",
                "area": "A & B",
                "brand": '"中华"',
                "agreed_price": "450",
                "observed_price": "430",
                "deviation": "-20",
            }
        ],
    }
    page = bulletin_html(figures, "<天镇县>").decode()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;天镇县&gt;" in page and "A &amp; B" in page and "&#34;中华&#34;" in page
    assert "No seizures this quarter" in page and "<li>none</li>" in page
    assert bulletin_html(figures, "<天镇县>").decode() == page
