"""Read models over HTTP: county workspaces, case search, case timelines, the audit trail (with
CSV / JSON Lines export), chain verification. Every view read takes `wait_for=<position>`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import StreamingResponse

from api.deps import CurrentOfficer, ServicesDep, require_roles
from api.errors import ApiProblem
from api.jsonresp import JSONResponse, dumps
from api.schemas import NO_NUL, IsoDateTime
from api.waiting import WaitFor, await_views
from domain.values import Role
from projections.audit import verify
from projections.cases import SORTABLE

router = APIRouter(prefix="/v1", tags=["views"])


@router.get("/workspace")
def workspace(
    services: ServicesDep,
    officer: CurrentOfficer,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    include_done: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    wait_for: WaitFor = None,
) -> JSONResponse:
    """What a county has to act on, soonest deadline first, with deadlines; `overdue` is
    computed against now. `counts` covers every open item; `items` at most `limit` of them."""
    county = county or officer.county
    if county != officer.county and officer.role != Role.AUDITOR:
        raise ApiProblem(403, "a county sees only its own workspace", "permission-denied")
    views = services.views
    await_views(services, [views.workspace, views.case_search], wait_for)
    now = services.clock()
    items = views.workspace.items(county, now, include_done, limit)
    counts = views.workspace.counts(county, now)
    _, led = views.case_search.search(county=county, status="open", limit=100)
    co_handled = views.case_search.query(
        "SELECT * FROM case_search WHERE status = 'open' AND co_handlers @> ARRAY[%s]::text[]"
        " ORDER BY recorded_at DESC LIMIT 100",
        (county,),
    )
    return JSONResponse(
        {
            "county": county,
            "as_of": now,
            "position": min(views.workspace.position(), views.case_search.position()),
            "items": items,
            "open": counts["open"],
            "overdue": counts["overdue"],
            "open_cases": {"lead": led, "co_handled": co_handled},
        }
    )


@router.get("/cases")
def search_cases(
    services: ServicesDep,
    officer: CurrentOfficer,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    status: Literal["open", "closed", "merged"] | None = None,
    case_type: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    opened_from: IsoDateTime | None = None,
    opened_to: IsoDateTime | None = None,
    q: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="Free text.")
    ] = None,
    sort: Literal["recorded_at", "opened_at", "modified_at", "number", "value"] = "recorded_at",
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    wait_for: WaitFor = None,
) -> JSONResponse:
    """Search the cases this officer may see: filter, free text, sort, page."""
    assert sort in SORTABLE
    for moment in (opened_from, opened_to):
        if moment is not None and moment.tzinfo is None:
            raise ApiProblem(422, "dates must carry a time zone", "invalid-input")
    await_views(services, [services.views.case_search], wait_for)
    sees_all = officer.role in (Role.AUDITOR, Role.COMMITTEE)
    total, rows = services.views.case_search.search(
        county=county,
        visible_to=None if sees_all else officer.county,
        status=status,
        case_type=case_type,
        since=opened_from,
        until=opened_to,
        text=q,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )
    for row in rows:
        row.pop("visible_to", None)
    return JSONResponse({"total": total, "limit": limit, "offset": offset, "items": rows})


@router.get("/cases/{case_id}/timeline")
def case_timeline(
    case_id: UUID, services: ServicesDep, officer: CurrentOfficer, wait_for: WaitFor = None
) -> JSONResponse:
    """Every event of the case and of the cases merged into it, in log order, with actor, time
    and reason; an un-merge shows as MergeReversed / AbsorbedCaseReleased."""
    services.app.get_case(case_id, viewer=officer.actor)
    await_views(services, [services.views.audit], wait_for)
    return JSONResponse({"case_id": case_id, "events": services.views.audit.timeline(case_id)})


AUDIT_COLUMNS = (
    "position",
    "aggregate_id",
    "aggregate_type",
    "version",
    "event_type",
    "recorded_at",
    "officer_id",
    "county",
    "role",
    "correlation_id",
    "case_id",
    "lead_id",
    "reason",
    "data",
)


@router.get("/audit/events")
def audit_events(
    services: ServicesDep,
    officer: CurrentOfficer,
    case_id: UUID | None = None,
    lead_id: UUID | None = None,
    aggregate_id: UUID | None = None,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    officer_id: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    event_type: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    recorded_from: IsoDateTime | None = None,
    recorded_to: IsoDateTime | None = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    format: Literal["json", "csv", "jsonl"] = "json",
    wait_for: WaitFor = None,
) -> object:
    """The audit trail, filtered; `format=csv` or `jsonl` exports every matching event (paged
    internally). Informant identities never appear in it."""
    require_roles(officer, Role.AUDITOR, Role.ADMIN)
    for moment in (recorded_from, recorded_to):
        if moment is not None and moment.tzinfo is None:
            raise ApiProblem(422, "dates must carry a time zone", "invalid-input")
    audit = services.views.audit
    await_views(services, [audit], wait_for)
    filters: dict[str, Any] = {
        "case_id": case_id,
        "lead_id": lead_id,
        "aggregate_id": aggregate_id,
        "county": county,
        "officer_id": officer_id,
        "event_type": event_type,
        "since": recorded_from,
        "until": recorded_to,
    }
    if format == "json":
        rows = audit.trail(**filters, after=after, limit=limit)
        return JSONResponse({"items": rows, "next_after": rows[-1]["position"] if rows else after})

    def pages() -> Iterator[list[dict[str, object]]]:
        position = after
        while True:
            rows = audit.trail(**filters, after=position, limit=1000)
            if not rows:
                return
            yield rows
            position = rows[-1]["position"]

    if format == "jsonl":
        body = (dumps(row) + b"\n" for page in pages() for row in page)
        return StreamingResponse(
            body,
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'},
        )

    def csv_lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(AUDIT_COLUMNS)
        for page in pages():
            for row in page:
                writer.writerow(
                    [
                        dumps(row[c]).decode()
                        if c == "data"
                        else ("" if row[c] is None else row[c])
                        for c in AUDIT_COLUMNS
                    ]
                )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        csv_lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@router.get("/audit/verify")
def audit_verify(services: ServicesDep, officer: CurrentOfficer) -> JSONResponse:
    """Recomputes the hash chain from the events table; names the first altered, removed,
    inserted or reordered event."""
    require_roles(officer, Role.AUDITOR, Role.ADMIN)
    from jointcase.storage import resolve_database

    db = resolve_database(services.settings)
    result = verify(db.conninfo(), schema=db.schema or "public")
    return JSONResponse(result.as_dict(), status_code=200 if result.ok else 409)


@router.get("/audit/head")
def audit_head(
    services: ServicesDep,
    officer: CurrentOfficer,
    position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> JSONResponse:
    """The chain link at a position (default: the latest), to keep outside the system."""
    require_roles(officer, Role.AUDITOR, Role.ADMIN)
    head = services.views.audit.head(position)
    if head is None:
        raise ApiProblem(404, "the audit chain is empty", "not-found")
    return JSONResponse(head)
