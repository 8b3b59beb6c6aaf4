"""Accountability findings through HTTP: recorded once with evidence, decided by the committee."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tests.api.committee.conftest import (
    CST,
    Fresh,
    Scenario,
    assert_bad_paging_refused,
    assert_pages,
)
from tests.api.world import (
    HUAIAN,
    SHANGYI,
    WANQUAN,
    XINGHE,
    YANGGAO,
    assert_problem,
)


def test_findings_are_recorded_once_with_evidence_and_decided_by_the_committee(
    scenario: Scenario,
) -> None:
    w = scenario.w
    scenario.clock.at(5, 1)
    assert_problem(w.post(YANGGAO, "/v1/findings/scan"), 403, "permission-denied")
    first = w.post("committee-a", "/v1/findings/scan").json()
    second = w.post("committee-a", "/v1/findings/scan").json()
    assert second["recorded"] == []  # a breach has one finding, ever
    found = w.get("committee-a", "/v1/findings", wait_for=first["position"]).json()["items"]
    by_kind = sorted((f["kind"], f["county"]) for f in found)
    # 怀安 and 尚义 acknowledged late; 尚义 accepted after the feedback deadline (Feb 10) and gave
    # none; the Q1 bulletins of 兴和, 尚义, 怀安, 万全 were not issued by Apr 15.
    assert by_kind == sorted(
        [
            ("referral_not_acknowledged", HUAIAN),
            ("referral_not_acknowledged", SHANGYI),
            ("feedback_not_given", SHANGYI),
            ("bulletin_not_issued", XINGHE),
            ("bulletin_not_issued", SHANGYI),
            ("bulletin_not_issued", HUAIAN),
            ("bulletin_not_issued", WANQUAN),
        ]
    )
    late = next(
        f for f in found if f["kind"] == "referral_not_acknowledged" and f["county"] == HUAIAN
    )
    detail = w.get("committee-b", f"/v1/findings/{late['finding_id']}").json()
    assert detail["evidence"][0]["event_type"] == "Lead.Referred"
    assert detail["found_at_position"] == first["scanned_at_position"]
    assert datetime.fromisoformat(detail["deadline"]) == datetime(2026, 1, 23, 11, 0, tzinfo=CST)
    own = w.get(HUAIAN, "/v1/findings").json()["items"]
    assert {f["county"] for f in own} == {HUAIAN}
    assert_problem(w.get(YANGGAO, f"/v1/findings/{late['finding_id']}"), 404, "not-found")
    decided = w.post(
        "committee-b",
        f"/v1/findings/{late['finding_id']}/decision",
        {"decision": "reminder", "reason": "first time"},
    )
    assert decided.status_code == 200
    assert_problem(
        w.post(
            "committee-a",
            f"/v1/findings/{late['finding_id']}/decision",
            {"decision": "criticism", "reason": "again"},
        ),
        409,
        "finding-already-decided",
    )


def test_a_county_lists_only_its_own_findings(scenario: Scenario) -> None:
    w = scenario.w
    assert_problem(w.get(HUAIAN, "/v1/findings", county=YANGGAO), 403, "permission-denied")
    assert_problem(w.get(YANGGAO, "/v1/contributions", county=HUAIAN), 403, "permission-denied")


def test_a_late_acknowledgement_cites_the_exact_referral_and_its_late_answer(
    scenario: Scenario,
) -> None:
    """万全 referred L2 to 怀安 (declined late), then to 尚义: 怀安's finding cites its own
    referral and the declining by position, never the later referral to 尚义."""
    w, ids = scenario.w, scenario.ids
    scenario.clock.at(5, 1)
    w.post("committee-a", "/v1/findings/scan")
    log = w.get("auditor", "/v1/events", after=0, limit=1000).json()["items"]
    on_l2 = [e for e in log if e["aggregate_id"] == ids["L2"]]
    to_huaian = next(
        e for e in on_l2 if e["type"] == "Lead.Referred" and e["data"]["to_county"] == HUAIAN
    )
    declining = next(e for e in on_l2 if e["type"] == "Lead.ReferralDeclined")
    assert declining["data"]["referral_id"] == to_huaian["data"]["referral_id"]
    found = w.get("committee-a", "/v1/findings").json()["items"]
    finding = next(
        f for f in found if f["county"] == HUAIAN and f["kind"] == "referral_not_acknowledged"
    )
    cited, deadline = w.get("committee-a", f"/v1/findings/{finding['finding_id']}").json()[
        "evidence"
    ]
    assert cited["position"] == to_huaian["position"]
    assert cited["referral_id"] == to_huaian["data"]["referral_id"]
    assert deadline["late_answer"]["position"] == declining["position"]
    assert deadline["late_answer"]["event_type"] == "Lead.ReferralDeclined"
    assert deadline["deadline"] == to_huaian["data"]["acknowledge_by"].replace("Z", "+00:00")


def test_an_assistance_request_cancelled_by_closing_the_case_is_never_charged(
    scenario: Scenario,
) -> None:
    """阳高 asks 怀安 for assistance, then closes the case before 怀安 answers: the request is
    cancelled with an event, dropped from 怀安's workspace, and no scan charges 怀安 for it."""
    w, clock = scenario.w, scenario.clock
    clock.at(5, 2)
    case = w.post(YANGGAO, "/v1/cases", {"case_type": "other", "title": "closed early"}).json()
    w.post(
        YANGGAO,
        f"/v1/cases/{case['id']}/assistance-requests",
        {"to_county": HUAIAN, "request": "check the shop"},
    ).json()
    clock.at(5, 3)
    closed = w.post(
        YANGGAO, f"/v1/cases/{case['id']}/closure", {"outcome": "unfounded", "reason": "no goods"}
    )
    assert closed.status_code == 200, closed.text
    [request] = w.get(YANGGAO, f"/v1/cases/{case['id']}").json()["assistance"]
    assert request["cancelled_because"] == "the case was closed"
    history = w.get(YANGGAO, f"/v1/cases/{case['id']}/history").json()["events"]
    assert [e["type"] for e in history][-2:] == ["Case.AssistanceCancelled", "Case.Closed"]
    items = w.get(HUAIAN, "/v1/workspace", wait_for=closed.json()["position"]).json()["items"]
    assert all(item["case_id"] != case["id"] for item in items)
    clock.at(5, 30)  # long after the request's deadline
    scan = w.post("committee-a", "/v1/findings/scan").json()
    found = w.get("committee-a", "/v1/findings", wait_for=scan["position"]).json()["items"]
    assert not [
        f for f in found if f["kind"] == "assistance_not_answered" and case["id"] in f["subject"]
    ]


def test_the_findings_list_pages_latest_found_first_with_a_total(fresh: Fresh) -> None:
    """Five referrals 怀安 never acknowledged, each found by a scan of its own: 怀安 pages
    through its findings, the latest found first (those of one scan by id)."""
    w, clock = fresh.w, fresh.clock
    scans = []
    for month in range(7, 12):
        clock.at(month, 1)
        lead = w.post(
            XINGHE, "/v1/leads", {"summary": "烟", "source": "tip_off", "place_county": HUAIAN}
        ).json()["id"]
        referred = w.post(
            XINGHE, f"/v1/leads/{lead}/referrals", {"to_county": HUAIAN, "reason": "在怀安"}
        ).json()
        clock.at(month, 20)  # long after the deadline to acknowledge
        w.get(XINGHE, "/v1/workspace", wait_for=referred["position"])
        w.get("auditor", "/v1/audit/events", wait_for=referred["position"], limit=1)
        scan = w.post("committee", "/v1/findings/scan").json()
        found = [w.get("committee", f"/v1/findings/{f}").json() for f in scan["recorded"]]
        scans.append(sorted((f["id"] for f in found if f["county"] == HUAIAN), key=UUID))
        assert ("referral_not_acknowledged", HUAIAN) in {(f["kind"], f["county"]) for f in found}
    newest_first = [f for scan in reversed(scans) for f in scan]
    assert_pages(w, HUAIAN, "/v1/findings", "finding_id", newest_first, wait_for=scan["position"])
    assert_bad_paging_refused(w, HUAIAN, "/v1/findings")
