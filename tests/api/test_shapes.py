"""What every response looks like: one event shape wherever events are shown (history,
timeline, the global log, the audit trail), every moment in UTC with `Z`, a case found by its
number as by its id, and an OpenAPI document that declares each route's response and problems."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from api.app import create_app
from api.schemas.events import EventPublic
from tests.api.world import WANQUAN, XINGHE, YANGGAO, World, assert_problem, make_world

EVENT_KEYS = set(EventPublic.model_fields)
SEIZURE = {
    "brand": "中华",
    "quantity": "2",
    "unit": "carton",
    "value": "900",
    "price_basis": "provincial",
    "seized_at": "2026-03-02T03:10:00+08:00",
}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield from make_world()


def times_in(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (where, text) of the JSON that looks like a moment."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from times_in(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from times_in(v, f"{path}[{i}]")
    elif isinstance(value, str) and len(value) > 16 and value[4] == "-" and value[10] == "T":
        yield path, value


def assert_all_utc(body: object) -> int:
    found = list(times_in(body))
    for where, text in found:
        assert text.endswith("Z"), f"{where} = {text}"
    return len(found)


def test_every_moment_the_api_returns_is_utc_with_z(world: World) -> None:
    lead = world.post(
        XINGHE,
        "/v1/leads",
        {
            "summary": "utc",
            "source": "online",
            "place_county": XINGHE,
            "received_at": "2026-03-01T20:30:00+08:00",
        },
    ).json()
    world.post(XINGHE, f"/v1/leads/{lead['id']}/referrals", {"to_county": YANGGAO, "reason": "r"})
    shown = world.get(XINGHE, f"/v1/leads/{lead['id']}").json()
    assert shown["received_at"] == "2026-03-01T12:30:00Z"
    assert assert_all_utc(shown) >= 5
    case = world.post(
        XINGHE,
        "/v1/cases",
        {"case_type": "smuggled", "title": "utc", "opened_at": "2026-03-02T09:00:00+08:00"},
    ).json()
    world.post(XINGHE, f"/v1/cases/{case['id']}/seizures", SEIZURE)
    body = world.get(XINGHE, f"/v1/cases/{case['id']}").json()
    assert body["opened_at"] == "2026-03-02T01:00:00Z"
    assert body["seizures"][0]["seized_at"] == "2026-03-01T19:10:00Z"
    assert assert_all_utc(body) >= 5
    history = world.get(XINGHE, f"/v1/cases/{case['id']}/history").json()
    assert assert_all_utc(history) >= 4
    seized = history["events"][-1]
    assert seized["business_time"] == "2026-03-01T19:10:00Z" and "seized_at" not in seized["data"]
    assert assert_all_utc(world.get("auditor", "/v1/events", limit=50).json()) > 0
    assert assert_all_utc(world.get(XINGHE, "/v1/cases", wait_for=case["position"]).json()) > 0


def test_history_timeline_log_and_trail_show_an_event_in_one_shape(world: World) -> None:
    case = world.post(YANGGAO, "/v1/cases", {"case_type": "counterfeit", "title": "shape"}).json()
    seizure = world.post(YANGGAO, f"/v1/cases/{case['id']}/seizures", SEIZURE).json()
    closed = world.post(
        YANGGAO, f"/v1/cases/{case['id']}/closure", {"outcome": "penalty", "reason": "fined"}
    ).json()
    # the history needs no wait_for: it reads the trail up to the log as the request arrived
    history = world.get(YANGGAO, f"/v1/cases/{case['id']}/history").json()["events"]
    positions = [e["position"] for e in history]
    assert positions[0] <= case["position"] < positions[1]  # opening also issued the number
    assert positions[1:] == [seizure["position"], closed["position"]]
    assert all(set(e) == EVENT_KEYS for e in history)
    last = history[-1]
    assert last["type"] == "Case.Closed" and last["reason"] == "fined"
    assert "reason" not in last["data"] and last["data"]["outcome"] == "penalty"
    assert last["actor"] == {
        "officer_id": last["actor"]["officer_id"],
        "county": YANGGAO,
        "role": "officer",
    }
    assert last["aggregate_type"] == "Case" and last["case_id"] == case["id"]
    timeline = world.get(YANGGAO, f"/v1/cases/{case['id']}/timeline", wait_for=closed["position"])
    assert timeline.json()["events"] == history
    log = world.get("auditor", "/v1/events", after=closed["position"] - 1, limit=1).json()
    assert log["items"] == [last]
    trail = world.get("auditor", "/v1/audit/events", case_id=case["id"]).json()["items"]
    assert trail == history
    lines = world.client.get(
        "/v1/audit/events",
        params={"format": "jsonl", "case_id": case["id"]},
        headers=world.as_("auditor"),
    ).text.splitlines()
    assert [json.loads(line) for line in lines] == history


def test_a_case_is_read_by_its_number_with_the_same_rule_as_by_id(world: World) -> None:
    case = world.post(YANGGAO, "/v1/cases", {"case_type": "other", "title": "by number"}).json()
    number = case["number"]
    by_id = world.get(YANGGAO, f"/v1/cases/{case['id']}")
    by_number = world.get(YANGGAO, f"/v1/cases/by-number/{number}")
    assert by_number.status_code == 200 and by_number.json() == by_id.json()
    assert by_number.headers["etag"] == by_id.headers["etag"]
    assert world.get("auditor", f"/v1/cases/by-number/{number}").json()["id"] == case["id"]
    hidden = assert_problem(world.get(WANQUAN, f"/v1/cases/by-number/{number}"), 404, "not-found")
    unknown_number = number[:-4] + "9999"
    unknown = assert_problem(
        world.get(WANQUAN, f"/v1/cases/by-number/{unknown_number}"), 404, "not-found"
    )
    for body in (hidden, unknown):
        body.pop("correlation_id")
    same = {
        k: v.replace(unknown_number, number) if isinstance(v, str) else v
        for k, v in unknown.items()
    }
    assert hidden == same
    assert world.get(YANGGAO, "/v1/cases/by-number/not-a-number").status_code == 422


CORE = ("/health", "/ready", "/v1/health", "/v1/ready", "/v1/leads", "/v1/cases", "/v1/events")
CORE += ("/v1/audit", "/v1/workspace", "/v1/jurisdictions", "/v1/liaisons")
#: The routers of the core API (the committee's are documented on their own).
CORE_TAGS = {"health", "leads", "cases", "views", "audit", "reference data"}
#: A broken chain answers 409 with the verification itself (naming the bad event), not a problem.
VERIFY_FINDING = ("/v1/audit/verify", "409")


def test_the_openapi_document_declares_responses_and_problems_of_every_core_route() -> None:
    paths = create_app().openapi()["paths"]
    core = {
        p: {m: op for m, op in ops.items() if set(op.get("tags", ())) & CORE_TAGS}
        for p, ops in paths.items()
        if p.startswith(CORE)
    }
    assert len(core) >= 40
    for path, operations in core.items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            ok = next(s for s in responses if s.startswith("2"))
            assert responses[ok]["content"]["application/json"]["schema"], where
            for status, answer in responses.items():
                if status.startswith(("4", "5")) and (path, status) != VERIFY_FINDING:
                    assert set(answer["content"]) == {"application/problem+json"}, where
    export = paths["/v1/audit/events"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv", "application/x-ndjson"} <= set(export)


def test_every_shape_showing_a_case_summary_has_exactly_the_domains_summary_fields() -> None:
    """A case's summary is what ``domain.case_summary.SUMMARY_FIELDS`` names: the summary a
    county reads, a row of the case search and a case attached to a joint operation all show
    those fields, declared once (``CaseSummaryFields``), with nothing else of the case's but its
    key and what each shape adds on purpose."""
    from api.schemas.cases import CaseRowPublic, CaseSummaryFields, CaseSummaryPublic
    from api.schemas.operations import AttachedCase
    from domain.case_summary import SUMMARY_FIELDS

    assert tuple(CaseSummaryFields.model_fields) == SUMMARY_FIELDS
    for shape in (CaseSummaryPublic, CaseRowPublic, AttachedCase):
        assert issubclass(shape, CaseSummaryFields), shape
