"""Free text over HTTP (`q=` of GET /v1/cases and GET /v1/leads): Chinese terms of one or two
characters, plate parts, several words, relevance first, the old sorts kept, visibility."""

from __future__ import annotations

import random
from typing import Any

import pytest

from projections import search_text
from tests.api.conftest import XINGHE, YANGGAO, Api


def _plate() -> str:
    return "蒙J" + "".join(random.choice("0123456789") for _ in range(9))


def _open(api: Api, title: str, summary: str) -> dict[str, Any]:
    r = api.post(
        "officer",
        XINGHE,
        "/v1/cases",
        {"case_type": "smuggled", "title": title, "summary": summary},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_case_search_by_chinese_terms_and_plate_parts(api: Api) -> None:
    plate = _plate()  # unique to this test: nine random digits
    in_summary = _open(api, "一般案件", f"车牌{plate} 兴和售烟点")
    in_title = _open(api, f"{plate}兴和售烟点案", "车牌")
    last = in_title["position"]

    def ids(role: str = "officer", county: str = XINGHE, **params: Any) -> list[str]:
        r = api.get(role, county, "/v1/cases", wait_for=last, **params)
        assert r.status_code == 200, r.text
        return [c["case_id"] for c in r.json()["items"]]

    both = {in_summary["id"], in_title["id"]}
    for part in (
        plate,
        plate[:4],
        plate[3:9],
        plate[-5:].lower(),
        f"{plate} 售烟",
        f"售烟 {plate}",
    ):
        assert set(ids(q=part)) == both, part
    # Relevance by default with q: the title match first; an explicit sort still sorts.
    assert ids(q=plate) == [in_title["id"], in_summary["id"]]
    assert ids(q=plate, sort="relevance") == [in_title["id"], in_summary["id"]]
    assert ids(q=plate, sort="recorded_at", order="asc") == [in_summary["id"], in_title["id"]]
    assert ids(q=f"{plate} 无此词") == []
    assert ids(county=YANGGAO, q=plate) == []  # not YANGGAO's case
    assert set(ids("auditor", YANGGAO, q=plate)) == both
    assert api.get("officer", XINGHE, "/v1/cases", q=plate, sort="rank").status_code == 422


def test_lead_register_by_chinese_terms(api: Api) -> None:
    plate = _plate()
    r = api.post(
        "officer",
        XINGHE,
        "/v1/leads",
        {
            "summary": f"兴和售烟点 {plate}",
            "source": "tip_off",
            "place_county": XINGHE,
            "place_detail": "城关镇12号",
            "informant": "王五, 138-0000-1234",
        },
    )
    assert r.status_code == 201, r.text
    lead = r.json()

    def ids(county: str = XINGHE, **params: Any) -> list[str]:
        r = api.get("officer", county, "/v1/leads", wait_for=lead["position"], **params)
        assert r.status_code == 200, r.text
        return [row["lead_id"] for row in r.json()["items"]]

    for q in (plate, f"兴和 {plate[2:]}", f"{plate} 售", f"{plate} 烟点"):
        assert ids(q=q) == [lead["id"]], q
    assert ids(county=YANGGAO, q=plate) == []
    assert ids(q=f"{plate} 王五") == []  # the informant is not searched
    assert ids(q=f"{plate} 1234") == []


def test_past_the_match_cap_the_page_says_more_and_every_match_can_be_paged_to(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    plate = _plate()
    opened = [_open(api, f"{plate}案{i}", "兴和售烟点") for i in range(4)]
    last = opened[-1]["position"]

    def page(**params: Any) -> dict[str, Any]:
        r = api.get("officer", XINGHE, "/v1/cases", wait_for=last, q=plate, **params)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    assert (page()["total"], page()["more"]) == (4, False)
    monkeypatch.setattr(search_text, "MATCH_CAP", 2)
    first = page(limit=2)
    assert (first["total"], first["more"]) == (2, True)  # "more than 2"
    # Newest first then, and paging reaches every match.
    newest = [c["id"] for c in reversed(opened)]
    assert [c["case_id"] for c in first["items"]] == newest[:2]
    assert [c["case_id"] for c in page(limit=2, offset=2)["items"]] == newest[2:]
    leads = api.get("officer", XINGHE, "/v1/leads", q=plate).json()
    assert (leads["total"], leads["more"]) == (0, False)
