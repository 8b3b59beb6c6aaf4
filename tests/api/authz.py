"""The authorization matrix, shared by the test_authorization_* files: every role x the acting county's relation to the record x every
route, asserting the status and, for refusals, the problem document naming the rule.

What the matrix encodes (api/deps.py, domain/access.py, the domain rules; "Who sees what" in the README):
- no or a bad token: 401 with a Bearer challenge, on every route;
- auditors and the reward committee never record: 403 `permission-denied` on every write;
- a county unrelated to a lead or case gets 404 `not-found` on every route of it, worded exactly
  as for a record that does not exist;
- the committee reads case summaries (200, `access` = `summary`), not a case's details
  (history, timeline, seizures, files: 404) nor leads (404); auditors read everything;
- a county invited to co-handle a case, asked for assistance or party to an open merge proposal
  reads the case's summary by id (200, `access` = `summary`) and gets 404 on its details, while
  the answers it is entitled to (accept or decline, answer, consent or decline) keep working;
- the event log and audit trail are for auditors and administrators only (403 for the others),
  an administrator reading only the events of its county's records (the trail's `visible_to`);
  the log as a whole (chain head, verification) is for auditors only;
- what an answer takes away: a declined or withdrawn referral, a declined invitation or merge
  proposal, an un-merge leave the county 404 on the record; the county of an absorbed case
  reads the survivor while merged;
- a county that can see the record but may not do this gets 409 naming the rule (or 403 where
  the domain says permission-denied), and the refused write records nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.schemas.cases import CaseSummaryPublic
from tests.api.conftest import TIANZHEN, WANQUAN, XINGHE, YANGGAO, Api

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


def case_joined_by_number(api: Api) -> dict[str, str]:
    ids = case_joined(api)
    number = api.services.app.get_case(uuid.UUID(ids["case"])).number
    return {**ids, "number": number}


def case_assisted(api: Api) -> dict[str, str]:
    case = new_case(api)
    body = {"to_county": NEIGHBOUR, "request": "check the depot"}
    request = ok(api.post("officer", OWN, f"/v1/cases/{case}/assistance-requests", body), 201)
    return {"case": case, "request": request["request_id"]}


def case_and_survivor(api: Api) -> dict[str, str]:
    """A case co-handled by the neighbour, and another case of the same county to merge into."""
    return {**case_joined(api), "survivor": new_case(api)}


def case_and_shared_survivor(api: Api) -> dict[str, str]:
    """A case co-handled by the neighbour, and another such case of the same county."""
    return {**case_joined(api), "survivor": case_joined(api)["case"]}


def case_merge_proposed(api: Api) -> dict[str, str]:
    """The owning county consented to merge its case into a case of the neighbour, which had
    asked it for assistance (a county proposes a merge only into a case it may see)."""
    case, survivor = new_case(api), new_case(api, NEIGHBOUR)
    body = {"to_county": OWN, "request": "same supplier?"}
    ok(api.post("officer", NEIGHBOUR, f"/v1/cases/{survivor}/assistance-requests", body), 201)
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


# --- after an answer: what "Who sees what" takes away ---------------------------------------------
def lead_referral_declined(api: Api) -> dict[str, str]:
    ids = lead_referred(api)
    path = f"/v1/leads/{ids['lead']}/referrals/{NEIGHBOUR}/declination"
    ok(api.post("officer", NEIGHBOUR, path, {"reason": "not ours"}))
    return ids


def lead_referral_withdrawn(api: Api) -> dict[str, str]:
    ids = lead_referred(api)
    path = f"/v1/leads/{ids['lead']}/referrals/{NEIGHBOUR}/withdrawal"
    ok(api.post("officer", OWN, path, {"reason": "sent by mistake"}))
    return ids


def case_co_handling_declined(api: Api) -> dict[str, str]:
    ids = case_invited(api)
    path = f"/v1/cases/{ids['case']}/co-handlers/{NEIGHBOUR}/declination"
    ok(api.post("officer", NEIGHBOUR, path, {"reason": "no staff"}))
    return ids


def case_merge_declined(api: Api) -> dict[str, str]:
    """The neighbour declined the owning county's proposal to merge into its case."""
    ids = case_merge_proposed(api)
    body = {"survivor_id": ids["survivor"], "reason": "different supplier"}
    ok(api.post("officer", NEIGHBOUR, f"/v1/cases/{ids['case']}/merge/declination", body))
    return ids


def case_merged_across(api: Api) -> dict[str, str]:
    """The owning county's case merged into the neighbour's case (both consented)."""
    ids = case_merge_proposed(api)
    body = {"survivor_id": ids["survivor"], "reason": "same supplier"}
    assert ok(api.post("officer", NEIGHBOUR, f"/v1/cases/{ids['case']}/merge", body))["merged"]
    return ids


def survivor_of_merged_across(api: Api) -> dict[str, str]:
    """The neighbour's case, into which the owning county's case is merged."""
    ids = case_merged_across(api)
    return {"case": ids["survivor"], "absorbed": ids["case"]}


def case_unmerged_across(api: Api) -> dict[str, str]:
    """The merge across counties reversed, then a new event on the released case."""
    ids = case_merged_across(api)
    ok(api.post("officer", OWN, f"/v1/cases/{ids['case']}/unmerge", {"reason": "wrong"}))
    ok(api.post("officer", OWN, f"/v1/cases/{ids['case']}/seizures", SEIZURE), 201)
    return ids


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
    #: The ids key of the record a visible-record 404 names, when it is not the route's own
    #: (a merge into a survivor the caller may not see names the survivor).
    not_found: str | None = None
    #: A read of a case's details (history, timeline, police advice, files): whoever sees the
    #: case only as its summary (the committee; the relations in ``summary``) gets 404.
    detail: bool = False
    #: The relations whose county sees the case only as its summary: a by-id read answers the
    #: summary (``access`` = ``summary``).
    summary: frozenset[str] = frozenset()

    @property
    def writes(self) -> bool:
        return self.method == "POST"


L, C = "/v1/leads/{lead}", "/v1/cases/{case}"
C_BY_NUMBER = "/v1/cases/by-number/{number}"
REASON = {"reason": "as agreed by phone"}


def expected_on_record(route: Route, role: str, relation: str) -> Expect:
    if (role, relation) in route.overrides:
        return route.overrides[role, relation]
    if route.writes and role in ("auditor", "committee"):
        return FORBIDDEN
    if not route.writes and role == "auditor":
        return 200
    if not route.writes and role == "committee":
        return 200 if route.kind == "case" and not route.detail else NOT_FOUND
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
def check_record_route(api: Api, route: Route, role: str, relation: str) -> None:
    """Sends the route as (role, county of the relation) and checks the answer and that a
    refusal recorded nothing."""
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
        # worded exactly as for a record that does not exist (by number: naming the number)
        missing = ids[route.not_found] if route.not_found and relation != "unrelated" else None
        assert body["detail"] == f"no {route.kind} {missing or ids.get('number', record_id)}"
    if response.status_code >= 400:
        assert record_version(api, route.kind, record_id) == before, "a refusal recorded events"
    elif route.writes and route.name != "disclose-informant":
        assert {"id", "version", "position"} <= body.keys()
        assert response.headers["etag"] == f'"{body["version"]}"'
    elif route.name == "disclose-informant":
        assert body["informant"] == "王某 13900001111"
        assert response.headers["cache-control"] == "no-store"
    elif route.path in (L, C, C_BY_NUMBER):
        assert body["id"] == record_id and "informant_ciphertext" not in body
        if route.kind == "case":
            as_summary = role == "committee" or (role != "auditor" and relation in route.summary)
            assert body["access"] == ("summary" if as_summary else "full"), body
            if as_summary:
                assert set(body) == set(CaseSummaryPublic.model_fields), body
    else:
        assert body["case_id"] == record_id
