"""Concurrent writers to one case over HTTP: without If-Match nobody is told to retry because
another write landed first; with a stale If-Match the caller still gets 412."""

from __future__ import annotations

import threading

from tests.api.conftest import YANGGAO, Api

TIANZHEN = "140222"


def _case_with_co_handler(api: Api) -> str:
    case = api.post("officer", YANGGAO, "/v1/cases", {"case_type": "smuggled", "title": "并发"})
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    invited = api.post(
        "officer", YANGGAO, f"/v1/cases/{case_id}/co-handlers", {"county": TIANZHEN, "note": "协同"}
    )
    assert invited.status_code == 200, invited.text
    joined = api.post("officer", TIANZHEN, f"/v1/cases/{case_id}/co-handlers/{TIANZHEN}/acceptance")
    assert joined.status_code == 200, joined.text
    return case_id


def _seizure(brand: str) -> dict[str, object]:
    return {
        "brand": brand,
        "quantity": 1,
        "unit": "carton",
        "value": "100",
        "price_basis": "provincial",
        "seized_at": "2026-03-02T10:00:00+08:00",
    }


def test_ten_concurrent_seizures_by_two_co_handlers_are_all_recorded(api: Api) -> None:
    case_id = _case_with_co_handler(api)
    before = api.get("officer", YANGGAO, f"/v1/cases/{case_id}").json()
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def record(i: int) -> None:
        county = YANGGAO if i % 2 else TIANZHEN
        barrier.wait()
        response = api.post("officer", county, f"/v1/cases/{case_id}/seizures", _seizure(f"b{i}"))
        statuses.append(response.status_code)

    threads = [threading.Thread(target=record, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 10
    after = api.get("officer", YANGGAO, f"/v1/cases/{case_id}").json()
    assert sorted(s["brand"] for s in after["seizures"]) == sorted(f"b{i}" for i in range(10))
    assert after["version"] == before["version"] + 10


def test_a_stale_if_match_is_still_refused_with_412(api: Api) -> None:
    case_id = _case_with_co_handler(api)
    seen = api.get("officer", YANGGAO, f"/v1/cases/{case_id}").headers["ETag"]
    first = api.post("officer", TIANZHEN, f"/v1/cases/{case_id}/seizures", _seizure("first"))
    assert first.status_code == 201
    stale = api.post(
        "officer", YANGGAO, f"/v1/cases/{case_id}/seizures", _seizure("late"), **{"If-Match": seen}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    brands = [
        s["brand"] for s in api.get("officer", YANGGAO, f"/v1/cases/{case_id}").json()["seizures"]
    ]
    assert brands == ["first"]
