"""Use cases of evidence files on leads and cases: attach (the content stored by its hash, the
event recording hash, size, type, name and who added it), remove (an event; the content stays),
list (a case's own files and those of the cases merged into it now) and read back, verified
against the recorded hash."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol
from uuid import UUID

from domain.access import Visibility, require_recorder
from domain.case import Case
from domain.errors import NotFound
from domain.evidence import SHA256_HEX, EvidenceFile, EvidenceFiles, EvidencePolicy
from domain.lead import Lead
from domain.values import Actor, Context, Role
from service.ports import NOT_CONNECTED
from service.store import Decided, Store, Written, decided

#: The records evidence attaches to.
Record = type[Lead] | type[Case]


class EvidenceContent(Protocol):
    """Content addressed by SHA-256 (``jointcase/evidence_store.py``)."""

    def has(self, sha256: str) -> bool: ...

    def put(self, sha256: str, size: int, source: IO[bytes]) -> None: ...

    def read(self, sha256: str) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class EvidenceCorrupted(Exception):
    """The stored content does not match the hash the log recorded: it is never served."""


@dataclass(frozen=True)
class StagedFile:
    """An uploaded file, received and hashed (by the entry point) but not yet stored: its
    hash, size, the media type found in its content (None: not recognised), the name the
    client gave, and how to read it again."""

    sha256: str
    size: int
    media_type: str | None
    name: str
    open: Callable[[], IO[bytes]]


@dataclass(frozen=True)
class FileOnRecord:
    """A file as listed: where it is attached (the record itself, or a case merged into it)."""

    file: EvidenceFile
    record_id: UUID
    case_number: str | None = None


def verified(chunks: Iterator[bytes], sha256: str, size: int) -> Iterator[bytes]:
    """The chunks, hashed as they pass; the last one is held back until the whole content
    matches ``sha256`` and ``size``, so a mismatch never ends in a complete answer."""
    digest = hashlib.sha256()
    seen = 0
    held: bytes | None = None
    for chunk in chunks:
        digest.update(chunk)
        seen += len(chunk)
        if seen > size:
            break  # longer than recorded: the held chunk is never sent
        if held is not None:
            yield held
        held = chunk
    if seen != size or digest.hexdigest() != sha256:
        raise EvidenceCorrupted(
            f"stored content of {sha256} does not match its recorded hash and size"
        )
    if held is not None:
        yield held


class EvidenceUseCases(Store):
    evidence_content: EvidenceContent = NOT_CONNECTED
    evidence_policy: EvidencePolicy = EvidencePolicy(
        max_bytes=50 * 1024 * 1024, media_types=frozenset()
    )

    def connect_evidence(self, content: EvidenceContent, policy: EvidencePolicy) -> None:
        """Connects the content store and the deployment's policy (the entry point does)."""
        self.evidence_content = content
        self.evidence_policy = policy

    def check_attachment(self, kind: Record, record_id: UUID, ctx: Context) -> None:
        """What can be refused before a file is received: the role, the record (not found
        unless visible) and whether the caller's county adds files to it."""
        require_recorder(ctx.actor)
        record: EvidenceFiles = self._load(kind, record_id, ctx.actor, least=Visibility.SUMMARY)
        record.check_contributor(ctx)

    def attach_evidence(
        self, kind: Record, record_id: UUID, ctx: Context, staged: StagedFile, description: str = ""
    ) -> Written:
        """Checks everything first (the caller may see and add to the record; size and type),
        then stores the content (once per hash), then records the event."""
        require_recorder(ctx.actor)
        record: EvidenceFiles = self._load(kind, record_id, ctx.actor, least=Visibility.SUMMARY)
        record.check_can_attach(staged.sha256, ctx)
        self.evidence_policy.check_size(staged.size)
        media_type = self.evidence_policy.check_type(staged.media_type)
        with staged.open() as source:
            self.evidence_content.put(staged.sha256, staged.size, source)

        def decide() -> Decided:
            aggregate = self._load(kind, record_id, ctx.actor, least=Visibility.SUMMARY)
            aggregate.attach_evidence(
                sha256=staged.sha256,
                size=staged.size,
                media_type=media_type,
                name=staged.name,
                description=description,
                policy=self.evidence_policy,
                ctx=ctx,
            )
            added = aggregate.attached_file(staged.sha256)
            assert added is not None
            return decided(aggregate, file=added)

        return self.write(ctx, decide)

    def remove_evidence(
        self,
        kind: Record,
        record_id: UUID,
        sha256: str,
        reason: str,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Written:
        def decide() -> Decided:
            aggregate = self._load(
                kind, record_id, ctx.actor, expected_version, least=Visibility.SUMMARY
            )
            aggregate.remove_evidence(sha256, reason, ctx)
            return decided(aggregate)

        return self.write(ctx, decide, expected_version)

    def evidence_files(self, kind: Record, record_id: UUID, viewer: Actor) -> list[FileOnRecord]:
        """The record's files; for a case, also those of the cases merged into it now (they
        are read through it while the merge stands)."""
        record = self._load(kind, record_id, viewer)
        listed = [FileOnRecord(f, record.id) for f in record.evidence_files()]
        if isinstance(record, Case):
            for absorbed in self._absorbed_now(record):
                listed.extend(
                    FileOnRecord(f, absorbed.id, absorbed.number) for f in absorbed.evidence_files()
                )
        return listed

    def evidence_file(
        self, kind: Record, record_id: UUID, sha256: str, viewer: Actor
    ) -> tuple[FileOnRecord, Iterator[bytes]]:
        """A file the viewer may read and its content, verified twice: once whole before
        anything is answered (a mismatch raises ``EvidenceCorrupted`` here) and again while it
        streams (``verified``). A removed file is read by auditors only."""
        if not SHA256_HEX.match(sha256):
            raise NotFound(f"no file {sha256}")
        found = None
        for entry in reversed(self.evidence_files(kind, record_id, viewer)):
            if entry.file.sha256 == sha256 and (
                entry.file.is_attached or viewer.role == Role.AUDITOR
            ):
                found = entry
                break
        if found is None:
            raise NotFound(f"no file {sha256}")
        size = found.file.size
        for _ in verified(self.evidence_content.read(sha256), sha256, size):
            pass
        return found, verified(self.evidence_content.read(sha256), sha256, size)

    def _absorbed_now(self, case: Case) -> Iterator[Case]:
        """The cases merged into this one now, and those merged into them, nearest first."""
        seen = {case.id}
        pending = [UUID(k) for k in case.absorbed]
        while pending:
            absorbed_id = pending.pop(0)
            if absorbed_id in seen:
                continue
            seen.add(absorbed_id)
            found = self._find(Case, absorbed_id)
            if found is None or found.merged_into is None:
                continue
            yield found
            pending.extend(UUID(k) for k in found.absorbed)
