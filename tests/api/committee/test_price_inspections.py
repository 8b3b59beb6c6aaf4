"""Price mutual inspections through HTTP."""

from __future__ import annotations

from tests.api.committee.conftest import Fresh, assert_bad_paging_refused, assert_pages
from tests.api.world import HUAIAN, SHANGYI, TIANZHEN, WANQUAN


def test_the_inspections_list_pages_latest_first_with_a_total(fresh: Fresh) -> None:
    """尚义 reads the inspections it made and those made in its area, not its neighbours'."""
    w = fresh.w

    def inspect(by: str, county: str, day: int) -> dict:
        r = w.post(
            by,
            "/v1/price-inspections",
            {
                "inspected_county": county,
                "area": "县城",
                "brand": "中华(硬)",
                "agreed_price": "450",
                "observed_price": str(430 + day),
                "inspected_at": f"2026-03-{day:02}T10:00:00+08:00",
            },
        )
        assert r.status_code == 201, r.text
        return r.json()

    made = [inspect(SHANGYI, TIANZHEN, 1), inspect(TIANZHEN, SHANGYI, 2)]
    made += [inspect(SHANGYI, HUAIAN, day) for day in (3, 4, 5)]
    last = inspect(HUAIAN, WANQUAN, 6)
    newest_first = [i["id"] for i in reversed(made)]
    assert_pages(
        w,
        SHANGYI,
        "/v1/price-inspections",
        "inspection_id",
        newest_first,
        wait_for=last["position"],
    )
    assert_bad_paging_refused(w, SHANGYI, "/v1/price-inspections")
