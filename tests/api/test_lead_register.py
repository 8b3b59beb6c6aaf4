"""The lead register (GET /v1/leads): filters, free text, paging, read-your-writes, and who sees
which rows (the same rule as reading a lead by id); never an informant identity."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import HUAIAN, SHANGYI, TIANZHEN, WANQUAN, XINGHE, YANGGAO, Api


def register(api: Api, county: str, summary: str, **extra: Any) -> dict[str, Any]:
    body = {"summary": summary, "source": "tip_off", "place_county": county, **extra}
    r = api.post("officer", county, "/v1/leads", body)
    assert r.status_code == 201, r.text
    return r.json()


def listed(api: Api, role: str, as_county: str, wait_for: int, **params: Any) -> dict[str, Any]:
    r = api.get(role, as_county, "/v1/leads", wait_for=wait_for, **params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def tag() -> str:
    """A word only this test's leads carry, so the session's other leads stay out of the way."""
    return "tag" + uuid.uuid4().hex[:10]


def test_filters_select_by_owner_status_source_referral_and_received_date(
    api: Api, tag: str
) -> None:
    early = register(api, XINGHE, f"{tag} early", received_at="2026-01-05T09:00:00+08:00")
    online = register(
        api, XINGHE, f"{tag} online", source="online", received_at="2026-02-05T09:00:00+08:00"
    )
    referred = register(api, XINGHE, f"{tag} referred", received_at="2026-03-05T09:00:00+08:00")
    api.post(
        "officer",
        XINGHE,
        f"/v1/leads/{referred['id']}/referrals",
        {"to_county": YANGGAO, "reason": "r"},
    )
    declined = api.post(
        "officer",
        YANGGAO,
        f"/v1/leads/{referred['id']}/referrals/{YANGGAO}/declination",
        {"reason": "not ours"},
    ).json()
    closed = register(api, XINGHE, f"{tag} closed")
    last = api.post(
        "officer",
        XINGHE,
        f"/v1/leads/{closed['id']}/closure",
        {"closure": "unfounded", "reason": "nothing there"},
    ).json()["position"]
    assert declined["position"] < last

    def ids(**params: Any) -> set[str]:
        page = listed(api, "officer", XINGHE, last, q=tag, **params)
        return {row["lead_id"] for row in page["items"]}

    all_four = {early["id"], online["id"], referred["id"], closed["id"]}
    assert ids() == all_four
    assert ids(county=XINGHE) == all_four and ids(county=SHANGYI) == set()
    assert ids(source="online") == {online["id"]}
    assert ids(status="closed") == {closed["id"]}
    assert ids(status="open") == all_four - {closed["id"]}
    assert ids(referral="declined") == {referred["id"]}
    assert ids(referral="none") == all_four - {referred["id"]}
    assert ids(referral="pending") == set()
    assert ids(
        received_from="2026-02-01T00:00:00+08:00", received_to="2026-03-01T00:00:00+08:00"
    ) == {online["id"]}
    row = listed(api, "officer", XINGHE, last, q=f"{tag} referred")["items"][0]
    assert row["referral_state"] == "declined" and row["referred_to"] == [YANGGAO]
    assert row["received_at"] == "2026-03-05T01:00:00Z"  # shown in UTC
    assert api.get("officer", XINGHE, "/v1/leads", referral="lost").status_code == 422
    assert api.get("officer", XINGHE, "/v1/leads", received_from="2026-01-01").status_code == 422


def test_free_text_searches_summary_place_and_parties_literally(api: Api, tag: str) -> None:
    a = register(api, TIANZHEN, f"{tag} 中华 cartons", place_detail="G6 出口 depot")
    b = register(api, TIANZHEN, f"{tag} van", suspected_parties=["晋B·7K3xx"])
    last = b["position"]
    found = lambda q: {r["lead_id"] for r in listed(api, "officer", TIANZHEN, last, q=q)["items"]}  # noqa: E731
    assert found("中华") >= {a["id"]} and b["id"] not in found("中华")
    assert found("G6 出口") == {a["id"]}
    assert found("7K3") == {b["id"]}
    assert found(f"{tag}%") == set()  # % and _ are literal characters, not wildcards


def test_the_register_pages_newest_received_first_with_a_total(api: Api, tag: str) -> None:
    made = [
        register(api, HUAIAN, f"{tag} {i}", received_at=f"2026-04-0{i + 1}T08:00:00Z")
        for i in range(5)
    ]
    last = made[-1]["position"]
    first = listed(api, "officer", HUAIAN, last, q=tag, limit=2)
    second = listed(api, "officer", HUAIAN, last, q=tag, limit=2, offset=2)
    third = listed(api, "officer", HUAIAN, last, q=tag, limit=2, offset=4)
    assert first["total"] == second["total"] == 5
    shown = [r["lead_id"] for page in (first, second, third) for r in page["items"]]
    assert shown == [lead["id"] for lead in reversed(made)]
    assert api.get("officer", HUAIAN, "/v1/leads", limit=0).status_code == 422


def test_each_county_sees_only_the_leads_it_is_involved_in(api: Api, tag: str) -> None:
    own = register(api, XINGHE, f"{tag} own", informant="孙八 13500003333")
    shared = register(api, XINGHE, f"{tag} shared")
    last = api.post(
        "officer", XINGHE, f"/v1/leads/{shared['id']}/shares", {"counties": [SHANGYI]}
    ).json()["position"]

    def seen(role: str, county: str) -> set[str]:
        return {r["lead_id"] for r in listed(api, role, county, last, q=tag)["items"]}

    assert seen("officer", XINGHE) == {own["id"], shared["id"]}
    assert seen("officer", SHANGYI) == {shared["id"]}
    assert seen("officer", WANQUAN) == set()  # an outsider county sees nothing of them
    assert seen("liaison", WANQUAN) == set()
    assert seen("committee", XINGHE) == set()  # the committee reads no lead
    assert seen("auditor", WANQUAN) == {own["id"], shared["id"]}
    text = api.get("auditor", WANQUAN, "/v1/leads", q=tag, wait_for=last).text
    assert "13500003333" not in text and "孙八" not in text and "INF-" in text


def test_the_register_shows_a_lead_to_exactly_the_counties_the_lead_says(
    api: Api, tag: str
) -> None:
    """Referred, accepted, shared and corroborated: the row's readers are
    `Lead.counties_involved()` of the lead itself."""
    lead = register(api, XINGHE, f"{tag} involved")
    path = f"/v1/leads/{lead['id']}"
    api.post("officer", XINGHE, path + "/referrals", {"to_county": YANGGAO, "reason": "r"})
    api.post("officer", YANGGAO, path + f"/referrals/{YANGGAO}/acceptance")
    api.post("officer", YANGGAO, path + "/shares", {"counties": [TIANZHEN, HUAIAN]})
    last = api.post("officer", HUAIAN, path + "/corroborations", {"result": "seen"}).json()
    assert "position" in last, last
    involved = api.services.app.get_lead(uuid.UUID(lead["id"])).counties_involved()
    assert involved == {XINGHE, YANGGAO, TIANZHEN, HUAIAN}
    for county in (XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN):
        rows = listed(api, "officer", county, last["position"], q=tag)["items"]
        assert bool(rows) == (county in involved), county
    row = listed(api, "officer", XINGHE, last["position"], q=tag)["items"][0]
    assert row["responsible_county"] == YANGGAO and row["shared_with"] == [TIANZHEN, HUAIAN]


def test_wait_for_makes_a_new_lead_listed_at_once(api: Api, tag: str) -> None:
    for _ in range(3):
        made = register(api, SHANGYI, f"{tag} fresh")
        page = listed(api, "officer", SHANGYI, made["position"], q=tag)
        assert made["id"] in {r["lead_id"] for r in page["items"]}
    beyond = api.get("officer", SHANGYI, "/v1/leads", wait_for=10**12)
    assert beyond.status_code == 422 and beyond.json()["rule"] == "position-not-recorded"
