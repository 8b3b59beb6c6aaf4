"""The authorization matrix on the evidence file routes of leads and cases: every role x the
acting county's relation to the record (see tests/api/authz.py for what the matrix encodes).
Files are read exactly by whoever reads the record; they are added and removed by the counties
that work it (owner, responsible, corroborating county of a lead; lead county and joined
co-handlers of a case that is neither merged nor closed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.authz import (
    NOT_FOUND,
    RELATIONS,
    C,
    L,
    Route,
    assert_answer,
    case_invited,
    case_joined,
    expected_on_record,
    fill,
    lead_accepted,
    lead_referred,
    lead_shared,
    ok,
    record_version,
)
from tests.api.conftest import ROLES, Api
from tests.api.evidence_files import jpeg, sha256, upload
from tests.api.evidence_files import pdf as pdf_file

OWN = RELATIONS["own"]


def with_file(setup: Callable[[Api], dict[str, str]], kind: str) -> Callable[[Api], dict[str, str]]:
    """The record of ``setup`` with a scan the owning county attached to it."""

    def build(api: Api) -> dict[str, str]:
        content = pdf_file()
        ids = setup(api)
        base = L if kind == "lead" else C
        path = fill(base, ids) + "/files"
        ok(upload(api, "officer", OWN, path, content, "移交函.pdf"), 201)
        return {**ids, "sha": sha256(content)}

    return build


def lead_referral_declined_with_file(api: Api) -> dict[str, str]:
    ids = lead_referred(api)
    content = pdf_file()
    ok(upload(api, "officer", OWN, f"/v1/leads/{ids['lead']}/files", content), 201)
    path = f"/v1/leads/{ids['lead']}/referrals/{RELATIONS['neighbour']}/declination"
    ok(api.post("officer", RELATIONS["neighbour"], path, {"reason": "not ours"}))
    return {**ids, "sha": sha256(content)}


def merged_case_with_file(api: Api) -> dict[str, str]:
    """A case of the owning county, with a file, merged into a case the neighbour co-handles."""
    survivor = case_joined(api)["case"]
    case = ok(
        api.post("officer", OWN, "/v1/cases", {"case_type": "counterfeit", "title": "x"}), 201
    )["id"]
    content = pdf_file()
    ok(upload(api, "officer", OWN, f"/v1/cases/{case}/files", content), 201)
    body = {"survivor_id": survivor, "reason": "same supplier"}
    assert ok(api.post("officer", OWN, f"/v1/cases/{case}/merge", body))["merged"] is True
    return {"case": case, "survivor": survivor, "sha": sha256(content)}


LIST, FILE, REMOVAL = "/files", "/files/{sha}", "/files/{sha}/removal"
REASON = {"reason": "attached to the wrong record"}
NOT_CONTRIBUTOR = (409, "not-evidence-contributor")

ROUTES = [
    # leads: shared with the neighbour (reads, adds nothing), accepted by it (adds), declined
    Route(
        "lead-files",
        "GET",
        L + LIST,
        "lead",
        with_file(lead_shared, "lead"),
        {"own": 200, "neighbour": 200},
    ),
    Route(
        "lead-file",
        "GET",
        L + FILE,
        "lead",
        with_file(lead_shared, "lead"),
        {"own": 200, "neighbour": 200},
    ),
    Route(
        "attach-lead-file",
        "POST",
        L + LIST,
        "lead",
        with_file(lead_shared, "lead"),
        {"own": 201, "neighbour": NOT_CONTRIBUTOR},
    ),
    Route(
        "attach-accepted-lead-file",
        "POST",
        L + LIST,
        "lead",
        with_file(lead_accepted, "lead"),
        {"own": 201, "neighbour": 201},
    ),
    Route(
        "remove-lead-file",
        "POST",
        L + REMOVAL,
        "lead",
        with_file(lead_shared, "lead"),
        {"own": 200, "neighbour": NOT_CONTRIBUTOR},
        REASON,
    ),
    Route(
        "declined-lead-files",
        "GET",
        L + LIST,
        "lead",
        lead_referral_declined_with_file,
        {"own": 200, "neighbour": NOT_FOUND},
    ),
    Route(
        "declined-lead-file",
        "GET",
        L + FILE,
        "lead",
        lead_referral_declined_with_file,
        {"own": 200, "neighbour": NOT_FOUND},
    ),
    # cases: co-handled by the neighbour, it only invited, a case merged into a shared survivor
    Route(
        "case-files",
        "GET",
        C + LIST,
        "case",
        with_file(case_joined, "case"),
        {"own": 200, "neighbour": 200},
        detail=True,
    ),
    Route(
        "case-file",
        "GET",
        C + FILE,
        "case",
        with_file(case_joined, "case"),
        {"own": 200, "neighbour": 200},
        detail=True,
    ),
    Route(
        "attach-case-file",
        "POST",
        C + LIST,
        "case",
        with_file(case_joined, "case"),
        {"own": 201, "neighbour": 201},
    ),
    Route(
        "remove-case-file",
        "POST",
        C + REMOVAL,
        "case",
        with_file(case_joined, "case"),
        {"own": 200, "neighbour": 200},
        REASON,
    ),
    # the invited county sees the case only as its summary: no files
    *(
        Route(
            f"invited-{name}",
            "GET",
            C + path,
            "case",
            with_file(case_invited, "case"),
            {"own": 200, "neighbour": NOT_FOUND},
            detail=True,
        )
        for name, path in (("case-files", LIST), ("case-file", FILE))
    ),
    Route(
        "attach-invited-case-file",
        "POST",
        C + LIST,
        "case",
        with_file(case_invited, "case"),
        {"own": 201, "neighbour": (409, "co-handler-not-accepted")},
    ),
    Route(
        "merged-case-file",
        "GET",
        C + FILE,
        "case",
        merged_case_with_file,
        {"own": 200, "neighbour": 200},
        detail=True,
    ),
    Route(
        "attach-merged-case-file",
        "POST",
        C + LIST,
        "case",
        merged_case_with_file,
        {"own": (409, "case-is-merged"), "neighbour": (409, "case-is-merged")},
    ),
    Route(
        "remove-merged-case-file",
        "POST",
        C + REMOVAL,
        "case",
        merged_case_with_file,
        {"own": (409, "case-is-merged"), "neighbour": (409, "case-is-merged")},
        REASON,
    ),
]


@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_evidence_routes(api: Api, route: Route, role: str, relation: str) -> None:
    county = RELATIONS[relation]
    ids = {**route.setup(api), "county": county}
    record_id = ids[route.kind]
    path = fill(route.path, ids)
    before = record_version(api, route.kind, record_id)
    content = jpeg()
    if route.writes and path.endswith("/files"):
        response = upload(api, role, county, path, content)
    elif route.writes:
        response = api.post(role, county, path, fill(route.body, ids))
    else:
        response = api.get(role, county, path)
    expect = expected_on_record(route, role, relation)
    if expect == 200 and path.endswith(ids["sha"]):
        assert response.status_code == 200, response.text
        assert sha256(response.content) == ids["sha"]
        return
    body = assert_answer(response, expect)
    if expect == NOT_FOUND:
        assert body["detail"] == f"no {route.kind} {record_id}"
    if response.status_code >= 400:
        assert record_version(api, route.kind, record_id) == before, "a refusal recorded events"
    elif route.writes:
        assert {"id", "version", "position"} <= body.keys()
        assert body["version"] == before + 1
    else:
        assert body["record_id"] == record_id
        assert ids["sha"] in {f["sha256"] for f in body["files"]}
