"""/v1/events and /v1/audit: the global event log by position and the audit trail (with CSV and
JSON Lines export), for auditors and administrators (each event as far as the caller's county
may read it), and the log's hash chain, for auditors. Every event is shown in
the one `EventPublic` shape; informant identities never appear."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import StreamingResponse

from api.deps import CurrentOfficer, ServicesDep
from api.errors import ApiProblem, problems
from api.jsonresp import JSONResponse, dumps
from api.offload import OffloadedRoute
from api.present import EVENT_COLUMNS, event_public, event_row
from api.schemas import NO_NUL, IsoDateTime
from api.schemas.events import AuditPagePublic, ChainHeadPublic, EventLogPublic, VerificationPublic
from api.waiting import WaitFor, await_views
from domain.access import audit_scope, require_auditor
from jointcase.storage import chain_signer, resolve_database
from projections.chain import verify

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["audit"])
_EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The matching events: JSON (a page), or every match as CSV or JSON Lines "
        "(one `EventPublic` a line).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/events", response_model=EventLogPublic, responses=problems(401, 403, 422, 503))
def event_log(
    services: ServicesDep,
    officer: CurrentOfficer,
    after: Annotated[int, Query(ge=0, le=2**62, description="Last position seen.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wait_for: WaitFor = None,
) -> EventLogPublic:
    """Events after a position, oldest first: every event for auditors, for an administrator
    those its county may read. Page with `after=<next_after>`; positions can have gaps, so
    never page by counting. Read from the audit trail once it holds the log up to `wait_for`
    (default: the whole log as the request arrived; 503 with Retry-After if it is further
    behind than a few seconds)."""
    scope = audit_scope(officer.actor)
    audit = services.views.audit
    last_position = services.app.log_position()
    await_views(services, [audit], last_position if wait_for is None else wait_for)
    scanned = audit.position()
    rows = audit.trail(visible_to=scope, after=after, until_position=scanned, limit=limit)
    # a short page scanned the trail up to its position: page on from there
    next_after = rows[-1]["position"] if len(rows) == limit else max(after, scanned)
    return EventLogPublic(
        items=[event_public(row) for row in rows],
        next_after=next_after,
        last_position=max(last_position, scanned),
    )


@router.get(
    "/audit/events",
    response_model=AuditPagePublic,
    responses={**problems(401, 403, 422, 503), **_EXPORTS},
)
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
    internally): every event for auditors, for an administrator those its county may read
    (`county` filters on the county whose staff recorded an event). Informant identities
    never appear in it."""
    scope = audit_scope(officer.actor)
    audit = services.views.audit
    await_views(services, [audit], wait_for)
    filters: dict[str, Any] = {
        "case_id": case_id,
        "lead_id": lead_id,
        "aggregate_id": aggregate_id,
        "county": county,
        "officer_id": officer_id,
        "event_type": event_type,
        "visible_to": scope,
        "since": recorded_from,
        "until": recorded_to,
    }
    if format == "json":
        rows = audit.trail(**filters, after=after, limit=limit)
        return AuditPagePublic(
            items=[event_public(row) for row in rows],
            next_after=rows[-1]["position"] if rows else after,
        )

    def pages() -> Iterator[list[Any]]:
        position = after
        while rows := audit.trail(**filters, after=position, limit=1000):
            yield [event_public(row) for row in rows]
            position = rows[-1]["position"]

    if format == "jsonl":
        # A chunk per page of a thousand events, as the CSV: each chunk of a streamed answer is
        # taken from this iterator in a thread of its own (20,000 lines of this size as 20,000
        # chunks took 3.1-3.3 s through uvicorn, as 20 chunks 0.01 s).
        chunks = (b"".join(e.model_dump_json().encode() + b"\n" for e in page) for page in pages())
        return StreamingResponse(
            chunks,
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'},
        )
    return StreamingResponse(
        _csv(pages()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


def _csv(pages: Iterator[list[Any]]) -> Iterator[str]:
    """The CSV export, a chunk per page of events (`data` as JSON in its cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EVENT_COLUMNS)
    for page in pages:
        for event in page:
            row = event_row(event)
            writer.writerow(
                dumps(row[c]).decode() if c == "data" else ("" if row[c] is None else row[c])
                for c in EVENT_COLUMNS
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


@router.get(
    "/audit/verify",
    response_model=VerificationPublic,
    responses={
        **problems(401, 403),
        409: {"description": "The chain names the first bad event.", "model": VerificationPublic},
    },
)
def audit_verify(services: ServicesDep, officer: CurrentOfficer) -> object:
    """Checks the events table against the chain written with it (no read model): how many
    events up to which position; names the first altered, removed, inserted, reordered or
    unsigned event (409 then)."""
    require_auditor(officer.actor)
    db = resolve_database(services.settings)
    verifier = chain_signer(services.settings, db).verifier
    result = verify(db.conninfo(), verifier, schema=db.schema or "public")
    body = VerificationPublic.model_validate(result.as_dict())
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if result.ok else 409)


@router.get("/audit/head", response_model=ChainHeadPublic, responses=problems(401, 403, 404, 422))
def audit_head(
    services: ServicesDep,
    officer: CurrentOfficer,
    position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> object:
    """The chain link at a position (default: the latest), to keep outside the system."""
    require_auditor(officer.actor)
    head = services.views.audit.head(position)
    if head is None:
        raise ApiProblem(404, "the audit chain is empty", "not-found")
    return head
