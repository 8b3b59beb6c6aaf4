"""Property-based fuzzing of every operation of the app's own OpenAPI document (schemathesis 4):
whatever a client sends, the answer is never a server error, every error is a problem
document, and every answer conforms to the document (status, content type, schema, headers), with
all of schemathesis' checks but positive-data acceptance (see CHECKS). Each generated request is sent as generated (random ids: mostly 404s and 422s) and,
when it has path parameters, again aimed at fresh real records, so fuzzed bodies reach the domain.
Officers fuzz every operation; auditors fuzz the reads (audit trail, search, workspaces) and
administrators the reference data, whose code paths an officer's token never reaches.

Below the fuzzing, the inputs that produced server errors or poisoned records, kept as
regressions."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api.app import create_app
from api.deps import Services
from domain.jurisdiction import UnitData
from domain.values import Actor, Context, Role
from tests.api.conftest import COUNTIES, XINGHE, YANGGAO, Api

COUNTY = XINGHE
BASE_URL = "http://testserver"

# The document is built without a database (`openapi()` runs no lifespan); the requests go to the
# session's app, which has its services. (`schemathesis.pytest.from_fixture` would load it
# lazily, but its subtest reporting relies on a pytest internal that pytest 9 removed.)
schema = schemathesis.openapi.from_dict(create_app().openapi())

FUZZ = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def context(role: Role = Role.OFFICER) -> Context:
    return Context(Actor(f"fuzz-{role}", COUNTY, role), datetime.now(UTC), "fuzz-setup")


def fresh_records(services: Services) -> dict[str, str]:
    """A lead (with an informant) and a case of the officer's county, the case with an assistance
    request to a neighbour: written straight through the application, no HTTP."""
    app, ctx = services.app, context()
    lead = app.register_lead(
        ctx, summary="fuzz", source="tip_off", place_county=YANGGAO, informant="赵某"
    )
    case = app.open_case(ctx, case_type="counterfeit", title="fuzz")
    request = app.request_assistance(case.id, YANGGAO, "check", ctx)
    return {
        "lead_id": str(lead.id),
        "case_id": str(case.id),
        "request_id": str(request.details["request_id"]),
        "county": COUNTY,
        "code": COUNTY,
    }


_unit_codes = itertools.count(800001)


def fresh_unit(services: Services) -> dict[str, str]:
    """A unit of its own for the administrator to end (never one of the six seeded units)."""
    taken = {unit.code for unit in services.app.list_jurisdictions()}
    code = next(code for code in map(str, _unit_codes) if code not in taken)
    unit = UnitData(code, "Fuzz County", "", "", "")
    services.app.register_jurisdiction(unit, date(2026, 1, 1), context(Role.ADMIN))
    return {"code": code}


def assert_no_server_error(response: Any) -> None:
    status = response.status_code
    if status == 503 and response.json().get("rule") == "view-behind":
        # `wait_for=` a position the read models have not reached (a fuzzed one lies beyond the
        # end of the log): the documented "retry later" answer with Retry-After, not a failure.
        assert response.headers["retry-after"] == ["1"]
        return
    assert status < 500, f"{status}: {response.text[:2000]}"
    if status >= 400:
        content_type = response.headers["content-type"][0]  # schemathesis: name -> values
        assert content_type.startswith("application/problem+json"), response.text[:500]
        assert response.json()["status"] == status


@pytest.fixture(scope="module")
def asgi_client(api_app: FastAPI) -> Any:
    """Schemathesis' in-process client, never entered: no lifespan of its own (see conftest)."""
    return schemathesis.python.asgi.get_client(api_app)


#: Every response check schemathesis has, but positive-data acceptance: a schema cannot say
#: that a case must be open, a county must take part or a referral must be pending, so a
#: well-formed request the domain refuses (404, 409) is the right answer, not a failure.
#: (use_after_free and ensure_resource_availability need stateful runs, not single calls;
#: ignored_auth probes over a network transport: the authorization matrix sends every route
#: without a token instead.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
    checks.unsupported_method,
]


def call(case: Any, client: Any, headers: dict[str, str], *, aimed: bool = False) -> None:
    """Sends the case and checks the answer. ``aimed``: its path now names real records, so a
    path that was generated invalid is no longer the request's fault (no negative-data check)."""
    response = case.call(session=client, base_url=BASE_URL, headers=headers)
    assert_no_server_error(response)
    negative = (
        not aimed
        and not sends_nothing_for_some_query_value(case)
        and not undeclared_names_vanished(case, response)
    )
    case.validate_response(
        response,
        checks=[c for c in CHECKS if negative or c is not checks.negative_data_rejection],
        headers=headers,
        transport_kwargs={"session": client, "base_url": BASE_URL},
    )


def sends_nothing_for_some_query_value(case: Any) -> bool:
    """Whether a generated query value goes out as no parameter at all (an empty list or
    object, or null): a negative case whose only fault was such a value (an undeclared name
    with ``[]``) arrives as a valid request, so its acceptance is no fault of the app's."""
    return any(value in (None, [], {}) for value in (case.query or {}).values())


def undeclared_names_vanished(case: Any, response: Any) -> bool:
    """Whether the query names the operation does not declare, which made the case negative,
    all went out as nothing (a value the transport drops, such as a list of nulls): the
    request as sent names only declared parameters, so its acceptance is no fault of the app's
    (schemathesis judges the case as generated, not as sent)."""
    declared = {parameter.name for parameter in case.operation.query}
    if not set(case.query or {}) - declared:
        return False
    sent = {name for name, _ in parse_qsl(urlsplit(response.request.url).query, True)}
    return not sent - declared


def send(case: Any, client: Any, token: str, real: dict[str, str] | None) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    call(case, client, headers)
    if real and case.path_parameters:
        for name in case.path_parameters:
            if name in real:
                case.path_parameters[name] = real[name]
        call(case, client, headers, aimed=True)


# Rotating one's own token would end the session's token for every later test: that route is
# tested in test_tokens.py.
@schema.exclude(path="/v1/officers/me/token").parametrize()
@FUZZ
def test_no_request_of_an_officer_makes_a_server_error(
    case, asgi_client: Any, api_services: Services, api_tokens: dict[tuple[str, str], str]
) -> None:
    real = fresh_records(api_services) if case.path_parameters else None
    send(case, asgi_client, api_tokens["officer", COUNTY], real)


@schema.include(method="GET").parametrize()
@FUZZ
def test_no_read_of_an_auditor_makes_a_server_error(
    case, asgi_client: Any, api_services: Services, api_tokens: dict[tuple[str, str], str]
) -> None:
    real = fresh_records(api_services) if case.path_parameters else None
    send(case, asgi_client, api_tokens["auditor", COUNTY], real)


@schema.include(path_regex=r"^/v1/(jurisdictions|liaisons|events)").parametrize()
@FUZZ
def test_no_reference_data_change_of_an_admin_makes_a_server_error(
    case, asgi_client: Any, api_services: Services, api_tokens: dict[tuple[str, str], str]
) -> None:
    real = fresh_unit(api_services) if "code" in (case.path_parameters or {}) else None
    if real and case.path_parameters["code"] in COUNTIES:
        case.path_parameters["code"] = real["code"]  # never end a seeded unit the session uses
    send(case, asgi_client, api_tokens["admin", COUNTY], real)


# --- regressions: inputs that made server errors or poisoned records ---------------------------
def new_case(api: Api) -> str:
    body = {"case_type": "counterfeit", "title": "fuzz regression"}
    response = api.post("officer", COUNTY, "/v1/cases", body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def seizure(**changes: Any) -> dict[str, Any]:
    body = {
        "brand": "中华",
        "quantity": "1",
        "unit": "case",
        "value": "45000",
        "price_basis": "provincial",
        "seized_at": "2026-03-02T03:10:00+08:00",
    }
    return {**body, **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"quantity": "1e1000000"},  # decimal.Overflow converting to sticks: was a 500
        {"quantity": "-1e1000000"},
        {"quantity": "1E+30"},  # was recorded (201), then every read of the case was a 500
        {"value": "1e1000000"},  # decimal.InvalidOperation rounding to the fen: was a 500
        {"value": "1E+30"},
        {"value": 1e308},
    ],
    ids=lambda c: f"{next(iter(c))}={next(iter(c.values()))}",
)
def test_an_absurd_seizure_is_invalid_input_and_the_case_stays_readable(
    api: Api, changes: dict[str, Any]
) -> None:
    case = new_case(api)
    response = api.post("officer", COUNTY, f"/v1/cases/{case}/seizures", seizure(**changes))
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == "invalid-input"
    assert response.headers["content-type"].startswith("application/problem+json")
    for path in (f"/v1/cases/{case}", f"/v1/cases/{case}/police-advice"):
        assert api.get("officer", COUNTY, path).status_code == 200


def test_the_largest_seizure_allowed_stays_readable(api: Api) -> None:
    case = new_case(api)
    body = seizure(quantity="20000000", value="1000000000000")  # the domain's MAX_STICKS
    for _ in range(3):
        response = api.post("officer", COUNTY, f"/v1/cases/{case}/seizures", body)
        assert response.status_code == 201, response.text
    too_big = api.post(
        "officer", COUNTY, f"/v1/cases/{case}/seizures", seizure(quantity="20000001")
    )
    assert too_big.status_code == 422 and too_big.json()["rule"] == "invalid-input"
    shown = api.get("officer", COUNTY, f"/v1/cases/{case}").json()
    assert shown["totals"]["quantity"]["sticks"] == 3 * 10**12
    assert api.get("officer", COUNTY, f"/v1/cases/{case}/police-advice").status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/cases", {"case_type": "other", "title": "a\u0000b"}),
        (
            "/v1/leads",
            {"summary": "x", "source": "online", "place_county": XINGHE, "informant": "\u0000"},
        ),
        (
            "/v1/leads",
            {
                "summary": "x",
                "source": "online",
                "place_county": XINGHE,
                "suspected_parties": ["\u0000"],
            },
        ),
        ("/v1/liaisons", {"county": XINGHE, "name": "王\u0000", "since": "2026-01-01"}),
    ],
    ids=["case-title", "informant", "suspected-party", "liaison-name"],
)
def test_text_with_nul_is_refused_and_the_read_models_keep_running(
    api: Api, path: str, body: dict[str, Any]
) -> None:
    """PostgreSQL text cannot hold NUL: a case titled "a\\x00b" was stored in the event log and
    then stopped the projection runner for good (every `wait_for=` a 503 from then on)."""
    response = api.post("officer", COUNTY, path, body)
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == "invalid-input"
    after = new_case(api)  # the views still apply what comes after the refused write
    deadline = time.monotonic() + 10
    while True:
        found = api.get("officer", COUNTY, "/v1/cases", county=COUNTY, limit=200)
        if found.status_code == 200 and after in {str(c["case_id"]) for c in found.json()["items"]}:
            break
        assert time.monotonic() < deadline, "the read models stopped"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("role", "path", "params"),
    [
        ("officer", "/v1/cases", {"q": "\x00"}),
        ("officer", "/v1/cases", {"case_type": "a\x00"}),
        ("auditor", "/v1/audit/events", {"officer_id": "\x00"}),
        ("auditor", "/v1/audit/events", {"event_type": "\x00"}),
    ],
    ids=["search-q", "search-case-type", "audit-officer-id", "audit-event-type"],
)
def test_a_query_with_nul_is_invalid_input_not_a_database_error(
    api: Api, role: str, path: str, params: dict[str, str]
) -> None:
    response = api.get(role, COUNTY, path, **params)
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == "invalid-input"
