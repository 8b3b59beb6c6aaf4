"""Backup and restore of the whole event log as JSON Lines.

The first line is a header (format, application, last position, the audit chain head when the
audit view had reached it); each further line is one stored event exactly as recorded: its
position, aggregate id, version, topic and stored bytes (base64). Informant fields stay sealed,
since they are sealed inside the stored bytes. Import restores into an empty database with the
same positions, so the audit chain recomputed from the import matches the exported head."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

import orjson
import psycopg
from psycopg import sql

from jointcase.storage import Database

FORMAT = "jointcase-event-log"
FORMAT_VERSION = 1


class BackupError(Exception):
    """The file cannot be imported here; the message says why."""


def _table(db: Database, application: str) -> sql.Composed:
    return sql.SQL("{0}.{1}").format(
        sql.Identifier(db.schema or "public"), sql.Identifier(f"{application}_events")
    )


def export_events(
    db: Database,
    out: IO[bytes],
    application: str = "jointcase",
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    with psycopg.connect(db.conninfo()) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute(
            sql.SQL("SELECT count(*), coalesce(max(notification_id), 0) FROM {0}").format(
                _table(db, application)
            )
        ).fetchone()
        count, last = (row[0], row[1]) if row else (0, 0)
        head = None
        try:
            found = conn.execute(
                "SELECT position, link FROM audit_events WHERE position <= %s"
                " ORDER BY position DESC LIMIT 1",
                (last,),
            ).fetchone()
            if found and found[0] == last:
                head = bytes(found[1]).hex()
        except psycopg.errors.UndefinedTable:
            conn.rollback()
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "application": application,
            "exported_at": datetime.now(UTC).isoformat(),
            "events": count,
            "last_position": last,
            "chain_head": head,
        }
        out.write(orjson.dumps(header) + b"\n")
        written = 0
        with conn.cursor(name="export") as cur:
            cur.itersize = 5000
            cur.execute(
                sql.SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state"
                    " FROM {0} ORDER BY notification_id"
                ).format(_table(db, application))
            )
            for position, originator_id, version, topic, state in cur:
                out.write(
                    orjson.dumps(
                        {
                            "position": position,
                            "originator_id": str(originator_id),
                            "version": version,
                            "topic": topic,
                            "state": base64.b64encode(bytes(state)).decode(),
                        }
                    )
                    + b"\n"
                )
                written += 1
                if progress is not None and written % 5000 == 0:
                    progress(5000)
        conn.rollback()
    return header


def _rows(lines: Iterator[bytes]) -> Iterable[tuple[int, UUID, int, str, bytes]]:
    previous = 0
    for number, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
            row = (
                int(record["position"]),
                UUID(record["originator_id"]),
                int(record["version"]),
                str(record["topic"]),
                base64.b64decode(record["state"], validate=True),
            )
        except (orjson.JSONDecodeError, KeyError, ValueError, TypeError) as e:
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
) -> dict[str, Any]:
    lines = iter(source)
    try:
        header = orjson.loads(next(lines))
    except (StopIteration, orjson.JSONDecodeError):
        raise BackupError("the file does not start with a jointcase export header") from None
    if header.get("format") != FORMAT or header.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"not a {FORMAT} file of version {FORMAT_VERSION}")
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
        with conn.cursor().copy(
            sql.SQL(
                "COPY {0} (notification_id, originator_id, originator_version, topic, state)"
                " FROM STDIN"
            ).format(table)
        ) as copy:
            for row in _rows(lines):
                copy.write_row(row)
                imported += 1
                if progress is not None and imported % 5000 == 0:
                    progress(5000)
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
    return {**header, "imported": imported}
