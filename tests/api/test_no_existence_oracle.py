"""No existence oracle ("Who sees what"): for a caller who may not see a thing, every route that
names it answers exactly as for an id that does not exist. An outsider (an officer of a county
with no part in anything here) is sent through every operation of the app's own OpenAPI
document that has an id in its path, once with the ids of real records of other counties and
once with random ids, with a valid body (an unrelated county, and one that declined its
referral and its invitation); status, body keys, rule and wording (the id aside)
must be the same."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from api.app import create_app
from tests.api.authz import (
    NEIGHBOUR,
    OWN,
    POLICE_REFERRAL,
    REASON,
    SEIZURE,
    THIRD,
    UNRELATED,
    ok,
)
from tests.api.conftest import Api
from tests.api.evidence_files import pdf, sha256, upload

OPENAPI = create_app().openapi()
#: Path parameters that name a record (the others, a county, a year, a unit's code, are public).
RECORD_PARAMS = {"lead_id", "case_id", "number", "request_id", "reward_id", "finding_id"}
RECORD_PARAMS |= {"operation_id", "sha256"}
#: Who may not see the records: a county with no part in them, and one that was referred the
#: lead and invited to the case and declined both ("after declining, nothing more").
OUTSIDERS = {"unrelated": UNRELATED, "declined": THIRD}

BODIES: dict[str, dict[str, Any]] = {
    "/referrals": {"to_county": NEIGHBOUR, "reason": "the depot is there"},
    "/declination": REASON,
    "/merge/declination": {**REASON, "survivor_id": str(uuid.uuid4())},
    "/withdrawal": REASON,
    "/shares": {"counties": [NEIGHBOUR]},
    "/feedback": {"content": "seen the van"},
    "/corroborations": {"result": "seen"},
    "/conversion": {"case_type": "counterfeit", "title": "G6 network"},
    "/informant-disclosures": {"purpose": "court summons"},
    "/seizures": SEIZURE,
    "/co-handlers": {"county": NEIGHBOUR},
    "/assistance-requests": {"to_county": NEIGHBOUR, "request": "check the depot"},
    "/answer": {"answer": "two parcels held"},
    "/merge": {"survivor_id": str(uuid.uuid4()), "reason": "same supplier"},
    "/unmerge": REASON,
    "/police-referral": POLICE_REFERRAL,
    "/police-referral/acceptance": {"accepted_on": "2026-03-05T10:00:00+08:00"},
    "/reopening": REASON,
    "/adjustment": {
        "lines": [{"county": OWN, "share": "handling", "amount": "100"}],
        "reason": "cap",
    },
    "/payment": {"amount": "100", "paid_on": "2026-03-05", "reference": "T-1"},
    "/decision": {"decision": "excused", "reason": "late"},
    "/cases": {"case_id": str(uuid.uuid4())},
    "/conclusion": {"summary": "done"},
}


def body_for(path: str) -> dict[str, Any]:
    if path.startswith("/v1/leads") and path.endswith("/closure"):
        return {"closure": "unfounded", "reason": "nothing found"}
    if path.endswith("/closure"):
        return {"outcome": "penalty", "reason": "fined"}
    for suffix in sorted(BODIES, key=len, reverse=True):
        if path.endswith(suffix):
            return BODIES[suffix]
    return {}


def operations() -> list[tuple[str, str]]:
    out = []
    for path, ops in OPENAPI["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        if params & RECORD_PARAMS:
            out.extend((method, path) for method in ops)
    return out


@pytest.fixture(scope="module")
def real(api: Api) -> dict[str, str]:
    """Records of the owning county (some shared with the neighbour): a lead, a case with a
    seizure and an assistance request, a joint operation of the two; never the outsider's."""
    body = {"summary": "cartons", "source": "tip_off", "place_county": NEIGHBOUR}
    lead = ok(api.post("officer", OWN, "/v1/leads", body), 201)["id"]
    ok(api.post("officer", OWN, f"/v1/leads/{lead}/shares", {"counties": [NEIGHBOUR]}))
    referral = {"to_county": THIRD, "reason": "the depot is there"}
    ok(api.post("officer", OWN, f"/v1/leads/{lead}/referrals", referral))
    ok(api.post("officer", THIRD, f"/v1/leads/{lead}/referrals/{THIRD}/declination", REASON))
    case = ok(
        api.post("officer", OWN, "/v1/cases", {"case_type": "counterfeit", "title": "G6"}), 201
    )
    ok(api.post("officer", OWN, f"/v1/cases/{case['id']}/seizures", SEIZURE), 201)
    ok(api.post("officer", OWN, f"/v1/cases/{case['id']}/co-handlers", {"county": THIRD}))
    path = f"/v1/cases/{case['id']}/co-handlers/{THIRD}/declination"
    ok(api.post("officer", THIRD, path, REASON))
    assist = {"to_county": NEIGHBOUR, "request": "check the depot"}
    path = f"/v1/cases/{case['id']}/assistance-requests"
    request = ok(api.post("officer", OWN, path, assist), 201)["request_id"]
    operation = {
        "name": "spring sweep",
        "participants": [OWN, NEIGHBOUR],
        "starts_on": "2026-03-01",
        "ends_on": "2026-03-31",
        "target_area": "G6 corridor",
        "plan": "check depots",
    }
    op = ok(api.post("officer", OWN, "/v1/joint-operations", operation), 201)["id"]
    scan = pdf()
    ok(upload(api, "officer", OWN, f"/v1/leads/{lead}/files", scan, "移交函.pdf"), 201)
    ok(upload(api, "officer", OWN, f"/v1/cases/{case['id']}/files", scan, "移交函.pdf"), 201)
    claim = api.post("officer", OWN, "/v1/rewards", {"case_id": case["id"], "note": "claim"})
    return {
        "lead_id": lead,
        "case_id": case["id"],
        "number": case["number"],
        "request_id": request,
        "operation_id": op,
        "reward_id": claim.json()["id"] if claim.status_code == 201 else str(uuid.uuid4()),
        "finding_id": str(uuid.uuid4()),
        "sha256": sha256(scan),
    }


def unknown() -> dict[str, str]:
    ids = {name: str(uuid.uuid4()) for name in RECORD_PARAMS}
    return {**ids, "number": f"{OWN}-2026-987654321", "sha256": sha256(uuid.uuid4().bytes)}


def send(
    api: Api, caller: str, method: str, path: str, ids: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    url = path.format(**ids, county=caller)
    if method == "get":
        response = api.get("officer", caller, url)
    else:
        response = api.post("officer", caller, url, body_for(path))
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        detail = body["detail"]
        for value in ids.values():
            detail = detail.replace(value, "<id>")
        body = {**body, "detail": detail}
    return response.status_code, body


def shape(body: dict[str, Any]) -> dict[str, Any]:
    """What must be the same: the keys, the rule and the wording (not the per-request ids)."""
    if not isinstance(body, dict):
        return {"type": type(body).__name__}
    return {
        "keys": sorted(body),
        "rule": body.get("rule"),
        "detail": body.get("detail"),
        "title": body.get("title"),
    }


@pytest.mark.parametrize("outsider", list(OUTSIDERS))
@pytest.mark.parametrize(("method", "path"), operations(), ids=str)
def test_an_outsider_cannot_tell_a_real_record_from_an_unknown_id(
    api: Api, real: dict[str, str], outsider: str, method: str, path: str
) -> None:
    caller = OUTSIDERS[outsider]
    status, body = send(api, caller, method, path, real)
    unknown_status, unknown_body = send(api, caller, method, path, unknown())
    assert (status, shape(body)) == (unknown_status, shape(unknown_body)), (body, unknown_body)
    assert status in (403, 404, 422), body
