"""The committee's scenario, shared by the tests of its resources: two quarters across the six
units (recorded once per package, in one database), whose bulletin figures and reward shares
are checked against values worked out by hand (in the comments)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import build_services, close_services, create_app
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
    make_world,
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


@pytest.fixture(scope="package")
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
        tokens["committee-c"] = services.officers.add(SHANGYI, "committee", "member C")[1]
        tokens["auditor"] = services.officers.add(XINGHE, "auditor", "auditor")[1]
        with TestClient(create_app(services=services)) as client:
            w = World(client, services, tokens)
            ids = record_two_quarters(w, clock)
            yield Scenario(w, clock, ids, ids.pop("end_of_q1"))  # type: ignore[arg-type]
        close_services(services)


@dataclass
class Fresh:
    """A world of its own, with a committee member and a clock: only what each test records
    there, so that a list's count is exactly what the test made."""

    w: World
    clock: Clock


@pytest.fixture(scope="package")
def fresh() -> Iterator[Fresh]:
    for w in make_world():
        clock = Clock()
        clock.at(4, 1)
        w.services.clock = clock
        w.tokens["committee"] = w.services.officers.add(XINGHE, "committee", "member")[1]
        yield Fresh(w, clock)


def assert_pages(
    w: World, who: str, path: str, key: str, expected: list[str], **params: object
) -> None:
    """The list at ``path`` read two rows at a time, as a user pages it: each page holds two
    rows (the last what is left), says where it is, counts them all (``more`` false, below the
    cap), and the pages together are ``expected`` (ids, newest first): none twice, none left
    out."""
    shown: list[str] = []
    for offset in range(0, len(expected) + 2, 2):
        r = w.get(who, path, limit=2, offset=offset, **params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert (page["total"], page["more"]) == (len(expected), False)
        assert (page["limit"], page["offset"]) == (2, offset)
        assert len(page["items"]) == min(2, max(len(expected) - offset, 0))
        shown += [str(row[key]) for row in page["items"]]
    assert shown == expected


def assert_bad_paging_refused(w: World, who: str, path: str) -> None:
    """A page out of bounds is the API's usual 422 problem, never a page."""
    for bad in ({"limit": 0}, {"limit": 201}, {"limit": 500}, {"offset": -1}, {"offset": 100_001}):
        assert_problem(w.get(who, path, **bad), 422, "invalid-input")


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
