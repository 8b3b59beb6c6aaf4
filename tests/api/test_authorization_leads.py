"""The authorization matrix on the routes of a lead: every role x the acting county's relation
to the lead (see tests/api/authz.py for what the matrix encodes)."""

from __future__ import annotations

import pytest

from tests.api.authz import (
    FORBIDDEN,
    NEIGHBOUR,
    NOT_FOUND,
    REASON,
    RELATIONS,
    THIRD,
    L,
    Route,
    check_record_route,
    lead_accepted,
    lead_referral_declined,
    lead_referral_withdrawn,
    lead_referred,
    lead_shared,
    lead_shared_with_informant,
)
from tests.api.conftest import ROLES, Api

LEAD_ROUTES = [
    # leads: the neighbour received a share or a referral
    Route("get-lead", "GET", L, "lead", lead_shared, {"own": 200, "neighbour": 200}),
    Route("get-lead-referred", "GET", L, "lead", lead_referred, {"own": 200, "neighbour": 200}),
    # a declined or withdrawn referral: the county no longer sees the lead
    Route(
        "get-lead-referral-declined",
        "GET",
        L,
        "lead",
        lead_referral_declined,
        {"own": 200, "neighbour": NOT_FOUND},
    ),
    Route(
        "get-lead-referral-withdrawn",
        "GET",
        L,
        "lead",
        lead_referral_withdrawn,
        {"own": 200, "neighbour": NOT_FOUND},
    ),
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
]


@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", LEAD_ROUTES, ids=lambda r: r.name)
def test_lead_routes(api: Api, route: Route, role: str, relation: str) -> None:
    check_record_route(api, route, role, relation)
