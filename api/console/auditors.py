"""Auditors' pages: the global event log by position, any case or lead as of a version or a
moment, and the audit verification with the signed checkpoints. The same queries and checks as
`api/routers/events.py` and `proofs.py` (auditors and administrators read; the domain says so)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from api.console.web import SignedInPage, local_moment, visible
from api.offload import OffloadedRoute
from api.present import case_public, event_public, lead_public
from api.routers.cases import case_seizures
from api.schemas import IsoDateTime
from domain.access import audit_scope, require_audit_reader
from domain.errors import DomainError
from jointcase.checkpoints import Checkpoints
from jointcase.storage import chain_signer, resolve_database
from projections.chain import verify

router = APIRouter(route_class=OffloadedRoute, include_in_schema=False)
PAGE = 50


@router.get("/audit/events")
def event_log(
    p: SignedInPage,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> Response:
    """The global event log by position, oldest first, a page at a time (positions can have
    gaps: the next page starts after the last position shown)."""
    scope = visible(lambda: audit_scope(p.officer.actor))
    audit = p.services.views.audit
    last_position = p.services.app.log_position()
    scanned = audit.position()
    rows = audit.trail(visible_to=scope, after=after, until_position=scanned, limit=PAGE)
    next_after = rows[-1]["position"] if len(rows) == PAGE else max(after, scanned)
    return p.render(
        "audit_events.html",
        timeline=[event_public(row) for row in rows],
        after=after,
        next_after=next_after,
        last_position=max(last_position, scanned),
    )


@router.get("/audit/records")
def record_as_of(
    p: SignedInPage,
    kind: Annotated[str, Query(max_length=10)] = "case",
    record: Annotated[str, Query(max_length=60)] = "",
    version: Annotated[str, Query(max_length=12)] = "",
    moment: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """A case (by id or number) or a lead as it was at a version or a moment (time travel)."""
    visible(lambda: require_audit_reader(p.officer.actor))
    shown = None
    error = None
    if record.strip():
        try:
            shown = _as_of(p, kind, record.strip(), version.strip(), moment.strip())
        except (ValueError, DomainError) as e:
            error = e.message if isinstance(e, DomainError) else str(e)
    return p.render(
        "audit_records.html",
        kind=kind,
        record=record,
        version=version,
        moment=moment,
        shown=shown,
        error=error,
    )


def _as_of(p: SignedInPage, kind: str, record: str, version: str, moment: str) -> object:
    app = p.services.app
    at_version = int(version) if version else None
    if at_version is not None and not 1 <= at_version <= 10**9:
        raise ValueError("a version is a whole number from 1")
    as_of = None
    if moment:
        from pydantic import TypeAdapter

        as_of = TypeAdapter(IsoDateTime).validate_python(local_moment(p, moment))
    viewer = p.officer.actor
    if kind == "lead":
        lead = app.get_lead(UUID(record), version=at_version, as_of=as_of, viewer=viewer)
        return {"kind": "lead", "record": lead_public(lead)}
    case_id = (
        UUID(record) if record.count("-") == 4 else app.find_case_number(record, viewer=viewer).id
    )
    case = app.get_case(case_id, version=at_version, as_of=as_of, viewer=viewer)
    return {"kind": "case", "record": case_public(case, case_seizures(p.services, case))}


@router.get("/audit/verify")
def verification(p: SignedInPage) -> Response:
    """Checks the events table against the chain and signatures written with it (no read
    model), and lists the signed checkpoints to keep outside."""
    visible(lambda: require_audit_reader(p.officer.actor))
    db = resolve_database(p.services.settings)
    verifier = chain_signer(p.services.settings, db).verifier
    result = verify(db.conninfo(), verifier, schema=db.schema or "public")
    checkpoints = Checkpoints(db.conninfo(), db.schema or "public").all()
    return p.render(
        "audit_verify.html",
        result=result.as_dict(),
        checkpoints=[c.as_dict(verifier) for c in reversed(checkpoints[-50:])],
        public_key=verifier.text(),
        status=200 if result.ok else 409,
    )
