"""Evidence files as the API shows them: what the log recorded of each file (hash, size, media
type found in the content, original name, who added it and when; its removal, if any) and where
it is attached."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.schemas.common import Public, UtcTime, WriteResult


class EvidenceFilePublic(Public):
    """One file of a lead or case. `download` is the path that streams its content (verified
    against `sha256`); a removed file stays listed, and only auditors download it."""

    sha256: str = Field(
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
    )
    size: int
    media_type: str = Field(examples=["image/jpeg"])
    name: str = Field(examples=["移交函.pdf"])
    description: str
    county: str
    officer_id: str
    added_at: UtcTime
    removed_at: UtcTime | None = None
    removed_by: str | None = None
    removal_reason: str | None = None
    record_id: UUID | None = None
    case_number: str | None = None
    download: str | None = None


class EvidenceListPublic(Public):
    """The files of a lead or case; a case's list also holds the files of the cases merged
    into it now (`record_id` and `case_number` name the case each is attached to)."""

    record_id: UUID
    files: list[EvidenceFilePublic]


class EvidenceWritten(WriteResult):
    """An attached file: the record's new version and position, and the file as recorded."""

    file: EvidenceFilePublic | None = None
