"""The reward committee and the joint meeting through HTTP, with one scenario over two quarters
across the six units whose bulletin figures and reward shares are checked against values
worked out by hand (in the comments)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import build_services, close_services, create_app
from domain.rewards import PolicyError, RewardPolicy
from jointcase.storage import init_database
from tests.api.world import (
    HUAIAN,
    SHANGYI,
    TIANZHEN,
    WANQUAN,
    XINGHE,
    YANGGAO,
    World,
    assert_problem,
)
from tests.pg import scratch_database

CST = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=CST)

    def __call__(self) -> datetime:
        return self.now

    def at(self, month: int, day: int, hour: int = 10) -> None:
        self.now = datetime(2026, month, day, hour, 0, tzinfo=CST)


@dataclass
class Scenario:
    w: World
    clock: Clock
    ids: dict[str, str]
    end_of_q1: int  # the log position after the last event of the first quarter


def run(w: World, clock: Clock, who: str, path: str, body: dict | None = None, when=None):
    if when is not None:
        clock.at(*when)
    r = w.post(who, path, body or {})
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.fixture(scope="module")
def scenario() -> Iterator[Scenario]:
    with scratch_database("jointcase_committee") as settings:
        settings.token_pepper = SecretStr("committee-test-pepper-0123456789abcdef")
        init_database(settings)
        services = build_services(settings, run_projections=True)
        clock = Clock()
        services.clock = clock
        tokens = {
            c: services.officers.add(c, "officer", c)[1]
            for c in (XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN)
        }
        tokens["committee-a"] = services.officers.add(XINGHE, "committee", "member A")[1]
        tokens["committee-b"] = services.officers.add(TIANZHEN, "committee", "member B")[1]
        tokens["auditor"] = services.officers.add(XINGHE, "auditor", "auditor")[1]
        with TestClient(create_app(services=services)) as client:
            w = World(client, services, tokens)
            ids = record_two_quarters(w, clock)
            yield Scenario(w, clock, ids, ids.pop("end_of_q1"))  # type: ignore[arg-type]
        close_services(services)


def record_two_quarters(w: World, clock: Clock) -> dict:
    ids: dict = {}
    seizure = {
        "brand": "中华(硬)",
        "price_basis": "provincial",
        "seized_at": "2026-01-15T03:00:00+08:00",
    }
    # --- Q1 ---------------------------------------------------------------------------------
    ids["L1"] = run(
        w,
        clock,
        XINGHE,
        "/v1/leads",
        {
            "summary": "van of fake 中华",
            "source": "tip_off",
            "place_county": YANGGAO,
            "informant": "张某 13800001111",
        },
        when=(1, 5),
    )["id"]
    run(
        w,
        clock,
        XINGHE,
        f"/v1/leads/{ids['L1']}/referrals",
        {"to_county": YANGGAO, "reason": "route"},
        when=(1, 5, 11),
    )
    run(w, clock, YANGGAO, f"/v1/leads/{ids['L1']}/referrals/{YANGGAO}/acceptance", when=(1, 6))
    run(w, clock, YANGGAO, f"/v1/leads/{ids['L1']}/feedback", {"content": "watching"}, when=(1, 10))
    ids["C1"] = run(
        w,
        clock,
        YANGGAO,
        f"/v1/leads/{ids['L1']}/conversion",
        {"case_type": "counterfeit", "title": "G6 network"},
        when=(1, 11),
    )["id"]
    run(
        w,
        clock,
        YANGGAO,
        f"/v1/cases/{ids['C1']}/co-handlers",
        {"county": TIANZHEN},
        when=(1, 11, 12),
    )
    run(
        w, clock, TIANZHEN, f"/v1/cases/{ids['C1']}/co-handlers/{TIANZHEN}/acceptance", when=(1, 12)
    )
    run(
        w,
        clock,
        YANGGAO,
        f"/v1/cases/{ids['C1']}/seizures",
        {**seizure, "quantity": "3", "unit": "case", "value": "135000"},
        when=(1, 15),
    )
    run(
        w,
        clock,
        TIANZHEN,
        f"/v1/cases/{ids['C1']}/seizures",
        {**seizure, "quantity": "1", "unit": "case", "value": "45000"},
        when=(1, 16),
    )
    ids["L2"] = run(
        w,
        clock,
        WANQUAN,
        "/v1/leads",
        {"summary": "parcels", "source": "parcel_screening", "place_county": SHANGYI},
        when=(1, 20),
    )["id"]
    run(
        w,
        clock,
        WANQUAN,
        f"/v1/leads/{ids['L2']}/referrals",
        {"to_county": HUAIAN, "reason": "address"},
        when=(1, 20, 11),
    )
    run(
        w,
        clock,
        HUAIAN,
        f"/v1/leads/{ids['L2']}/referrals/{HUAIAN}/declination",
        {"reason": "not ours"},
        when=(1, 25),
    )
    run(
        w,
        clock,
        WANQUAN,
        f"/v1/leads/{ids['L2']}/referrals",
        {"to_county": SHANGYI, "reason": "consignee"},
        when=(1, 26),
    )
    ids["C2"] = run(
        w, clock, TIANZHEN, "/v1/cases", {"case_type": "smuggled", "title": "retail"}, when=(2, 2)
    )["id"]
    run(
        w,
        clock,
        TIANZHEN,
        f"/v1/cases/{ids['C2']}/seizures",
        {**seizure, "quantity": "20", "unit": "carton", "value": "8000"},
        when=(2, 3),
    )
    run(
        w,
        clock,
        TIANZHEN,
        f"/v1/cases/{ids['C2']}/merge",
        {"survivor_id": ids["C1"], "reason": "same net"},
        when=(2, 10),
    )
    run(
        w,
        clock,
        YANGGAO,
        f"/v1/cases/{ids['C2']}/merge",
        {"survivor_id": ids["C1"], "reason": "same net"},
        when=(2, 11),
    )
    run(
        w,
        clock,
        YANGGAO,
        f"/v1/cases/{ids['C1']}/police-referral",
        {
            "police_unit": "阳高分局",
            "referred_on": "2026-03-01T10:00:00+08:00",
            "reason": "情节严重",
        },
        when=(3, 1),
    )
    rid = run(
        w,
        clock,
        YANGGAO,
        f"/v1/cases/{ids['C1']}/assistance-requests",
        {"to_county": SHANGYI, "request": "check depot"},
        when=(3, 2),
    )["request_id"]
    last = run(
        w,
        clock,
        SHANGYI,
        f"/v1/cases/{ids['C1']}/assistance-requests/{rid}/answer",
        {"answer": "held 2 parcels"},
        when=(3, 5),
    )
    ids["end_of_q1"] = last["position"]
    # --- Q2 ---------------------------------------------------------------------------------
    ids["op"] = run(
        w,
        clock,
        XINGHE,
        "/v1/joint-operations",
        {
            "name": "春季整治",
            "participants": [YANGGAO, TIANZHEN],
            "starts_on": "2026-04-01",
            "ends_on": "2026-05-31",
            "target_area": "G6",
        },
        when=(4, 1),
    )["id"]
    run(w, clock, SHANGYI, f"/v1/leads/{ids['L2']}/referrals/{SHANGYI}/acceptance", when=(4, 2))
    run(w, clock, YANGGAO, "/v1/bulletins/2026/1/issue", when=(4, 5))
    run(w, clock, TIANZHEN, "/v1/bulletins/2026/1/issue", when=(4, 6))
    ids["C3"] = run(
        w,
        clock,
        YANGGAO,
        "/v1/cases",
        {"case_type": "illegal_circulation", "title": "真烟"},
        when=(4, 10),
    )["id"]
    run(
        w,
        clock,
        YANGGAO,
        f"/v1/cases/{ids['C3']}/seizures",
        {**seizure, "quantity": "50", "unit": "carton", "value": "5000"},
        when=(4, 11),
    )
    run(
        w,
        clock,
        YANGGAO,
        f"/v1/joint-operations/{ids['op']}/cases",
        {"case_id": ids["C3"]},
        when=(4, 12),
    )
    last = run(
        w,
        clock,
        TIANZHEN,
        "/v1/price-inspections",
        {
            "inspected_county": SHANGYI,
            "area": "尚义",
            "brand": "中华(硬)",
            "agreed_price": "450",
            "observed_price": "430",
            "inspected_at": "2026-04-15T10:00:00+08:00",
        },
        when=(4, 15),
    )
    w.get(XINGHE, "/v1/workspace", wait_for=last["position"])
    w.get("auditor", "/v1/audit/events", wait_for=last["position"], limit=1)
    w.get(XINGHE, "/v1/contributions", wait_for=last["position"])
    return ids


def bulletin(s: Scenario, county: str, quarter: int, **params) -> dict:
    r = s.w.get(county, f"/v1/bulletins/{county}/2026/{quarter}", **params)
    assert r.status_code == 200, r.text
    return r.json()


# --- bulletins ------------------------------------------------------------------------------------
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


# --- contributions and rewards ----------------------------------------------------------------------
def test_the_survivors_ledger_keeps_the_absorbed_cases_contributions_and_counties(
    scenario: Scenario,
) -> None:
    ledger = scenario.w.get("committee-a", f"/v1/cases/{scenario.ids['C1']}/contributions").json()
    kinds = sorted((c["kind"], c["county"]) for c in ledger["items"])
    assert kinds == sorted(
        [
            ("lead_registered", XINGHE),
            ("lead_referred", XINGHE),
            ("case_led", YANGGAO),
            ("case_led", TIANZHEN),
            ("case_co_handled", TIANZHEN),
            ("seizure_made", YANGGAO),
            ("seizure_made", TIANZHEN),
            ("seizure_made", TIANZHEN),
            ("assistance_answered", SHANGYI),
        ]
    )
    assert Decimal(ledger["value"]) == Decimal("188000.00")
    own = scenario.w.get(TIANZHEN, f"/v1/cases/{scenario.ids['C1']}/contributions").json()
    assert {c["county"] for c in own["items"]} == {TIANZHEN}


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
    r = w.post(
        "committee-a",
        f"/v1/rewards/{reward}/adjustment",
        {"lines": lines, "reason": "agreed at the meeting"},
    )
    assert r.status_code == 200
    assert r.json()["decision"] == {
        "kind": "adjusted",
        "total": "300.00",
        "lines": [{"county": YANGGAO, "officer_id": None, "share": "handling", "amount": "300.00"}],
        "reason": "agreed at the meeting",
    }


# --- accountability --------------------------------------------------------------------------------
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


# --- joint work -------------------------------------------------------------------------------------
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


def test_a_policy_file_is_validated_with_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text(
        'agreement = "x"\nversion = "1"\n[shares]\nlead_provider = 0.5\nhandling = 0.5\n'
        "co_handlers = 0.2\n[caps]\nindividual = 1\ncase = 1\n[[tiers]]\nmin_value = 0\nrate = 0.1\n"
    )
    with pytest.raises(PolicyError, match="shares must add up to 1"):
        RewardPolicy.load(bad)
    bad.write_text("not toml = = =")
    with pytest.raises(PolicyError, match="not valid TOML"):
        RewardPolicy.load(bad)
    bad.write_text(
        'agreement = "x"\nversion = "1"\n[shares]\nlead_provider = 0.3\nhandling = 0.5\n'
        "co_handlers = 0.2\n[caps]\nindividual = 1\ncase = 1\n[[tiers]]\nmin_value = 10\nrate = 0.1\n"
    )
    with pytest.raises(PolicyError, match="first tier must start"):
        RewardPolicy.load(bad)
    with pytest.raises(PolicyError, match="cannot read"):
        RewardPolicy.load(tmp_path / "missing.toml")
    assert timedelta(0) == timedelta(0)
