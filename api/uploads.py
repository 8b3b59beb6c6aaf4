"""Receiving an evidence upload (multipart/form-data) as it streams in: the file part goes to a
temporary file (in memory up to 1 MiB, on disk beyond) while it is hashed (SHA-256), counted and
its first bytes kept to tell its type; an upload past the size limit is refused as soon as the
limit is crossed, without reading the rest. Nothing is stored or recorded here."""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import unquote

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.errors import ApiProblem
from domain.errors import EvidenceTooLarge
from jointcase.media_types import SNIFF_BYTES, media_type_of
from service.evidence import StagedFile

#: The form's fields: the file, and an optional description.
FILE_FIELD, DESCRIPTION_FIELD = "file", "description"
MAX_DESCRIPTION = 2000
#: Room for the multipart framing around the file in a request's Content-Length.
FRAMING = 64 * 1024
SPOOL = 1024 * 1024
_FILENAME_STAR = re.compile(r"filename\*\s*=\s*UTF-8''([^;\s]+)", re.IGNORECASE)


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    field_name: str | None = None
    filename: str | None = None


class ReceivedUpload:
    """The parsed form: the file (staged), its description, and the temporary file to close."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.spool: IO[bytes] | None = None
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.filename: str | None = None
        self.description = b""
        self.seen: list[str] = []
        self._part = _Part()
        self._header_field = b""
        self._header_value = b""
        self.ended = False

    # --- parser callbacks --------------------------------------------------------------------
    def on_part_begin(self) -> None:
        self._part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self._header_field.decode("latin-1").strip().lower()
        # latin-1 keeps every byte: a UTF-8 file name is decoded from the bytes below
        self._part.headers[name] = self._header_value.decode("latin-1")
        self._header_field = self._header_value = b""

    def on_headers_finished(self) -> None:
        disposition = self._part.headers.get("content-disposition", "")
        kind, options = parse_options_header(disposition)
        if kind != b"form-data" or b"name" not in options:
            raise ApiProblem(
                422, "each part needs Content-Disposition: form-data; name=...", "invalid-input"
            )
        name = options[b"name"].decode("utf-8", "replace")
        if name not in (FILE_FIELD, DESCRIPTION_FIELD):
            raise ApiProblem(
                422,
                f"unknown form field {name[:40]!r}: send 'file' and optionally 'description'",
                "invalid-input",
            )
        if name in self.seen:
            raise ApiProblem(422, f"the form field {name!r} is given twice", "invalid-input")
        self.seen.append(name)
        self._part.field_name = name
        if name == FILE_FIELD:
            raw = options.get(b"filename")
            self.filename = raw.decode("utf-8", "replace") if raw is not None else None
            extended = _FILENAME_STAR.search(disposition)  # RFC 5987: filename*=UTF-8''...
            if extended is not None:
                self.filename = unquote(extended.group(1), errors="replace")
            self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._part.field_name == FILE_FIELD:
            assert self.spool is not None
            self.size += len(chunk)
            if self.size > self.max_bytes:
                raise EvidenceTooLarge(f"an evidence file may have at most {self.max_bytes} bytes")
            self.digest.update(chunk)
            if len(self.head) < SNIFF_BYTES:
                self.head += chunk[: SNIFF_BYTES - len(self.head)]
            self.spool.write(chunk)
        else:
            self.description += chunk
            if len(self.description) > MAX_DESCRIPTION * 4:
                raise ApiProblem(422, "the description is too long", "invalid-input")

    def on_end(self) -> None:
        self.ended = True

    # --- the result ----------------------------------------------------------------------------
    def staged(self) -> StagedFile:
        if not self.ended:
            raise ApiProblem(
                422, "the multipart body ends before its closing boundary", "invalid-input"
            )
        if FILE_FIELD not in self.seen or self.spool is None:
            raise ApiProblem(422, "the form has no 'file' part", "invalid-input")
        spool = self.spool

        def reopen() -> IO[bytes]:
            spool.seek(0)
            return _Unclosing(spool)  # type: ignore[return-value]

        return StagedFile(
            sha256=self.digest.hexdigest(),
            size=self.size,
            media_type=media_type_of(self.head),
            name=self.filename or "",
            open=reopen,
        )

    def description_text(self) -> str:
        try:
            text = self.description.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiProblem(422, "the description is not UTF-8 text", "invalid-input") from None
        if len(text) > MAX_DESCRIPTION:
            raise ApiProblem(422, "the description is too long", "invalid-input")
        return text

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()


class _Unclosing:
    """The staged file, handed to a store that may close it: it stays open for a re-read."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def close(self) -> None:
        pass

    def __enter__(self) -> _Unclosing:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


async def receive_upload(request: Request, max_bytes: int) -> ReceivedUpload:
    """Parses the request body as it arrives. 415 unless multipart/form-data, 413 as soon as
    the file (or the declared Content-Length) exceeds the limit, 422 for a malformed form."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data":
        raise ApiProblem(
            415, "send the file as multipart/form-data (field 'file')", "unsupported-media-type"
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise ApiProblem(422, "the multipart body has no boundary", "invalid-input")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + FRAMING:
        raise EvidenceTooLarge(f"an evidence file may have at most {max_bytes} bytes")
    upload = ReceivedUpload(max_bytes)
    callbacks: Any = {
        "on_part_begin": upload.on_part_begin,
        "on_header_field": upload.on_header_field,
        "on_header_value": upload.on_header_value,
        "on_header_end": upload.on_header_end,
        "on_headers_finished": upload.on_headers_finished,
        "on_part_data": upload.on_part_data,
        "on_end": upload.on_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        upload.close()
        raise ApiProblem(422, "the multipart body is malformed", "invalid-input") from None
    except BaseException:
        upload.close()
        raise
    return upload
