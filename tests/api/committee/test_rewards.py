"""The reward workflow through HTTP, with shares worked out by hand."""

from __future__ import annotations

from tests.api.committee.conftest import (
    Fresh,
    Scenario,
    assert_bad_paging_refused,
    assert_pages,
)
from tests.api.world import (
    HUAIAN,
    TIANZHEN,
    XINGHE,
    YANGGAO,
    assert_problem,
)


def test_the_reward_workflow_with_shares_worked_out_by_hand(scenario: Scenario) -> None:
    w, ids = scenario.w, scenario.ids
    # Only the referring party (兴和) claims for the cross-county case; never on the absorbed case.
    assert_problem(
        w.post(YANGGAO, "/v1/rewards", {"case_id": ids["C1"]}), 409, "claimant-not-entitled"
    )
    assert_problem(w.post(TIANZHEN, "/v1/rewards", {"case_id": ids["C2"]}), 409, "case-is-merged")
    claim = w.post(XINGHE, "/v1/rewards", {"case_id": ids["C1"], "note": "一案一奖"})
    assert claim.status_code == 201, claim.text
    reward = claim.json()["id"]
    assert_problem(
        w.post(XINGHE, "/v1/rewards", {"case_id": ids["C1"]}), 409, "reward-already-claimed"
    )
    assert_problem(w.post(XINGHE, f"/v1/rewards/{reward}/proposal"), 403, "permission-denied")
    proposal = w.post("committee-a", f"/v1/rewards/{reward}/proposal")
    assert proposal.status_code == 200, proposal.text
    body = proposal.json()["proposal"]
    # Case value ¥135,000 + ¥45,000 + ¥8,000 = ¥188,000: tier 50,000-250,000 at 4% = ¥7,520.00.
    # Lead provider 30% = ¥2,256.00 to 兴和; co-handler 20% = ¥1,504.00 to 天镇 (it co-handled
    # C1 and led the absorbed C2); handling = the rest, ¥3,760.00, to 阳高. One officer each.
    assert body["case_value"] == "188000.00" and body["total"] == "7520.00"
    assert body["policy_version"] == "2026.1"
    assert sorted((x["county"], x["share"], x["amount"]) for x in body["lines"]) == [
        (YANGGAO, "handling", "3760.00"),
        (TIANZHEN, "co_handler", "1504.00"),
        (XINGHE, "lead_provider", "2256.00"),
    ]
    assert all(x["officer_id"] for x in body["lines"])
    # Separation of duties: the proposer cannot approve.
    assert_problem(
        w.post("committee-a", f"/v1/rewards/{reward}/approval", {}), 409, "separation-of-duties"
    )
    assert_problem(
        w.post(
            "committee-b",
            f"/v1/rewards/{reward}/payment",
            {"amount": "7520.00", "paid_on": "2026-05-01", "reference": "x"},
        ),
        409,
        "reward-step-out-of-order",
    )
    approved = w.post("committee-b", f"/v1/rewards/{reward}/approval", {"reason": "checked"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert_problem(
        w.post(
            "committee-b",
            f"/v1/rewards/{reward}/payment",
            {"amount": "7000.00", "paid_on": "2026-05-01", "reference": "x"},
        ),
        422,
        "invalid-input",
    )
    paid = w.post(
        "committee-b",
        f"/v1/rewards/{reward}/payment",
        {"amount": "7520.00", "paid_on": "2026-05-01", "reference": "付款凭证 117"},
    )
    assert paid.status_code == 200 and paid.json()["payment"]["amount"] == "7520.00"
    # The decision is reproducible from the events as of its position.
    again = w.get("auditor", f"/v1/rewards/{reward}/recomputation").json()
    assert again["matches"] is True and again["same_policy_file"] is True


def test_an_adjustment_needs_a_written_reason_and_another_member(scenario: Scenario) -> None:
    """An adjustment is a new version of the proposal (no longer an approval in the same step):
    a member who neither proposed nor adjusted it approves it, within the policy's caps."""
    w, ids = scenario.w, scenario.ids
    reward = w.post(YANGGAO, "/v1/rewards", {"case_id": ids["C3"]}).json()["id"]
    w.post("committee-b", f"/v1/rewards/{reward}/proposal")
    lines = [{"county": YANGGAO, "officer_id": None, "share": "handling", "amount": "300.00"}]
    assert (
        w.post(
            "committee-a", f"/v1/rewards/{reward}/adjustment", {"lines": lines, "reason": ""}
        ).status_code
        == 422
    )
    assert_problem(
        w.post("committee-b", f"/v1/rewards/{reward}/adjustment", {"lines": lines, "reason": "r"}),
        409,
        "separation-of-duties",
    )
    beyond = [{**lines[0], "amount": "100000.01"}]
    assert_problem(
        w.post("committee-a", f"/v1/rewards/{reward}/adjustment", {"lines": beyond, "reason": "r"}),
        409,
        "adjustment-beyond-policy-caps",
    )
    r = w.post(
        "committee-a",
        f"/v1/rewards/{reward}/adjustment",
        {"lines": lines, "reason": "agreed at the meeting"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "proposed" and body["decision"] is None
    assert body["proposal"]["version"] == 2 and body["proposal"]["total"] == "300.00"
    assert body["proposal"]["adjustment"]["reason"] == "agreed at the meeting"
    for member in ("committee-a", "committee-b"):  # adjusted it; proposed it
        assert_problem(
            w.post(member, f"/v1/rewards/{reward}/approval", {"reason": "ok"}),
            409,
            "separation-of-duties",
        )
    again = w.get("auditor", f"/v1/rewards/{reward}/recomputation").json()
    assert again["matches"] is True  # the computed figures, before the adjustment
    assert again["recorded"]["total"] != "300.00"
    approved = w.post("committee-c", f"/v1/rewards/{reward}/approval", {"reason": "ok"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"] == {
        "kind": "adjusted",
        "total": "300.00",
        "lines": [{"county": YANGGAO, "officer_id": None, "share": "handling", "amount": "300.00"}],
        "reason": "agreed at the meeting",
    }


def test_a_reward_is_hidden_like_an_unknown_one_from_a_county_that_cannot_see_its_case(
    scenario: Scenario,
) -> None:
    w, ids = scenario.w, scenario.ids
    w.post(YANGGAO, "/v1/rewards", {"case_id": ids["C3"]})  # claimed already, or now
    reward = next(
        r["reward_id"]
        for r in w.get("committee-a", "/v1/rewards").json()["items"]
        if r["case_id"] == ids["C3"]
    )
    shown = w.get(YANGGAO, f"/v1/rewards/{reward}")
    assert shown.status_code == 200 and shown.headers["etag"] == f'"{shown.json()["version"]}"'
    hidden = w.get(HUAIAN, f"/v1/rewards/{reward}")
    assert_problem(hidden, 404, "not-found")
    assert hidden.json()["detail"] == f"no reward {reward}"  # never the case's id


def test_only_the_committee_and_auditors_list_rewards_and_recompute_them(
    scenario: Scenario,
) -> None:
    w = scenario.w
    assert_problem(w.get(YANGGAO, "/v1/rewards"), 403, "permission-denied")
    listed = w.get("auditor", "/v1/rewards").json()["items"]
    assert listed and all(
        r["status"] in ("claimed", "proposed", "approved", "paid") for r in listed
    )
    reward = listed[0]["reward_id"]
    assert_problem(w.get(YANGGAO, f"/v1/rewards/{reward}/recomputation"), 403, "permission-denied")


def test_the_policy_in_force_is_published(scenario: Scenario) -> None:
    policy = scenario.w.get(YANGGAO, "/v1/policies/current").json()
    assert policy["version"] == "2026.1" and policy["shares"]["lead_provider"] == "0.3"
    assert len(policy["digest"]) == 64


def test_the_rewards_list_pages_latest_changed_first_with_a_total(fresh: Fresh) -> None:
    w = fresh.w
    claims = []
    for day in range(1, 6):
        fresh.clock.at(6, day)
        case = w.post(YANGGAO, "/v1/cases", {"case_type": "counterfeit", "title": f"案 {day}"})
        assert case.status_code == 201, case.text
        claim = w.post(YANGGAO, "/v1/rewards", {"case_id": case.json()["id"], "note": "一案一奖"})
        assert claim.status_code == 201, claim.text
        claims.append(claim.json())
    last = claims[-1]["position"]
    newest_first = [c["id"] for c in reversed(claims)]
    assert_pages(w, "committee", "/v1/rewards", "reward_id", newest_first, wait_for=last)
    assert_pages(w, "auditor", "/v1/rewards", "reward_id", newest_first, status="claimed")
    assert_pages(w, "auditor", "/v1/rewards", "reward_id", [], status="paid")
    assert_bad_paging_refused(w, "committee", "/v1/rewards")
