"""Evidence files (现场照片, 移交函, 询问笔录 scans) attached to a lead or a case.

The content lives outside the log, addressed by its SHA-256; the event records the hash, the
size, the media type found in the content, the original name and who added it, so the log's
signed chain covers the file. Removing a file is an event too: the content stays for audit.
``EvidenceFiles`` is a part mixed into both ``Lead`` and ``Case``; the library redefines its
events on each (stored as ``domain.lead:Lead.EvidenceAttached``, ``domain.case:Case...``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from domain.errors import (
    EvidenceAlreadyAttached,
    EvidenceEmpty,
    EvidenceTooLarge,
    EvidenceTypeNotAllowed,
    InvalidInput,
    NotFound,
)
from domain.events import JointEvent, stamp
from domain.values import Context, required_text

if TYPE_CHECKING:
    _Aggregate = Aggregate  # mixed into an Aggregate: let it see its methods
else:
    _Aggregate = object

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
#: The longest original name kept (in characters, after cleaning).
MAX_NAME = 200
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
#: Control characters a description never keeps (NUL above all: PostgreSQL text cannot hold it).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_name(name: str) -> str:
    """The original file name as recorded: its last path segment, NFC, without control or
    path characters, at most ``MAX_NAME`` characters; "evidence" when nothing is left."""
    base = re.split(r"[/\\]", name or "")[-1]
    cleaned = _UNSAFE_IN_NAME.sub("_", unicodedata.normalize("NFC", base)).strip(" .")
    return cleaned[:MAX_NAME] or "evidence"


@dataclass(frozen=True)
class EvidencePolicy:
    """What a deployment accepts as evidence: a size limit and the media types (as found in the
    content, never as named by the client)."""

    max_bytes: int
    media_types: frozenset[str]

    def check_size(self, size: int) -> None:
        if size <= 0:
            raise EvidenceEmpty("an evidence file must not be empty")
        if size > self.max_bytes:
            raise EvidenceTooLarge(
                f"an evidence file may have at most {self.max_bytes} bytes"
                + (f"; this one has {size}" if size < 2**62 else "")
            )

    def check_type(self, media_type: str | None) -> str:
        if media_type is None:
            raise EvidenceTypeNotAllowed(
                "the file's content is not of a recognised type; accepted: "
                + ", ".join(sorted(self.media_types))
            )
        if media_type not in self.media_types:
            raise EvidenceTypeNotAllowed(
                f"the file's content is {media_type}; accepted: "
                + ", ".join(sorted(self.media_types))
            )
        return media_type


@dataclass
class EvidenceFile:
    """One file attached to a lead or case, as recorded (removal keeps it, marked removed)."""

    sha256: str
    size: int
    media_type: str
    name: str
    description: str
    county: str
    officer_id: str
    added_at: datetime
    removed_at: datetime | None = None
    removed_by: str | None = None
    removal_reason: str | None = None

    @property
    def is_attached(self) -> bool:
        return self.removed_at is None


class EvidenceFiles(_Aggregate):
    """The evidence part of ``Lead`` and ``Case``. The aggregate says who may add or remove
    files (``_check_evidence_contributor``); this part keeps the files and their rules."""

    if TYPE_CHECKING:
        evidence: list[EvidenceFile]  # assigned by the events (absent before the first file)

    class EvidenceAttached(JointEvent):
        sha256: str
        size: int
        media_type: str
        name: str
        description: str

        def apply(self, aggregate: EvidenceFiles) -> None:
            files = list(aggregate.evidence_files())
            files.append(
                EvidenceFile(
                    sha256=self.sha256,
                    size=self.size,
                    media_type=self.media_type,
                    name=self.name,
                    description=self.description,
                    county=self.actor.county,
                    officer_id=self.actor.officer_id,
                    added_at=self.timestamp,
                )
            )
            aggregate.evidence = files

    class EvidenceRemoved(JointEvent):
        sha256: str
        reason: str

        def apply(self, aggregate: EvidenceFiles) -> None:
            for file in aggregate.evidence_files():
                if file.sha256 == self.sha256 and file.is_attached:
                    file.removed_at = self.timestamp
                    file.removed_by = self.actor.officer_id
                    file.removal_reason = self.reason

    def _check_evidence_contributor(self, ctx: Context) -> None:
        """Who may add or remove files on this record (the aggregate decides)."""
        raise NotImplementedError

    def evidence_files(self) -> list[EvidenceFile]:
        """Every file recorded, in the order added (removed ones included, marked)."""
        files: list[EvidenceFile] | None = getattr(self, "evidence", None)
        return files if files is not None else []

    def attached_file(self, sha256: str) -> EvidenceFile | None:
        """The file attached now with this content, if any."""
        for file in self.evidence_files():
            if file.sha256 == sha256 and file.is_attached:
                return file
        return None

    def recorded_file(self, sha256: str) -> EvidenceFile | None:
        """The latest file recorded with this content (attached now or removed)."""
        found = None
        for file in self.evidence_files():
            if file.sha256 == sha256:
                found = file
        return found

    def check_contributor(self, ctx: Context) -> None:
        """Refuses a county that may not add files here (before an upload is even read)."""
        self._check_evidence_contributor(ctx)

    def check_can_attach(self, sha256: str, ctx: Context) -> None:
        """The checks of ``attach_evidence``, without recording anything (before the content
        is stored)."""
        if not SHA256_HEX.match(sha256):
            raise InvalidInput("a file's hash is 64 lower-case hexadecimal digits (SHA-256)")
        self._check_evidence_contributor(ctx)
        if self.attached_file(sha256) is not None:
            raise EvidenceAlreadyAttached("a file with exactly this content is already attached")

    def attach_evidence(
        self,
        *,
        sha256: str,
        size: int,
        media_type: str,
        name: str,
        description: str,
        policy: EvidencePolicy,
        ctx: Context,
    ) -> None:
        self.check_can_attach(sha256, ctx)
        policy.check_size(size)
        policy.check_type(media_type)
        self.trigger_event(
            self.EvidenceAttached,
            sha256=sha256,
            size=size,
            media_type=media_type,
            name=clean_name(name),
            description=_CONTROL.sub("", description).strip()[:2000],
            **stamp(ctx),
        )

    def remove_evidence(self, sha256: str, reason: str, ctx: Context) -> None:
        """Takes a file off the record (the content and the attaching event stay, for audit)."""
        self._check_evidence_contributor(ctx)
        if self.attached_file(sha256) is None:
            raise NotFound(f"no file {sha256} is attached here")
        self.trigger_event(
            self.EvidenceRemoved,
            sha256=sha256,
            reason=required_text(reason, "the reason for removing a file"),
            **stamp(ctx),
        )

    def evidence_public(self) -> list[dict[str, Any]]:
        return [vars(f).copy() for f in self.evidence_files()]
