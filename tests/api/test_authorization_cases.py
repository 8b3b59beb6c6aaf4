"""The authorization matrix on the routes of a case: every role x the acting county's relation
to the case (see tests/api/authz.py for what the matrix encodes)."""

from __future__ import annotations

import pytest

from tests.api.authz import (
    C_BY_NUMBER,
    FORBIDDEN,
    NOT_FOUND,
    POLICE_REFERRAL,
    REASON,
    RELATIONS,
    SEIZURE,
    THIRD,
    C,
    Route,
    case_and_shared_survivor,
    case_and_survivor,
    case_assisted,
    case_closed,
    case_co_handling_declined,
    case_invited,
    case_joined,
    case_joined_by_number,
    case_merge_declined,
    case_merge_proposed,
    case_merged,
    case_merged_into_shared_survivor,
    case_referred_to_police,
    case_unmerged_across,
    check_record_route,
    survivor_of_merged_across,
)
from tests.api.conftest import ROLES, Api

CASE_ROUTES = [
    Route(
        "get-case-by-number",
        "GET",
        C_BY_NUMBER,
        "case",
        case_joined_by_number,
        {"own": 200, "neighbour": 200},
    ),
    # cases: the neighbour co-handles, is invited, was asked for assistance or is party to a merge
    Route("get-case", "GET", C, "case", case_joined, {"own": 200, "neighbour": 200}),
    # the neighbour invited, asked for assistance or party to an open merge proposal reads the
    # summary by id and nothing of the details
    *(
        Route(
            f"get-case-{suffix}",
            "GET",
            C,
            "case",
            setup,
            {"own": 200, "neighbour": 200},
            summary=frozenset({"neighbour"}),
        )
        for suffix, setup in (
            ("invited", case_invited),
            ("assisting", case_assisted),
            ("merge-proposed", case_merge_proposed),
        )
    ),
    *(
        Route(
            f"{name}-{suffix}",
            "GET",
            C + path,
            "case",
            setup,
            {"own": 200, "neighbour": NOT_FOUND},
            detail=True,
        )
        for name, path in (
            ("case-history", "/history"),
            ("case-timeline", "/timeline"),
            ("police-advice", "/police-advice"),
        )
        for suffix, setup in (
            ("invited", case_invited),
            ("assisting", case_assisted),
            ("merge-proposed", case_merge_proposed),
        )
    ),
    Route(
        "get-case-merged-into-shared",
        "GET",
        C,
        "case",
        case_merged_into_shared_survivor,
        {"own": 200, "neighbour": 200},
    ),
    # ...and what an answer takes away ("Who sees what"): a declined invitation or merge
    # proposal, an un-merge; the county of an absorbed case sees the survivor while merged
    *(
        Route(
            f"{name}-{suffix}",
            "GET",
            C + path,
            "case",
            setup,
            {"own": 200, "neighbour": seen},
            detail=path != "",
        )
        for name, path in (("get-case", ""), ("case-history", "/history"))
        for suffix, setup, seen in (
            ("co-handling-declined", case_co_handling_declined, NOT_FOUND),
            ("merge-declined", case_merge_declined, NOT_FOUND),
            ("unmerged", case_unmerged_across, NOT_FOUND),
            ("survivor-of-own", survivor_of_merged_across, 200),
        )
    ),
    Route(
        "case-timeline-co-handling-declined",
        "GET",
        C + "/timeline",
        "case",
        case_co_handling_declined,
        {"own": 200, "neighbour": NOT_FOUND},
        detail=True,
    ),
    Route(
        "case-history",
        "GET",
        C + "/history",
        "case",
        case_joined,
        {"own": 200, "neighbour": 200},
        detail=True,
    ),
    Route(
        "case-timeline",
        "GET",
        C + "/timeline",
        "case",
        case_joined,
        {"own": 200, "neighbour": 200},
        detail=True,
    ),
    Route(
        "police-advice",
        "GET",
        C + "/police-advice",
        "case",
        case_joined,
        {"own": 200, "neighbour": 200},
        detail=True,
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
        # the neighbour co-handles the case but may not see the survivor: not found
        {"own": 200, "neighbour": NOT_FOUND},
        {"survivor_id": "{survivor}", "reason": "same supplier"},
        not_found="survivor",
    ),
    Route(
        "merge-case-survivor-seen",
        "POST",
        C + "/merge",
        "case",
        case_and_shared_survivor,
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


@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", CASE_ROUTES, ids=lambda r: r.name)
def test_case_routes(api: Api, route: Route, role: str, relation: str) -> None:
    check_record_route(api, route, role, relation)
