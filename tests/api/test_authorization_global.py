"""The authorization matrix on routes that are not about one record (lists, reference data,
the event log), authentication on every route of the OpenAPI document, and what the matrix
does not show (see tests/api/authz.py for what the matrix encodes)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from api.app import create_app
from tests.api.authz import (
    FORBIDDEN,
    NEIGHBOUR,
    NOT_FOUND,
    OWN,
    REASON,
    RELATIONS,
    THIRD,
    UNRELATED,
    C,
    Expect,
    L,
    assert_answer,
    case_invited,
    case_merged_into_shared_survivor,
    fill,
    lead_referred,
    new_case,
    new_lead,
    ok,
)
from tests.api.conftest import ROLES, YANGGAO, Api

# --- routes that are not about one record -------------------------------------------------------
_codes = itertools.count(900001)


def new_unit_code(api: Api) -> str:
    """A six-digit code no unit has yet (the fuzzing may have registered units too)."""
    taken = {unit.code for unit in api.services.app.list_jurisdictions()}
    return next(code for code in map(str, _codes) if code not in taken)


def admin_adds_unit(api: Api) -> str:
    code = new_unit_code(api)
    body = {"code": code, "name": "Test County", "valid_from": "2026-01-01"}
    ok(api.post("admin", OWN, "/v1/jurisdictions", body), 201)
    return code


def writers(status: int) -> dict[str, Expect]:
    return {
        "officer": status,
        "liaison": status,
        "admin": status,
        "auditor": FORBIDDEN,
        "committee": FORBIDDEN,
    }


def only(roles: tuple[str, ...], status: int) -> dict[str, Expect]:
    return {role: status if role in roles else FORBIDDEN for role in ROLES}


@dataclass(frozen=True)
class GlobalRoute:
    name: str
    method: str
    path: str
    expect: dict[str, Expect]  # by role; the acting county does not matter
    body: Callable[[Api, str], dict[str, Any]] | None = None  # for the acting county
    setup: Callable[[Api], dict[str, str]] | None = None


GLOBAL_ROUTES = [
    GlobalRoute("event-log", "GET", "/v1/events?limit=5", only(("auditor", "admin"), 200)),
    GlobalRoute("audit-trail", "GET", "/v1/audit/events", only(("auditor", "admin"), 200)),
    # the log as a whole (how many events every county recorded) is the auditors'
    GlobalRoute("audit-head", "GET", "/v1/audit/head", only(("auditor",), 200)),
    GlobalRoute("audit-verify", "GET", "/v1/audit/verify", only(("auditor",), 200)),
    GlobalRoute("lead-register", "GET", "/v1/leads?limit=5", dict.fromkeys(ROLES, 200)),
    GlobalRoute("case-search", "GET", "/v1/cases?limit=5", dict.fromkeys(ROLES, 200)),
    GlobalRoute("jurisdictions", "GET", "/v1/jurisdictions", dict.fromkeys(ROLES, 200)),
    GlobalRoute("jurisdiction", "GET", f"/v1/jurisdictions/{YANGGAO}", dict.fromkeys(ROLES, 200)),
    GlobalRoute("liaisons", "GET", "/v1/liaisons", dict.fromkeys(ROLES, 200)),
    GlobalRoute(
        "add-jurisdiction",
        "POST",
        "/v1/jurisdictions",
        only(("admin",), 201),
        lambda api, _: {
            "code": new_unit_code(api),
            "name": "Test County",
            "valid_from": "2026-01-01",
        },
    ),
    GlobalRoute(
        "end-jurisdiction",
        "POST",
        "/v1/jurisdictions/{code}/end",
        only(("admin",), 200),
        lambda _, __: {"valid_to": "2027-12-31", "reason": "left the agreement"},
        lambda api: {"code": admin_adds_unit(api)},
    ),
    GlobalRoute(
        "designate-own-liaison",
        "POST",
        "/v1/liaisons",
        writers(201),
        lambda _, county: {"county": county, "name": "李强", "since": "2026-01-01"},
    ),
    GlobalRoute(
        "designate-other-liaison",
        "POST",
        "/v1/liaisons",
        only(("admin",), 201),
        lambda _, __: {"county": THIRD, "name": "李强", "since": "2026-01-01"},
    ),
    GlobalRoute(
        "register-lead",
        "POST",
        "/v1/leads",
        writers(201),
        lambda _, county: {"summary": "parcels", "source": "online", "place_county": county},
    ),
    GlobalRoute(
        "open-case",
        "POST",
        "/v1/cases",
        writers(201),
        lambda _, __: {"case_type": "unlicensed", "title": "shop without licence"},
    ),
    GlobalRoute("notifications", "GET", "/v1/notifications", dict.fromkeys(ROLES, 200)),
    GlobalRoute("notification-targets", "GET", "/v1/notification-targets", only(("admin",), 200)),
    GlobalRoute(
        "notification-deliveries", "GET", "/v1/notification-deliveries", only(("admin",), 200)
    ),
    GlobalRoute(
        "add-notification-target",
        "POST",
        "/v1/notification-targets",
        only(("admin",), 201),
        lambda _, county: {
            "channel": "email",
            "address": f"duty-{uuid.uuid4().hex[:8]}@{county}.example",
        },
    ),
]


@pytest.mark.parametrize("county", list(RELATIONS.values()))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", GLOBAL_ROUTES, ids=lambda r: r.name)
def test_global_routes(api: Api, route: GlobalRoute, role: str, county: str) -> None:
    ids = route.setup(api) if route.setup else {}
    path = route.path.format(**ids)
    if route.method == "POST":
        assert route.body is not None
        response = api.post(role, county, path, route.body(api, county))
    else:
        response = api.get(role, county, path)
    body = assert_answer(response, route.expect[role])
    if response.status_code >= 400:
        return
    if route.name == "add-notification-target":
        assert body["county"] == county and body["channel"] == "email"
    elif route.method == "POST":
        assert {"id", "version", "position"} <= body.keys()
    elif route.name in ("event-log", "audit-trail") and role == "admin":
        # an administrator reads only the events of records its county may read
        readers = api.services.views.audit.query(
            "SELECT position, visible_to FROM audit_events WHERE position = ANY(%s)",
            ([e["position"] for e in body["items"]],),
        )
        assert all(county in row["visible_to"] for row in readers)
        assert len(readers) == len(body["items"])
    elif route.name == "audit-head":
        assert body["position"] > 0 and len(body["link"]) == 64
    elif route.name == "audit-verify":
        assert body["ok"] is True
    elif route.name == "event-log":
        assert 0 < len(body["items"]) <= 5 and body["last_position"] >= body["next_after"] > 0
    elif route.name == "lead-register" and role == "committee":
        assert body["items"] == [] and body["total"] == 0  # the committee reads no lead
    elif route.name == "lead-register":
        assert body["total"] >= len(body["items"]) and body["limit"] == 5
    elif route.name == "jurisdictions":
        assert {u["code"] for u in body["items"]} >= {OWN, NEIGHBOUR, UNRELATED, THIRD}
    elif route.name == "liaisons":
        assert {i["county"] for i in body["items"]} >= {OWN, NEIGHBOUR, UNRELATED, THIRD}


# --- authentication, on every route of the OpenAPI document -------------------------------------
PUBLIC = {"/health", "/ready", "/v1/health", "/v1/ready"}
ALL_ROUTES = sorted(
    (method.upper(), path)
    for path, operations in create_app().openapi()["paths"].items()
    for method in operations
    if path not in PUBLIC
)
BAD_CREDENTIALS = {
    "none": {},
    "unknown-token": {"Authorization": "Bearer jc_not-a-token"},
    "basic": {"Authorization": "Basic b2ZmaWNlcjpzZWNyZXQ="},
    "empty-bearer": {"Authorization": "Bearer "},
    "overlong-token": {"Authorization": "Bearer " + "x" * 500},
}


@pytest.mark.parametrize("credentials", list(BAD_CREDENTIALS))
@pytest.mark.parametrize(("method", "path"), ALL_ROUTES, ids=[f"{m} {p}" for m, p in ALL_ROUTES])
def test_every_route_needs_a_valid_token(
    api: Api, method: str, path: str, credentials: str
) -> None:
    ids = {
        "lead_id": str(uuid.uuid4()),
        "case_id": str(uuid.uuid4()),
        "request_id": str(uuid.uuid4()),
        "county": OWN,
        "code": OWN,
        "reward_id": str(uuid.uuid4()),
        "finding_id": str(uuid.uuid4()),
        "operation_id": str(uuid.uuid4()),
        "year": "2026",
        "quarter": "1",
        "number": "140221-2026-0001",
        "sha256": "0" * 64,
        "target_id": str(uuid.uuid4()),
        "notification_id": "1",
        "officer_id": f"{OWN}-00000000",
    }
    url = path.format(**ids)
    response = api.client.request(
        method, url, headers=BAD_CREDENTIALS[credentials], json={} if method == "POST" else None
    )
    assert_answer(response, (401, "not-authenticated"))
    assert response.headers["www-authenticate"] == 'Bearer realm="jointcase"'


def test_a_revoked_token_is_refused_at_once(api: Api) -> None:
    officer, token = api.services.officers.add(OWN, "officer", "leaves today")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/v1/jurisdictions", headers=headers).status_code == 200
    api.services.officers.revoke(officer.officer_id)
    assert_answer(api.client.get("/v1/jurisdictions", headers=headers), (401, "not-authenticated"))


# --- details the matrix does not show ----------------------------------------------------------
@pytest.mark.parametrize(
    ("setup", "path"),
    [
        (lead_referred, L + "/referrals/{other}/acceptance"),
        (lead_referred, L + "/referrals/{other}/declination"),
        (case_invited, C + "/co-handlers/{other}/acceptance"),
        (case_invited, C + "/co-handlers/{other}/declination"),
    ],
    ids=["accept-referral", "decline-referral", "accept-co-handling", "decline-co-handling"],
)
def test_a_county_answers_only_what_was_addressed_to_it(
    api: Api, setup: Callable[[Api], dict[str, str]], path: str
) -> None:
    """The invited county answering in another county's name is refused before any rule."""
    ids = {**setup(api), "other": THIRD}
    response = api.post("officer", NEIGHBOUR, fill(path, ids), REASON)
    assert_answer(response, FORBIDDEN)


@pytest.mark.parametrize("kind", ["lead", "case"])
def test_an_unrelated_county_cannot_tell_a_record_exists(api: Api, kind: str) -> None:
    """The 404 for a record of another county is the 404 for a record that does not exist."""
    existing = new_lead(api) if kind == "lead" else new_case(api)
    missing = str(uuid.uuid4())
    answers = []
    for record in (existing, missing):
        response = api.get("officer", UNRELATED, f"/v1/{kind}s/{record}")
        body = assert_answer(response, NOT_FOUND)
        answers.append(
            (response.headers.keys() - {"x-correlation-id", "content-length"}, body, record)
        )
    (headers_a, body_a, id_a), (headers_b, body_b, id_b) = answers
    assert headers_a == headers_b
    for body in (body_a, body_b):
        body.pop("correlation_id")
    assert body_a == {
        k: v.replace(id_b, id_a) if isinstance(v, str) else v for k, v in body_b.items()
    }


def test_a_merged_case_is_visible_through_its_survivor_only(api: Api) -> None:
    ids = case_merged_into_shared_survivor(api)
    # the neighbour co-handles the survivor: it sees the absorbed case and their joint history
    assert ok(api.get("officer", NEIGHBOUR, f"/v1/cases/{ids['case']}"))["status"] == "merged"
    history = ok(api.get("officer", NEIGHBOUR, f"/v1/cases/{ids['survivor']}/history"))
    assert {e["aggregate_id"] for e in history["events"]} == {ids["case"], ids["survivor"]}
    # after the merge is reversed, the absorbed case is no longer reachable through the survivor
    ok(api.post("officer", OWN, f"/v1/cases/{ids['case']}/unmerge", REASON))
    assert_answer(api.get("officer", NEIGHBOUR, f"/v1/cases/{ids['case']}"), NOT_FOUND)


def test_time_travel_is_checked_like_a_plain_read(api: Api) -> None:
    lead = new_lead(api)
    for params in ({"version": 1}, {"as_of": "2030-01-01T00:00:00+08:00"}):
        assert_answer(api.get("officer", UNRELATED, f"/v1/leads/{lead}", **params), NOT_FOUND)
        assert_answer(api.get("committee", OWN, f"/v1/leads/{lead}", **params), NOT_FOUND)
        assert ok(api.get("auditor", UNRELATED, f"/v1/leads/{lead}", **params))["id"] == lead
