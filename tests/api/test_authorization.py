"""The authorization matrix: every role x the acting county's relation to the record x every
route, asserting the status and, for refusals, the problem document naming the rule.

What the matrix encodes (api/deps.py, api/access.py, the domain rules):
- no or a bad token: 401 with a Bearer challenge, on every route;
- auditors and the reward committee never record: 403 `permission-denied` on every write;
- a county unrelated to a lead or case gets 404 `not-found` on every route of it, worded exactly
  as for a record that does not exist;
- the committee reads cases (200) but not leads (404); auditors read everything;
- the event log is for auditors and administrators only (403 for the others);
- a county that can see the record but may not do this gets 409 naming the rule (or 403 where
  the domain says permission-denied), and the refused write records nothing.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from api.app import create_app
from tests.api.conftest import ROLES, TIANZHEN, WANQUAN, XINGHE, YANGGAO, Api

OWN, NEIGHBOUR, UNRELATED, THIRD = XINGHE, YANGGAO, WANQUAN, TIANZHEN
RELATIONS = {"own": OWN, "neighbour": NEIGHBOUR, "unrelated": UNRELATED}
NOT_FOUND = (404, "not-found")
FORBIDDEN = (403, "permission-denied")
Expect = int | tuple[int, str]


# --- building records (as officers of the owning and neighbouring counties) -----------------------
def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def new_lead(api: Api, county: str = OWN, **extra: Any) -> str:
    body = {"summary": "cartons unloaded at night", "source": "tip_off", "place_county": NEIGHBOUR}
    return ok(api.post("officer", county, "/v1/leads", {**body, **extra}), 201)["id"]


def new_case(api: Api, county: str = OWN) -> str:
    body = {"case_type": "counterfeit", "title": "G6 network"}
    return ok(api.post("officer", county, "/v1/cases", body), 201)["id"]


def lead_shared(api: Api, **extra: Any) -> dict[str, str]:
    lead = new_lead(api, **extra)
    ok(api.post("officer", OWN, f"/v1/leads/{lead}/shares", {"counties": [NEIGHBOUR]}))
    return {"lead": lead}


def lead_shared_with_informant(api: Api) -> dict[str, str]:
    return lead_shared(api, informant="王某 13900001111")


def lead_referred(api: Api) -> dict[str, str]:
    lead = new_lead(api)
    body = {"to_county": NEIGHBOUR, "reason": "the depot is there"}
    ok(api.post("officer", OWN, f"/v1/leads/{lead}/referrals", body))
    return {"lead": lead}


def lead_accepted(api: Api) -> dict[str, str]:
    ids = lead_referred(api)
    ok(api.post("officer", NEIGHBOUR, f"/v1/leads/{ids['lead']}/referrals/{NEIGHBOUR}/acceptance"))
    return ids


def case_invited(api: Api) -> dict[str, str]:
    case = new_case(api)
    ok(api.post("officer", OWN, f"/v1/cases/{case}/co-handlers", {"county": NEIGHBOUR}))
    return {"case": case}


def case_joined(api: Api) -> dict[str, str]:
    ids = case_invited(api)
    ok(
        api.post(
            "officer", NEIGHBOUR, f"/v1/cases/{ids['case']}/co-handlers/{NEIGHBOUR}/acceptance"
        )
    )
    return ids


def case_assisted(api: Api) -> dict[str, str]:
    case = new_case(api)
    body = {"to_county": NEIGHBOUR, "request": "check the depot"}
    request = ok(api.post("officer", OWN, f"/v1/cases/{case}/assistance-requests", body), 201)
    return {"case": case, "request": request["request_id"]}


def case_and_survivor(api: Api) -> dict[str, str]:
    """A case co-handled by the neighbour, and another case of the same county to merge into."""
    return {**case_joined(api), "survivor": new_case(api)}


def case_merge_proposed(api: Api) -> dict[str, str]:
    """The owning county consented to merge its case into a case of the neighbour."""
    case, survivor = new_case(api), new_case(api, NEIGHBOUR)
    body = {"survivor_id": survivor, "reason": "same supplier"}
    assert ok(api.post("officer", OWN, f"/v1/cases/{case}/merge", body))["merged"] is False
    return {"case": case, "survivor": survivor}


def case_merged(api: Api) -> dict[str, str]:
    ids = case_and_survivor(api)
    body = {"survivor_id": ids["survivor"], "reason": "same supplier"}
    assert ok(api.post("officer", OWN, f"/v1/cases/{ids['case']}/merge", body))["merged"] is True
    return ids


def case_merged_into_shared_survivor(api: Api) -> dict[str, str]:
    """A case of the owning county merged into a case the neighbour co-handles."""
    survivor = case_joined(api)["case"]
    case = new_case(api)
    body = {"survivor_id": survivor, "reason": "same supplier"}
    assert ok(api.post("officer", OWN, f"/v1/cases/{case}/merge", body))["merged"] is True
    return {"case": case, "survivor": survivor}


def case_referred_to_police(api: Api) -> dict[str, str]:
    ids = case_joined(api)
    ok(api.post("officer", OWN, f"/v1/cases/{ids['case']}/police-referral", POLICE_REFERRAL))
    return ids


def case_closed(api: Api) -> dict[str, str]:
    ids = case_joined(api)
    body = {"outcome": "penalty", "reason": "fined"}
    ok(api.post("officer", OWN, f"/v1/cases/{ids['case']}/closure", body))
    return ids


POLICE_REFERRAL = {
    "police_unit": "兴和县公安局",
    "referred_on": "2026-03-05T10:00:00+08:00",
    "reason": "over the threshold",
}
SEIZURE = {
    "brand": "中华(硬)",
    "quantity": "2",
    "unit": "carton",
    "value": "900",
    "price_basis": "provincial",
    "seized_at": "2026-03-02T03:10:00+08:00",
}


# --- the routes of a lead or a case ------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """One route on one record. `outcome` is what an officer of the owning and of the neighbouring
    county gets (an unrelated county always gets 404); `overrides` pins (role, relation) cells."""

    name: str
    method: str
    path: str
    kind: str  # "lead" or "case": the record the route is about
    setup: Callable[[Api], dict[str, str]]
    outcome: dict[str, Expect]
    body: dict[str, Any] | None = None
    overrides: dict[tuple[str, str], Expect] = field(default_factory=dict)

    @property
    def writes(self) -> bool:
        return self.method == "POST"


L, C = "/v1/leads/{lead}", "/v1/cases/{case}"
REASON = {"reason": "as agreed by phone"}

RECORD_ROUTES = [
    # leads: the neighbour received a share or a referral
    Route("get-lead", "GET", L, "lead", lead_shared, {"own": 200, "neighbour": 200}),
    Route("get-lead-referred", "GET", L, "lead", lead_referred, {"own": 200, "neighbour": 200}),
    Route(
        "refer-lead",
        "POST",
        L + "/referrals",
        "lead",
        lead_shared,
        {"own": 200, "neighbour": (409, "not-responsible-county")},
        {"to_county": THIRD, "reason": "the route runs there"},
    ),
    Route(
        "accept-referral",
        "POST",
        L + "/referrals/{county}/acceptance",
        "lead",
        lead_referred,
        {"own": (409, "not-receiving-county"), "neighbour": 200},
    ),
    Route(
        "decline-referral",
        "POST",
        L + "/referrals/{county}/declination",
        "lead",
        lead_referred,
        {"own": (409, "not-receiving-county"), "neighbour": 200},
        REASON,
    ),
    Route(
        "withdraw-referral",
        "POST",
        L + f"/referrals/{NEIGHBOUR}/withdrawal",
        "lead",
        lead_referred,
        {"own": 200, "neighbour": (409, "not-responsible-county")},
        REASON,
    ),
    Route(
        "share-lead",
        "POST",
        L + "/shares",
        "lead",
        lead_shared,
        {"own": 200, "neighbour": (409, "not-responsible-county")},
        {"counties": [THIRD], "reason": "same packaging"},
    ),
    Route(
        "give-feedback",
        "POST",
        L + "/feedback",
        "lead",
        lead_accepted,
        {"own": (409, "no-accepted-referral"), "neighbour": 200},
        {"content": "surveillance set up", "final": False},
    ),
    Route(
        "corroborate-lead",
        "POST",
        L + "/corroborations",
        "lead",
        lead_shared,
        {"own": (409, "corroboration-by-owner"), "neighbour": 200},
        {"result": "seen", "note": "same van"},
    ),
    Route(
        "convert-lead",
        "POST",
        L + "/conversion",
        "lead",
        lead_shared,
        {"own": 201, "neighbour": (409, "not-responsible-county")},
        {"case_type": "smuggled", "title": "parcels"},
    ),
    Route(
        "close-lead",
        "POST",
        L + "/closure",
        "lead",
        lead_shared,
        {"own": 200, "neighbour": (409, "not-responsible-county")},
        {"closure": "unfounded", "reason": "nothing at the address"},
    ),
    Route(
        "disclose-informant",
        "POST",
        L + "/informant-disclosures",
        "lead",
        lead_shared_with_informant,
        {"own": 200, "neighbour": FORBIDDEN},
        {"purpose": "call the informant back"},
        overrides={("liaison", "own"): FORBIDDEN},
    ),
    Route(
        "open-case-from-lead",
        "POST",
        "/v1/cases",
        "lead",
        lead_shared,
        {"own": 201, "neighbour": (409, "not-responsible-county")},
        {"case_type": "counterfeit", "title": "from the lead", "lead_ids": ["{lead}"]},
    ),
    # cases: the neighbour co-handles, is invited, was asked for assistance or is party to a merge
    Route("get-case", "GET", C, "case", case_joined, {"own": 200, "neighbour": 200}),
    Route("get-case-assisting", "GET", C, "case", case_assisted, {"own": 200, "neighbour": 200}),
    Route(
        "get-case-merged-into-shared",
        "GET",
        C,
        "case",
        case_merged_into_shared_survivor,
        {"own": 200, "neighbour": 200},
    ),
    Route(
        "case-history", "GET", C + "/history", "case", case_joined, {"own": 200, "neighbour": 200}
    ),
    Route(
        "case-timeline", "GET", C + "/timeline", "case", case_joined, {"own": 200, "neighbour": 200}
    ),
    Route(
        "police-advice",
        "GET",
        C + "/police-advice",
        "case",
        case_joined,
        {"own": 200, "neighbour": 200},
    ),
    Route(
        "record-seizure",
        "POST",
        C + "/seizures",
        "case",
        case_invited,
        {"own": 201, "neighbour": (409, "co-handler-not-accepted")},
        SEIZURE,
    ),
    Route(
        "record-seizure-joined",
        "POST",
        C + "/seizures",
        "case",
        case_joined,
        {"own": 201, "neighbour": 201},
        SEIZURE,
    ),
    Route(
        "invite-co-handler",
        "POST",
        C + "/co-handlers",
        "case",
        case_joined,
        {"own": 200, "neighbour": (409, "not-lead-county")},
        {"county": THIRD, "note": "networked case"},
    ),
    Route(
        "accept-co-handling",
        "POST",
        C + "/co-handlers/{county}/acceptance",
        "case",
        case_invited,
        {"own": (409, "not-invited"), "neighbour": 200},
    ),
    Route(
        "decline-co-handling",
        "POST",
        C + "/co-handlers/{county}/declination",
        "case",
        case_invited,
        {"own": (409, "not-invited"), "neighbour": 200},
        REASON,
    ),
    Route(
        "request-assistance",
        "POST",
        C + "/assistance-requests",
        "case",
        case_assisted,
        {"own": 201, "neighbour": (409, "not-case-participant")},
        {"to_county": THIRD, "request": "check the parcels"},
    ),
    Route(
        "answer-assistance",
        "POST",
        C + "/assistance-requests/{request}/answer",
        "case",
        case_assisted,
        {"own": (409, "not-assistance-recipient"), "neighbour": 200},
        {"answer": "two parcels held"},
    ),
    Route(
        "merge-case",
        "POST",
        C + "/merge",
        "case",
        case_and_survivor,
        {"own": 200, "neighbour": (409, "not-lead-county")},
        {"survivor_id": "{survivor}", "reason": "same supplier"},
    ),
    Route(
        "merge-case-consent",
        "POST",
        C + "/merge",
        "case",
        case_merge_proposed,
        {"own": (409, "merge-consent-already-given"), "neighbour": 200},
        {"survivor_id": "{survivor}", "reason": "same supplier"},
    ),
    Route(
        "decline-merge",
        "POST",
        C + "/merge/declination",
        "case",
        case_merge_proposed,
        {"own": 200, "neighbour": 200},
        {"survivor_id": "{survivor}", "reason": "different supplier"},
    ),
    Route(
        "decline-merge-not-party",
        "POST",
        C + "/merge/declination",
        "case",
        case_and_survivor,
        {"own": (409, "no-merge-proposal"), "neighbour": FORBIDDEN},
        {"survivor_id": "{survivor}", "reason": "different supplier"},
    ),
    Route(
        "unmerge-case",
        "POST",
        C + "/unmerge",
        "case",
        case_merged,
        {"own": 200, "neighbour": (409, "not-lead-county")},
        REASON,
    ),
    Route(
        "refer-to-police",
        "POST",
        C + "/police-referral",
        "case",
        case_joined,
        {"own": 200, "neighbour": (409, "not-lead-county")},
        POLICE_REFERRAL,
    ),
    Route(
        "police-acceptance",
        "POST",
        C + "/police-referral/acceptance",
        "case",
        case_referred_to_police,
        {"own": 200, "neighbour": (409, "not-lead-county")},
        {"accepted_on": "2026-03-08T10:00:00+08:00", "police_case_number": "0137"},
    ),
    Route(
        "close-case",
        "POST",
        C + "/closure",
        "case",
        case_joined,
        {"own": 200, "neighbour": (409, "not-lead-county")},
        {"outcome": "confiscation", "reason": "goods confiscated"},
    ),
    Route(
        "reopen-case",
        "POST",
        C + "/reopening",
        "case",
        case_closed,
        {"own": 200, "neighbour": (409, "not-lead-county")},
        {"reason": "new evidence"},
    ),
]


def expected_on_record(route: Route, role: str, relation: str) -> Expect:
    if (role, relation) in route.overrides:
        return route.overrides[role, relation]
    if route.writes and role in ("auditor", "committee"):
        return FORBIDDEN
    if not route.writes and role == "auditor":
        return 200
    if not route.writes and role == "committee":
        return 200 if route.kind == "case" else NOT_FOUND
    if relation == "unrelated":
        return NOT_FOUND
    return route.outcome[relation]


# --- assertions ---------------------------------------------------------------------------------
def assert_answer(response, expect: Expect) -> dict[str, Any]:
    status, rule = expect if isinstance(expect, tuple) else (expect, None)
    assert response.status_code == status, response.text
    body = response.json()
    if rule is None:
        assert response.headers["content-type"].startswith("application/json")
        return body
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["status"] == status and body["rule"] == rule, body
    assert body["type"].endswith("/" + rule) and body["title"] and body["detail"]
    assert "correlation_id" in body and body["instance"] == response.request.url.path
    return body


def fill(template: Any, ids: dict[str, str]) -> Any:
    if isinstance(template, str):
        return template.format(**ids)
    if isinstance(template, list):
        return [fill(v, ids) for v in template]
    if isinstance(template, dict):
        return {k: fill(v, ids) for k, v in template.items()}
    return template


def record_version(api: Api, kind: str, record_id: str) -> int:
    app = api.services.app
    getter = app.get_lead if kind == "lead" else app.get_case
    return getter(uuid.UUID(record_id)).version


# --- the matrix on leads and cases --------------------------------------------------------------
@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", RECORD_ROUTES, ids=lambda r: r.name)
def test_record_routes(api: Api, route: Route, role: str, relation: str) -> None:
    county = RELATIONS[relation]
    ids = {**route.setup(api), "county": county}
    record_id = ids[route.kind]
    path = fill(route.path, ids)
    before = record_version(api, route.kind, record_id)
    if route.writes:
        response = api.post(role, county, path, fill(route.body, ids))
    else:
        response = api.get(role, county, path)
    expect = expected_on_record(route, role, relation)
    body = assert_answer(response, expect)

    if expect == NOT_FOUND:
        # worded exactly as for a record that does not exist
        assert body["detail"] == f"no {route.kind} {record_id}"
    if response.status_code >= 400:
        assert record_version(api, route.kind, record_id) == before, "a refusal recorded events"
    elif route.writes and route.name != "disclose-informant":
        assert {"id", "version", "position"} <= body.keys()
        assert response.headers["etag"] == f'"{body["version"]}"'
    elif route.name == "disclose-informant":
        assert body["informant"] == "王某 13900001111"
        assert response.headers["cache-control"] == "no-store"
    elif route.path in (L, C):
        assert body["id"] == record_id and "informant_ciphertext" not in body
    else:
        assert body["case_id"] == record_id


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
    if route.method == "POST":
        assert {"id", "version", "position"} <= body.keys()
    elif route.name == "event-log":
        assert body["items"] and body["last_position"] >= body["next_after"] > 0
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
