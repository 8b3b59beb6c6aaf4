"""/v1/leads/{id}/files and /v1/cases/{id}/files: attach an evidence file (multipart upload,
streamed), list the files, download one (streamed and verified against its recorded SHA-256),
remove one (an event; the content stays for audit). The same routes for leads and cases."""

import hashlib
import logging
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from api.deps import CurrentOfficer, RequestContext, ServicesDep, Write, WriteDep, parse_if_match
from api.errors import WRITE, WRITE_WITH_BODY, ApiProblem, problems
from api.offload import OffloadedRoute
from api.schemas import ReasonBody, WriteResult
from api.schemas.evidence import EvidenceFilePublic, EvidenceListPublic, EvidenceWritten
from api.uploads import receive_upload
from domain.case import Case
from domain.lead import Lead
from service.evidence import EvidenceCorrupted, FileOnRecord, Record
from service.store import Written

log = logging.getLogger("jointcase.evidence")
router = APIRouter(route_class=OffloadedRoute, tags=["evidence files"])
Sha256 = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-f]{64}$",
        description="The file's SHA-256 (64 lower-case hexadecimal digits).",
    ),
]
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "description": {"type": "string", "maxLength": 2000},
                    },
                    "additionalProperties": False,
                }
            }
        },
    }
}


def content_disposition(name: str) -> str:
    """``attachment`` with the original name, safe in a header: an ASCII fallback without
    quotes, backslashes or control characters, and the exact name as RFC 5987 UTF-8."""
    fallback = (
        "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\;%' else "_" for c in name).strip()
        or "evidence"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _file_public(prefix: str, entry: FileOnRecord) -> EvidenceFilePublic:
    public = EvidenceFilePublic.model_validate(vars(entry.file))
    public.record_id = entry.record_id
    public.case_number = entry.case_number
    public.download = f"{prefix}/{entry.record_id}/files/{entry.file.sha256}"
    return public


def _routes(kind: Record, prefix: str) -> None:
    """The four routes of one kind of record (lead or case)."""
    label = "lead" if kind is Lead else "case"
    # the path names the id like every other route of the record: {lead_id} or {case_id}
    RecordId = Annotated[UUID, Path(alias=f"{label}_id", description=f"The {label}'s id.")]

    async def attach_file(
        record_id: RecordId,
        request: Request,
        services: ServicesDep,
        officer: CurrentOfficer,
        ctx: RequestContext,
    ) -> Response:
        app = services.app
        # Refused before the body is read: the role, the record, the caller's county.
        await run_in_threadpool(app.check_attachment, kind, record_id, ctx)
        upload = await receive_upload(request, app.evidence_policy.max_bytes)
        try:
            staged = upload.staged()
            description = upload.description_text()
            fingerprint = hashlib.sha256(
                "\0".join(
                    ("POST", request.url.path, staged.sha256, staged.name, description)
                ).encode()
            ).hexdigest()
            key = request.headers.get("Idempotency-Key")
            if key is not None and not (1 <= len(key) <= 200 and key.isprintable()):
                raise ApiProblem(
                    422, "Idempotency-Key must be 1 to 200 printable characters", "invalid-input"
                )
            write = Write(
                services=services,
                ctx=ctx,
                officer=officer,
                expected_version=parse_if_match(request.headers.get("If-Match")),
                key=key,
                fingerprint=fingerprint,
                request=request,
            )

            def action() -> Written:
                return app.attach_evidence(kind, record_id, ctx, staged, description)

            def location(written: Written) -> str:
                return f"{prefix}/{record_id}/files/{staged.sha256}"

            def body(written: Written) -> dict[str, Any]:
                entry = FileOnRecord(written.details["file"], record_id)
                return {"file": _file_public(prefix, entry).model_dump(mode="json")}

            return await run_in_threadpool(
                write.run, action, status=201, location=location, body=body
            )
        finally:
            upload.close()

    def list_files(record_id: RecordId, services: ServicesDep, officer: CurrentOfficer) -> Any:
        files = services.app.evidence_files(kind, record_id, officer.actor)
        return EvidenceListPublic(
            record_id=record_id, files=[_file_public(prefix, f) for f in files]
        )

    def download_file(
        record_id: RecordId, sha256: Sha256, services: ServicesDep, officer: CurrentOfficer
    ) -> Response:
        try:
            entry, chunks = services.app.evidence_file(kind, record_id, sha256, officer.actor)
        except EvidenceCorrupted as e:
            log.error("evidence integrity", extra={"sha256": sha256, "error": str(e)})
            raise ApiProblem(
                500,
                "the stored file does not match the hash the log recorded; it is not served",
                "evidence-corrupted",
            ) from None
        file = entry.file
        return StreamingResponse(
            _guarded(chunks, sha256),
            media_type=file.media_type,
            headers={
                "Content-Length": str(file.size),
                "Content-Disposition": content_disposition(file.name),
                "ETag": f'"{file.sha256}"',
                "X-Content-SHA256": file.sha256,
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    def remove_file(record_id: RecordId, sha256: Sha256, body: ReasonBody, w: WriteDep) -> Any:
        app = w.services.app
        return w.run(
            lambda: app.remove_evidence(
                kind, record_id, sha256, body.reason, w.ctx, w.expected_version
            )
        )

    path = f"{prefix}/{{{label}_id:uuid}}/files"
    router.add_api_route(
        path,
        attach_file,
        methods=["POST"],
        status_code=201,
        response_model=EvidenceWritten,
        responses=problems(*WRITE_WITH_BODY, 413, 415),
        openapi_extra=_UPLOAD_BODY,
        name=f"attach_{label}_file",
        summary=f"Attach an evidence file to a {label}",
        description=f"Upload a file (multipart/form-data: `file`, optional `description`) to the "
        f"{label}. Its type is told by its content (`JOINTCASE_EVIDENCE_MEDIA_TYPES`), its "
        "size is limited (`JOINTCASE_EVIDENCE_MAX_BYTES`: 413), its SHA-256 and size are "
        "recorded in the event. The same content twice on one record is refused (409).",
    )
    router.add_api_route(
        path,
        list_files,
        methods=["GET"],
        response_model=EvidenceListPublic,
        responses=problems(401, 404, 422),
        name=f"list_{label}_files",
        summary=f"The evidence files of a {label}",
        description="Every file recorded (removed ones marked)"
        + (", with those of the cases merged into it now." if kind is Case else "."),
    )
    router.add_api_route(
        f"{path}/{{sha256}}",
        download_file,
        methods=["GET"],
        response_class=StreamingResponse,
        responses={
            200: {"description": "The file's content, verified against its SHA-256."},
            **problems(401, 404, 422, 500),
        },
        name=f"download_{label}_file",
        summary=f"Download an evidence file of a {label}",
        description="Streams the content with its recorded media type and name; the content is "
        "checked against the recorded SHA-256 first (500 `evidence-corrupted`, nothing served, "
        "if it does not match) and again while it streams.",
    )
    router.add_api_route(
        f"{path}/{{sha256}}/removal",
        remove_file,
        methods=["POST"],
        response_model=WriteResult,
        responses=problems(*WRITE, 400),
        name=f"remove_{label}_file",
        summary=f"Remove an evidence file from a {label}",
        description="Takes the file off the record with a reason (an event); its content and "
        "the event that attached it stay, for audit.",
    )


def _guarded(chunks: Iterator[bytes], sha256: str) -> Iterator[bytes]:
    """The verified stream; a mismatch found while streaming cuts the answer short (the
    client sees an incomplete body, never a complete wrong one) and is logged."""
    try:
        yield from chunks
    except EvidenceCorrupted:
        log.error("evidence integrity while streaming", extra={"sha256": sha256})
        raise


_routes(Lead, "/v1/leads")
_routes(Case, "/v1/cases")
