"""The read models over HTTP with the API's own rules: workspaces, search, timelines, the audit
trail and its exports, chain verification, read-your-writes with wait_for, lag on /ready."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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
)
from tests.pg import scratch_database


@pytest.fixture(scope="module")
def live() -> Iterator[World]:
    """An API whose read models are kept up to date by an in-process runner."""
    with scratch_database("jointcase_views_http") as settings:
        settings.token_pepper = SecretStr("views-test-pepper-0123456789abcdef")
        init_database(settings)
        services = build_services(settings, run_projections=True)
        tokens = {
            c: services.officers.add(c, "officer", c)[1]
            for c in (XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN)
        }
        tokens["auditor"] = services.officers.add(XINGHE, "auditor", "auditor")[1]
        tokens["committee"] = services.officers.add(XINGHE, "committee", "committee")[1]
        with TestClient(create_app(services=services)) as client:
            yield World(client, services, tokens)
        close_services(services)


def test_a_referral_shows_in_the_receiving_workspace_until_answered(live: World) -> None:
    lead = live.post(
        XINGHE, "/v1/leads", {"summary": "假烟 van", "source": "tip_off", "place_county": SHANGYI}
    ).json()
    referred = live.post(
        XINGHE, f"/v1/leads/{lead['id']}/referrals", {"to_county": SHANGYI, "reason": "yours"}
    )
    ws = live.get(SHANGYI, "/v1/workspace", wait_for=referred.json()["position"]).json()
    item = next(i for i in ws["items"] if i["lead_id"] == lead["id"])
    assert item["kind"] == "acknowledge_referral" and item["title"] == "假烟 van"
    assert item["from_county"] == XINGHE and item["overdue"] is False
    assert datetime.fromisoformat(item["due_at"]) - datetime.fromisoformat(
        item["created_at"]
    ) == timedelta(days=3)
    accepted = live.post(SHANGYI, f"/v1/leads/{lead['id']}/referrals/{SHANGYI}/acceptance")
    ws = live.get(SHANGYI, "/v1/workspace", wait_for=accepted.json()["position"]).json()
    kinds = {i["kind"] for i in ws["items"] if i["lead_id"] == lead["id"]}
    assert kinds == {"give_feedback"}
    given = live.post(SHANGYI, f"/v1/leads/{lead['id']}/feedback", {"content": "held"})
    ws = live.get(SHANGYI, "/v1/workspace", wait_for=given.json()["position"]).json()
    assert not [i for i in ws["items"] if i["lead_id"] == lead["id"]]
    assert_problem(live.get(XINGHE, "/v1/workspace", county=SHANGYI), 403, "permission-denied")


def test_overdue_is_computed_against_the_current_time(live: World) -> None:
    case = live.post(
        YANGGAO, "/v1/cases", {"case_type": "smuggled", "title": "overdue check"}
    ).json()
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    r = live.post(
        YANGGAO,
        f"/v1/cases/{case['id']}/assistance-requests",
        {"to_county": HUAIAN, "request": "check", "due": soon},
    )
    ws = live.get(HUAIAN, "/v1/workspace", wait_for=r.json()["position"]).json()
    item = next(i for i in ws["items"] if i["case_id"] == case["id"])
    assert item["kind"] == "answer_assistance" and item["title"].endswith("overdue check")
    import time

    time.sleep(1.2)
    ws = live.get(HUAIAN, "/v1/workspace").json()
    assert next(i for i in ws["items"] if i["case_id"] == case["id"])["overdue"] is True
    assert ws["overdue"] >= 1


def test_case_search_filters_sorts_pages_and_respects_visibility(live: World) -> None:
    made = []
    for i, (county, kind) in enumerate(
        [(TIANZHEN, "counterfeit"), (TIANZHEN, "smuggled"), (WANQUAN, "counterfeit")]
    ):
        made.append(
            live.post(
                county, "/v1/cases", {"case_type": kind, "title": f"搜索 {i} 中华", "summary": "G6"}
            ).json()
        )
    last = made[-1]["position"]
    found = live.get(TIANZHEN, "/v1/cases", q="搜索", wait_for=last).json()
    assert {c["case_id"] for c in found["items"]} == {made[0]["id"], made[1]["id"]}
    assert found["total"] == 2
    assert "visible_to" not in found["items"][0]
    only = live.get(TIANZHEN, "/v1/cases", q="搜索", case_type="smuggled").json()
    assert [c["case_id"] for c in only["items"]] == [made[1]["id"]]
    everyone = live.get(
        "auditor", "/v1/cases", q="搜索", sort="number", order="asc", limit=2
    ).json()
    assert everyone["total"] == 3 and len(everyone["items"]) == 2
    numbers = [c["number"] for c in everyone["items"]]
    assert numbers == sorted(numbers)
    page2 = live.get(
        "auditor", "/v1/cases", q="搜索", sort="number", order="asc", limit=2, offset=2
    ).json()
    assert len(page2["items"]) == 1 and page2["items"][0]["number"] > numbers[-1]
    assert live.get(TIANZHEN, "/v1/cases", q="100%_").json()["total"] == 0
    assert live.get(TIANZHEN, "/v1/cases", sort="sideways").status_code == 422
    assert live.get(TIANZHEN, "/v1/cases", opened_from="2026-01-01T00:00:00").status_code == 422


def test_the_timeline_shows_merged_cases_and_the_unmerge(live: World) -> None:
    a = live.post(YANGGAO, "/v1/cases", {"case_type": "counterfeit", "title": "timeline A"}).json()
    b = live.post(YANGGAO, "/v1/cases", {"case_type": "counterfeit", "title": "timeline B"}).json()
    live.post(YANGGAO, f"/v1/cases/{b['id']}/merge", {"survivor_id": a["id"], "reason": "same net"})
    done = live.post(YANGGAO, f"/v1/cases/{b['id']}/unmerge", {"reason": "different after all"})
    events = live.get(
        YANGGAO, f"/v1/cases/{a['id']}/timeline", wait_for=done.json()["position"]
    ).json()["events"]
    types = [e["type"] for e in events]
    assert types.count("Case.Opened") == 2
    assert "Case.MergedInto" in types and "Case.MergeReversed" in types
    assert types[-1] in ("Case.AbsorbedCaseReleased", "Case.MergeReversed")
    positions = [e["position"] for e in events]
    assert positions == sorted(positions)
    reversed_ = next(e for e in events if e["type"] == "Case.MergeReversed")
    assert reversed_["reason"] == "different after all" and reversed_["actor"]["county"] == YANGGAO
    assert_problem(live.get(HUAIAN, f"/v1/cases/{a['id']}/timeline"), 404, "not-found")


def test_the_audit_trail_is_queryable_and_exports_without_informant_identities(live: World) -> None:
    lead = live.post(
        XINGHE,
        "/v1/leads",
        {
            "summary": "audit me",
            "source": "tip_off",
            "place_county": XINGHE,
            "informant": "钱七 13600002222",
        },
    ).json()
    live.post(XINGHE, f"/v1/leads/{lead['id']}/informant-disclosures", {"purpose": "callback"})
    last = live.post(XINGHE, f"/v1/leads/{lead['id']}/shares", {"counties": [YANGGAO]}).json()[
        "position"
    ]
    trail = live.get("auditor", "/v1/audit/events", lead_id=lead["id"], wait_for=last).json()[
        "items"
    ]
    assert [e["type"] for e in trail] == [
        "Lead.Registered",
        "InformantAccessLog.Started",
        "InformantAccessLog.IdentityViewed",
        "Lead.Shared",
    ]
    by_type = live.get(
        "auditor", "/v1/audit/events", event_type="Lead.Shared", county=XINGHE
    ).json()["items"]
    assert lead["id"] in {e["aggregate_id"] for e in by_type}
    jsonl = live.client.get(
        "/v1/audit/events", params={"format": "jsonl"}, headers=live.as_("auditor")
    )
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert len(rows) >= last - 200 and rows[-1]["position"] == last
    exported = live.client.get(
        "/v1/audit/events",
        params={"format": "csv", "lead_id": lead["id"]},
        headers=live.as_("auditor"),
    )
    table = list(csv.reader(io.StringIO(exported.text)))
    assert table[0][0] == "position" and len(table) == 5
    for text in (jsonl.text, exported.text):
        assert "13600002222" not in text and "钱七" not in text
    assert_problem(live.get(XINGHE, "/v1/audit/events"), 403, "permission-denied")


def test_verify_and_head_over_http(live: World) -> None:
    last = live.post(
        XINGHE, "/v1/leads", {"summary": "s", "source": "online", "place_county": XINGHE}
    ).json()["position"]
    live.get("auditor", "/v1/audit/events", wait_for=last, limit=1)
    result = live.get("auditor", "/v1/audit/verify").json()
    assert result["ok"] is True and result["head_position"] >= last
    assert result["backfilled"] == []  # every event of this log was chained when written
    [stretch] = result["chained_at_write"]
    assert stretch["last_position"] == result["head_position"]
    assert stretch["events"] == result["checked"]
    head = live.get("auditor", "/v1/audit/head", position=last).json()
    assert head["position"] == last and len(head["link"]) == 64
    assert_problem(live.get(YANGGAO, "/v1/audit/verify"), 403, "permission-denied")


def test_wait_for_a_position_beyond_the_log_is_refused_at_once(live: World) -> None:
    started = time.monotonic()
    r = live.get(XINGHE, "/v1/workspace", wait_for=10**12)
    assert_problem(r, 422, "position-not-recorded")
    assert time.monotonic() - started < 1


def test_wait_for_a_position_the_views_have_not_reached_answers_503_with_retry_after(
    live: World,
) -> None:
    from projections.base import BatchRunner

    live.services.runner.stop()
    live.services.settings.wait_timeout = 0.3
    try:
        written = live.post(
            XINGHE, "/v1/leads", {"summary": "s", "source": "online", "place_county": XINGHE}
        )
        r = live.get(XINGHE, "/v1/workspace", wait_for=written.json()["position"])
    finally:
        live.services.settings.wait_timeout = 5.0
        live.services.runner = BatchRunner(live.services.app, live.services.views.all()).start()
    assert_problem(r, 503, "view-behind")
    assert r.headers["retry-after"] == "1"
    ok = live.get(XINGHE, "/v1/workspace", wait_for=written.json()["position"])
    assert ok.status_code == 200


def test_ready_reports_each_views_lag(live: World) -> None:
    body = live.client.get("/v1/ready").json()
    assert set(body["views"]) == {
        "case_search",
        "workspace",
        "audit",
        "lead_register",
        "contributions",
        "rewards",
        "findings",
        "operations",
        "meetings",
        "price_inspections",
        "bulletin_issues",
        "seizures",
    }
    assert all(v["lag"] >= 0 for v in body["views"].values())


def test_metrics_expose_requests_commands_and_view_lag(live: World) -> None:
    live.post(
        XINGHE, "/v1/leads", {"summary": "metrics", "source": "online", "place_county": XINGHE}
    )
    live.post(XINGHE, "/v1/leads", {"summary": "", "source": "online", "place_county": XINGHE})
    settings = live.services.settings
    before, settings.metrics_token = settings.metrics_token, SecretStr("scraper-secret")
    try:
        text = live.client.get("/metrics", headers={"Authorization": "Bearer scraper-secret"}).text
    finally:
        settings.metrics_token = before
    assert 'jointcase_http_requests_total{method="POST",route="/v1/leads",status="201"}' in text
    assert 'jointcase_http_requests_total{method="POST",route="/v1/leads",status="422"}' in text
    assert 'jointcase_commands_total{command="register_lead",outcome="recorded"}' in text
    assert 'jointcase_projection_lag_events{view="audit"}' in text
    assert "jointcase_db_pool" in text


def test_metrics_are_served_only_to_the_scraper_holding_the_metrics_token(live: World) -> None:
    """/metrics shows each route's activity: without JOINTCASE_METRICS_TOKEN it does not exist
    (404); with it, only a request sending that token reads it."""
    settings = live.services.settings
    assert settings.metrics_token is None  # the default
    assert_problem(live.client.get("/metrics"), 404, "not-found")
    settings.metrics_token = SecretStr("scraper-secret")
    try:
        assert_problem(live.client.get("/metrics"), 401, "not-authenticated")
        officer = {"Authorization": f"Bearer {live.tokens[XINGHE]}"}
        assert_problem(live.client.get("/metrics", headers=officer), 401, "not-authenticated")
        scraper = {"Authorization": "Bearer scraper-secret"}
        assert live.client.get("/metrics", headers=scraper).status_code == 200
    finally:
        settings.metrics_token = None
