"""Backup and restore of the whole event log as JSON Lines.

The first line is a header (format, application, last position, the chain head and the public
key that signed the chain); each further line is one stored event exactly as recorded: its
position, aggregate id, version, topic and stored bytes (base64), with its chain row (digest,
link, signature: base64; absent for events written before the chain). Informant fields stay
sealed, since they are sealed inside the stored bytes. Import restores events and chain into an
empty database with the same positions; the caller then verifies the chain with its own key
(format 1 files, without a chain, are imported and can then be chained and signed anew). The
header also carries the signed checkpoints of the log's Merkle tree; import restores them, and
the caller checks each against the imported chain.

Format 3 also carries the evidence files: after the events, each file the events attach (by
its SHA-256) as lines of ``{"file": sha256, "size": n, "chunk": base64}``, read from the
content store and checked against the hash on the way out; import checks each file's hash
and size again before storing it, and refuses a file whose events name content it does not
carry."""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any, Protocol
from uuid import UUID

import orjson
import psycopg
from psycopg import sql

from jointcase.storage import Database

FORMAT = "jointcase-event-log"
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
#: Raw bytes per file line of an export (base64 makes them a third longer).
FILE_CHUNK = 512 * 1024
#: The topic suffix of the events that attach a file (on a lead or a case).
ATTACHED = ".EvidenceAttached"


class Content(Protocol):
    """Evidence content by SHA-256 (``jointcase/evidence_store.py``)."""

    def has(self, sha256: str) -> bool: ...

    def put(self, sha256: str, size: int, source: IO[bytes]) -> None: ...

    def read(self, sha256: str) -> Iterator[bytes]: ...


class BackupError(Exception):
    """The file cannot be imported here; the message says why."""


def _table(db: Database, application: str, kind: str = "events") -> sql.Composed:
    return sql.SQL("{0}.{1}").format(
        sql.Identifier(db.schema or "public"), sql.Identifier(f"{application}_{kind}")
    )


def _b64(value: Any) -> str | None:
    return None if value is None else base64.b64encode(bytes(value)).decode()


def _unb64(value: Any) -> bytes | None:
    return None if value is None else base64.b64decode(value, validate=True)


def export_events(
    db: Database,
    out: IO[bytes],
    application: str = "jointcase",
    progress: Callable[[int], None] | None = None,
    public_key: str | None = None,
    content: Content | None = None,
) -> dict[str, Any]:
    """Writes the header and every event with its chain row, in one snapshot, then the
    evidence files those events attach (read from ``content``)."""
    with psycopg.connect(db.conninfo()) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute(
            sql.SQL("SELECT count(*), coalesce(max(notification_id), 0) FROM {0}").format(
                _table(db, application)
            )
        ).fetchone()
        count, last = (row[0], row[1]) if row else (0, 0)
        head = None
        found = conn.execute(
            sql.SQL("SELECT position, link FROM {0} ORDER BY position DESC LIMIT 1").format(
                _table(db, application, "chain")
            )
        ).fetchone()
        if found and found[0] == last:
            head = bytes(found[1]).hex()
        checkpoints = [
            {
                "tree_size": size,
                "last_position": last_position,
                "root": bytes(tree_root).hex(),
                "issued_at": issued_at.isoformat(),
                "signature": _b64(signature),
            }
            for size, last_position, tree_root, issued_at, signature in conn.execute(
                sql.SQL(
                    "SELECT tree_size, last_position, root, issued_at, signature FROM {0}"
                    " ORDER BY tree_size"
                ).format(_table(db, application, "checkpoints"))
            )
        ]
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "application": application,
            "exported_at": datetime.now(UTC).isoformat(),
            "events": count,
            "last_position": last,
            "chain_head": head,
            "chain_public_key": public_key,
            "checkpoints": checkpoints,
        }
        out.write(orjson.dumps(header) + b"\n")
        written = 0
        files: dict[str, int] = {}
        with conn.cursor(name="export") as cur:
            cur.itersize = 5000
            cur.execute(
                sql.SQL(
                    "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic,"
                    " e.state, c.digest, c.link, c.signature FROM {0} e"
                    " LEFT JOIN {1} c ON c.position = e.notification_id"
                    " ORDER BY e.notification_id"
                ).format(_table(db, application), _table(db, application, "chain"))
            )
            for position, originator_id, version, topic, state, digest, link, sig in cur:
                if topic.endswith(ATTACHED):
                    _note_file(files, bytes(state), position)
                out.write(
                    orjson.dumps(
                        {
                            "position": position,
                            "originator_id": str(originator_id),
                            "version": version,
                            "topic": topic,
                            "state": base64.b64encode(bytes(state)).decode(),
                            "digest": _b64(digest),
                            "link": _b64(link),
                            "signature": _b64(sig),
                        }
                    )
                    + b"\n"
                )
                written += 1
                if progress is not None and written % 5000 == 0:
                    progress(5000)
        conn.rollback()
    if files and content is None:
        raise BackupError("the log attaches evidence files: export needs their content store")
    for sha256, size in files.items():
        assert content is not None
        _export_file(out, content, sha256, size)
    return {**header, "files": len(files)}


def _note_file(files: dict[str, int], state: bytes, position: int) -> None:
    try:
        data = orjson.loads(state)
        files[str(data["sha256"])] = int(data["size"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise BackupError(f"the event at position {position} names no readable file") from None


def _export_file(out: IO[bytes], content: Content, sha256: str, size: int) -> None:
    """Writes one file's lines, refusing content that does not match its recorded hash (the
    file already written is then incomplete: an import refuses it)."""
    digest = hashlib.sha256()
    seen = 0
    pending = b""
    for chunk in content.read(sha256):
        digest.update(chunk)
        seen += len(chunk)
        pending += chunk
        while len(pending) >= FILE_CHUNK:
            piece, pending = pending[:FILE_CHUNK], pending[FILE_CHUNK:]
            out.write(_file_line(sha256, size, piece))
    if seen != size or digest.hexdigest() != sha256:
        raise BackupError(f"the stored content of file {sha256} does not match its hash")
    if pending or size == 0:
        out.write(_file_line(sha256, size, pending))


def _file_line(sha256: str, size: int, piece: bytes) -> bytes:
    record = {"file": sha256, "size": size, "chunk": base64.b64encode(piece).decode()}
    return orjson.dumps(record) + b"\n"


Row = tuple[int, UUID, int, str, bytes, bytes | None, bytes | None, bytes | None]


class _Lines:
    """The file's lines after the header: the events, then (format 3) the files' lines."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self.lines = lines
        self.number = 1
        self.first_file: dict[str, Any] | None = None

    def events(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for line in self.lines:
            self.number += 1
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise BackupError(f"line {self.number} is not a stored event: {e}") from None
            if isinstance(record, dict) and "file" in record:
                self.first_file = record
                return
            yield self.number, record

    def files(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.first_file is not None:
            yield self.number, self.first_file
        for line in self.lines:
            self.number += 1
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise BackupError(f"line {self.number} is not a file's line: {e}") from None
            if not isinstance(record, dict) or "file" not in record:
                raise BackupError(f"line {self.number}: an event after the files")
            yield self.number, record


def _rows(records: Iterator[tuple[int, Any]]) -> Iterable[Row]:
    previous = 0
    for number, record in records:
        try:
            row = (
                int(record["position"]),
                UUID(record["originator_id"]),
                int(record["version"]),
                str(record["topic"]),
                base64.b64decode(record["state"], validate=True),
                _unb64(record.get("digest")),
                _unb64(record.get("link")),
                _unb64(record.get("signature")),
            )
        except (KeyError, ValueError, TypeError) as e:
            raise BackupError(f"line {number} is not a stored event: {e}") from None
        if row[0] <= previous:
            raise BackupError(f"line {number}: positions must increase ({row[0]} after {previous})")
        previous = row[0]
        yield row


def import_events(
    db: Database,
    source: IO[bytes],
    application: str = "jointcase",
    progress: Callable[[int], None] | None = None,
    public_key: str | None = None,
    content: Content | None = None,
) -> dict[str, Any]:
    """Restores events and their chain rows into an empty database (all or nothing), and the
    evidence files into ``content``, each checked against its hash. A chain signed with
    another key than ``public_key`` (this deployment's) is refused."""
    lines = iter(source)
    try:
        header = orjson.loads(next(lines))
    except (StopIteration, orjson.JSONDecodeError):
        raise BackupError("the file does not start with a jointcase export header") from None
    if header.get("format") != FORMAT or header.get("format_version") not in READABLE_VERSIONS:
        raise BackupError(f"not a {FORMAT} file of version {FORMAT_VERSION}")
    signed_by = header.get("chain_public_key")
    if signed_by and public_key and signed_by != public_key:
        raise BackupError(
            f"the file's chain was signed with public key {signed_by}, not with this "
            f"deployment's ({public_key}): set JOINTCASE_CHAIN_KEY to the exporting one"
        )
    if header.get("application") != application:
        raise BackupError(f"the file holds events of {header.get('application')!r}")
    table = _table(db, application)
    imported = 0
    with psycopg.connect(db.conninfo()) as conn:
        conn.execute(sql.SQL("LOCK TABLE {0} IN EXCLUSIVE MODE").format(table))
        existing = conn.execute(sql.SQL("SELECT count(*) FROM {0}").format(table)).fetchone()
        if existing and existing[0]:
            raise BackupError(
                f"the database already holds {existing[0]} events; import only into an empty one"
            )
        conn.execute(
            "CREATE TEMPORARY TABLE imported (position bigint, originator_id uuid,"
            " originator_version bigint, topic text, state bytea, digest bytea, link bytea,"
            " signature bytea) ON COMMIT DROP"
        )
        body = _Lines(lines)
        with conn.cursor().copy("COPY imported FROM STDIN") as copy:
            for row in _rows(body.events()):
                copy.write_row(row)
                imported += 1
                if progress is not None and imported % 5000 == 0:
                    progress(5000)
        files = _import_files(body.files(), content)
        attached = conn.execute(
            "SELECT DISTINCT convert_from(state, 'UTF8')::jsonb ->> 'sha256' FROM imported"
            " WHERE topic LIKE %s",
            ("%" + ATTACHED,),
        ).fetchall()
        for (sha256,) in attached:
            if sha256 not in files and (content is None or not content.has(sha256)):
                raise BackupError(
                    f"the events attach file {sha256}, which the file does not carry; "
                    "nothing imported"
                )
        conn.execute(
            sql.SQL(
                "INSERT INTO {0} (notification_id, originator_id, originator_version, topic, state)"
                " SELECT position, originator_id, originator_version, topic, state FROM imported"
                " ORDER BY position"
            ).format(table)
        )
        conn.execute(
            sql.SQL(
                "INSERT INTO {0} (position, originator_id, originator_version, digest, link,"
                " signature) SELECT position, originator_id, originator_version, digest, link,"
                " signature FROM imported WHERE link IS NOT NULL ORDER BY position"
            ).format(_table(db, application, "chain"))
        )
        for checkpoint in header.get("checkpoints") or []:
            try:
                values = (
                    int(checkpoint["tree_size"]),
                    int(checkpoint["last_position"]),
                    bytes.fromhex(checkpoint["root"]),
                    datetime.fromisoformat(checkpoint["issued_at"]),
                    _unb64(checkpoint["signature"]),
                )
            except (KeyError, TypeError, ValueError) as e:
                raise BackupError(f"a checkpoint in the header is not readable: {e}") from None
            conn.execute(
                sql.SQL("INSERT INTO {0} VALUES (%s, %s, %s, %s, %s)").format(
                    _table(db, application, "checkpoints")
                ),
                values,
            )
        if imported != header.get("events"):
            raise BackupError(
                f"the file lists {header.get('events')} events but holds {imported}; nothing imported"
            )
        conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({0}, 'notification_id'),"
                " greatest((SELECT max(notification_id) FROM {1}), 1))"
            ).format(sql.Literal(f"{db.schema or 'public'}.{application}_events"), table)
        )
        conn.commit()
    return {**header, "imported": imported, "files_imported": len(files)}


def _import_files(
    records: Iterator[tuple[int, dict[str, Any]]], content: Content | None
) -> set[str]:
    """Stores each file of the export (its lines in a row), after checking its hash and size."""
    stored: set[str] = set()
    current: str | None = None
    size = 0
    digest = hashlib.sha256()
    spool: Any = None

    def finish() -> None:
        if current is None:
            return
        if spool.tell() != size or digest.hexdigest() != current:
            raise BackupError(f"file {current} does not match its hash or size; nothing imported")
        if content is None:
            raise BackupError("the file carries evidence files: import needs a content store")
        spool.seek(0)
        content.put(current, size, spool)
        spool.close()
        stored.add(current)

    for number, record in records:
        try:
            sha256, declared = str(record["file"]), int(record["size"])
            piece = base64.b64decode(record["chunk"], validate=True)
        except (KeyError, TypeError, ValueError) as e:
            raise BackupError(f"line {number} is not a file's line: {e}") from None
        if sha256 != current:
            finish()
            if sha256 in stored:
                raise BackupError(f"line {number}: file {sha256} appears twice")
            current, size, digest = sha256, declared, hashlib.sha256()
            spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        digest.update(piece)
        spool.write(piece)
    finish()
    return stored
