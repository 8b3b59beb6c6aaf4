"""Dates and times are accepted only as ISO 8601 text: a number is refused (422) and records
nothing, instead of being read as a Unix time (0 was stored as 1970-01-01)."""

from __future__ import annotations

import pytest

from tests.api.conftest import YANGGAO, Api


def _log_end(api: Api) -> int:
    return api.services.app.log_position()


@pytest.mark.parametrize("value", [0, 1700000000, 1.5, True, "0", "1700000000", "03/02/2026"])
def test_a_seizure_time_that_is_not_iso_8601_is_refused_and_records_nothing(
    api: Api, value: object
) -> None:
    case = api.post("officer", YANGGAO, "/v1/cases", {"case_type": "smuggled", "title": "t"})
    before = _log_end(api)
    response = api.post(
        "officer",
        YANGGAO,
        f"/v1/cases/{case.json()['id']}/seizures",
        {
            "brand": "b",
            "quantity": 1,
            "unit": "stick",
            "value": "1",
            "price_basis": "provincial",
            "seized_at": value,
        },
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _log_end(api) == before


@pytest.mark.parametrize("value", [0, 20260302, "0", "20260302"])
def test_a_liaison_date_that_is_not_iso_8601_is_refused(api: Api, value: object) -> None:
    before = _log_end(api)
    response = api.post(
        "officer",
        YANGGAO,
        "/v1/liaisons",
        {"county": YANGGAO, "name": "王", "phone": "1", "email": "a@b.cn", "since": value},
    )
    assert response.status_code == 422, response.text
    assert _log_end(api) == before


def test_iso_8601_text_is_accepted(api: Api) -> None:
    case = api.post("officer", YANGGAO, "/v1/cases", {"case_type": "smuggled", "title": "t"})
    response = api.post(
        "officer",
        YANGGAO,
        f"/v1/cases/{case.json()['id']}/seizures",
        {
            "brand": "b",
            "quantity": 1,
            "unit": "stick",
            "value": "1",
            "price_basis": "provincial",
            "seized_at": "2026-03-02T10:00:00+08:00",
        },
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("statuss=open", "'statuss'"),  # misspelt: would otherwise list every case
        ("status=open&status=closed", "'status'"),  # twice: would otherwise keep the last
    ],
)
def test_a_filter_misspelt_or_given_twice_is_refused(api: Api, query: str, named: str) -> None:
    response = api.get("officer", YANGGAO, f"/v1/cases?{query}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert named in response.json()["detail"]
    assert api.get("officer", YANGGAO, "/v1/cases?status=open").status_code == 200
