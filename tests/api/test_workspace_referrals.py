"""Referrals in the workspace and in findings: each referral has its own item (a re-referral
to the same county never replaces the earlier one), and a referral withdrawn after its
acknowledgement deadline lapsed is still charged, citing the withdrawal as what ended it (not as
the county's answer), while one withdrawn in time is not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.api.world import SHANGYI, TIANZHEN, XINGHE, YANGGAO, World, make_world, new_lead

CST = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 10, 0, tzinfo=CST)

    def __call__(self) -> datetime:
        return self.now

    def at(self, day: int, hour: int = 10) -> None:
        self.now = datetime(2026, 3, day, hour, 0, tzinfo=CST)


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[World, Clock]]:
    for w in make_world():
        clock = Clock()
        w.services.clock = clock
        w.tokens["committee"] = w.services.officers.add(TIANZHEN, "committee", "member")[1]
        yield w, clock


def post(w: World, who: str, path: str, body: dict | None = None) -> dict:
    r = w.post(who, path, body or {})
    assert r.status_code in (200, 201), r.text
    return r.json()


def refer(w: World, lead: str, county: str) -> dict:
    body = {"to_county": county, "reason": "the depot is there"}
    return post(w, XINGHE, f"/v1/leads/{lead}/referrals", body)


def referral_ids(w: World, lead: str, county: str, wait_for: int) -> list[str]:
    path = f"/v1/audit/events?lead_id={lead}&event_type=Lead.Referred&wait_for={wait_for}"
    log = w.get("auditor", path).json()
    return [e["data"]["referral_id"] for e in log["items"] if e["data"]["to_county"] == county]


def test_each_referral_keeps_its_own_item_and_a_late_withdrawal_is_still_charged(world) -> None:
    w, clock = world
    clock.at(2)
    again = new_lead(w)
    refer(w, again, YANGGAO)
    late = new_lead(w)
    refer(w, late, SHANGYI)
    in_time = new_lead(w)
    refer(w, in_time, TIANZHEN)
    clock.at(3)
    post(w, YANGGAO, f"/v1/leads/{again}/referrals/{YANGGAO}/declination", {"reason": "busy"})
    post(w, XINGHE, f"/v1/leads/{in_time}/referrals/{TIANZHEN}/withdrawal", {"reason": "oops"})
    clock.at(4)
    refer(w, again, YANGGAO)  # referred again: a new referral, with an item of its own
    clock.at(9)  # SHANGYI's acknowledgement deadline (Mar 5) lapsed four days ago
    last = post(
        w, XINGHE, f"/v1/leads/{late}/referrals/{SHANGYI}/withdrawal", {"reason": "no answer"}
    )["position"]

    first, second = referral_ids(w, again, YANGGAO, last)
    items = w.get(YANGGAO, "/v1/workspace", include_done="true", wait_for=last).json()["items"]
    acks = {i["item_id"]: i for i in items if i["kind"] == "acknowledge_referral"}
    assert {a["lead_id"] for a in acks.values()} == {again}
    assert {(a["outcome"], a["done_at"] is None) for a in acks.values()} == {
        ("declined", False),
        (None, True),
    }
    assert len(acks) == 2 and any(first in i for i in acks) and any(second in i for i in acks)

    clock.at(20)
    scan = post(w, "committee", "/v1/findings/scan")
    found = w.get("committee", "/v1/findings", wait_for=scan["position"]).json()["items"]
    charged = {f["county"]: f for f in found if f["kind"] == "referral_not_acknowledged"}
    # YANGGAO declined the first referral in time and left the second one: charged once, for it
    assert set(charged) == {YANGGAO, SHANGYI}  # TIANZHEN's referral was withdrawn in time
    cited, deadline = w.get("committee", f"/v1/findings/{charged[YANGGAO]['finding_id']}").json()[
        "evidence"
    ]
    assert cited["referral_id"] == second and deadline["late_answer"] is None
    detail = w.get("committee", f"/v1/findings/{charged[SHANGYI]['finding_id']}").json()
    cited, deadline = detail["evidence"]
    assert cited["aggregate_id"] == late and cited["event_type"] == "Lead.Referred"
    assert deadline["late_answer"] is None  # the withdrawal is not SHANGYI's answer
    assert deadline["ended_by"]["outcome"] == "withdrawn"
    assert deadline["ended_by"]["position"] == last
    assert deadline["ended_by"]["county"] == XINGHE
    assert "withdrawn afterwards" in detail["detail"]
