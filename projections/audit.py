"""The audit trail and its hash chain.

Every event becomes one row: who, when, what, which case or lead, the reason, and the event's
data with informant fields removed. Each row also keeps a digest of the stored event (its id,
version, topic and stored bytes) and a link: sha256(previous link + position + digest), in log
order. ``verify`` recomputes both from the events table and names the first event that was
altered, removed, inserted or reordered; the link at any position can be exported and kept
outside the system as an anchor."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from domain.records import event_refs
from projections.base import Batch, BatchProjection, View
from service.log import event_data

GENESIS = bytes(32)


def digest_of(originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    h = hashlib.sha256()
    h.update(originator_id.bytes if isinstance(originator_id, UUID) else UUID(originator_id).bytes)
    h.update(version.to_bytes(8, "big"))
    h.update(topic.encode())
    h.update(b"\0")
    h.update(state)
    return h.digest()


def link_of(previous: bytes, position: int, digest: bytes) -> bytes:
    return hashlib.sha256(previous + position.to_bytes(8, "big") + digest).digest()


#: The columns of an event's flat record (see ``domain.records.event_record``).
RECORD_COLUMNS = (
    "position, aggregate_id, aggregate_type, version, event_type, recorded_at, officer_id, "
    "county, role, correlation_id, case_id, lead_id, reason, data"
)


class AuditView(View):
    name = "audit"
    tables = ("audit_events",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS audit_events (
            position bigint PRIMARY KEY,
            aggregate_id uuid NOT NULL,
            aggregate_type text NOT NULL,
            version integer NOT NULL,
            event_type text NOT NULL,
            recorded_at timestamptz NOT NULL,
            officer_id text,
            county text,
            role text,
            correlation_id text,
            case_id uuid,
            lead_id uuid,
            reason text,
            data jsonb NOT NULL,
            digest bytea NOT NULL,
            link bytea NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS audit_events_aggregate ON audit_events (aggregate_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_case ON audit_events (case_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_lead ON audit_events (lead_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_county ON audit_events (county, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_officer ON audit_events (officer_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_type ON audit_events (event_type, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (recorded_at)",
    )
    COLUMNS = (
        "position, aggregate_id, aggregate_type, version, event_type, recorded_at, officer_id, "
        "county, role, correlation_id, case_id, lead_id, reason, data, digest, link"
    )

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        cursor.execute("SELECT link FROM audit_events ORDER BY position DESC LIMIT 1")
        row = cursor.fetchone()
        previous = bytes(row["link"]) if row else GENESIS
        with cursor.copy(f"COPY audit_events ({self.COLUMNS}) FROM STDIN") as copy:
            for event, tracking, n in batch:
                digest = digest_of(n.originator_id, n.originator_version, n.topic, n.state)
                previous = link_of(previous, tracking.notification_id, digest)
                event_type = type(event).__qualname__
                aggregate_type = event_type.split(".", 1)[0]
                actor = getattr(event, "actor", None)
                case_id, lead_id, reason = event_refs(event, aggregate_type)
                copy.write_row(
                    (
                        tracking.notification_id,
                        n.originator_id,
                        aggregate_type,
                        n.originator_version,
                        event_type,
                        event.timestamp,
                        actor.officer_id if actor else None,
                        actor.county if actor else None,
                        str(actor.role) if actor else None,
                        getattr(event, "correlation_id", None),
                        case_id,
                        lead_id,
                        reason.replace("\x00", "\ufffd") if reason else reason,
                        event_data(event).decode(),
                        digest,
                        previous,
                    )
                )

    # --- queries ---------------------------------------------------------------------------------
    def trail(
        self,
        *,
        case_id: UUID | None = None,
        lead_id: UUID | None = None,
        aggregate_id: UUID | None = None,
        county: str | None = None,
        officer_id: str | None = None,
        event_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        where = ["position > %(after)s"]
        params: dict[str, Any] = {"after": after, "limit": limit}
        for column, value in (
            ("case_id", case_id),
            ("lead_id", lead_id),
            ("aggregate_id", aggregate_id),
            ("county", county),
            ("officer_id", officer_id),
            ("event_type", event_type),
        ):
            if value is not None:
                where.append(f"{column} = %({column})s")
                params[column] = value
        if since is not None:
            where.append("recorded_at >= %(since)s")
            params["since"] = since
        if until is not None:
            where.append("recorded_at < %(until)s")
            params["until"] = until
        return self.query(
            f"SELECT {RECORD_COLUMNS} FROM audit_events WHERE {' AND '.join(where)} ORDER BY position LIMIT %(limit)s",
            params,
        )

    def timeline(self, case_id: UUID) -> list[dict[str, Any]]:
        """Every event of the case and of every case merged into it, in log order; of a case
        since released by an un-merge, only the events before the release ("after an
        un-merge neither side sees the other's later events")."""
        return self.query(
            f"""WITH RECURSIVE family(id, until) AS (
                   SELECT %(case_id)s::uuid, NULL::bigint
                   UNION
                   SELECT (a.data->>'absorbed_id')::uuid, LEAST(f.until, (
                       SELECT min(r.position) FROM audit_events r
                       WHERE r.aggregate_id = f.id AND r.position > a.position
                         AND r.event_type = 'Case.AbsorbedCaseReleased'
                         AND r.data->>'absorbed_id' = a.data->>'absorbed_id'))
                   FROM audit_events a
                   JOIN family f ON a.aggregate_id = f.id
                   WHERE a.event_type = 'Case.CaseAbsorbed'
                     AND (f.until IS NULL OR a.position < f.until)
               )
               SELECT {RECORD_COLUMNS}
               FROM audit_events e WHERE EXISTS (
                   SELECT 1 FROM family f
                   WHERE f.id = e.aggregate_id AND (f.until IS NULL OR e.position < f.until))
               ORDER BY position""",
            {"case_id": case_id},
        )

    def head(self, position: int | None = None) -> dict[str, Any] | None:
        """The chain link at a position (default: the latest), to be kept outside as an anchor."""
        if position is None:
            rows = self.query(
                "SELECT position, link FROM audit_events ORDER BY position DESC LIMIT 1"
            )
        else:
            rows = self.query(
                "SELECT position, link FROM audit_events WHERE position <= %s "
                "ORDER BY position DESC LIMIT 1",
                (position,),
            )
        if not rows:
            return None
        return {"position": rows[0]["position"], "link": bytes(rows[0]["link"]).hex()}


class AuditProjection(BatchProjection):
    name = "audit"


@dataclass
class Finding:
    """The first place where the stored events and the chain disagree."""

    kind: str  # altered | removed | inserted | reordered | chain-altered
    position: int
    aggregate_id: UUID | None
    version: int | None
    detail: str


@dataclass
class Verification:
    ok: bool
    checked: int
    head_position: int
    head_link: str | None
    finding: Finding | None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "checked": self.checked,
            "head_position": self.head_position,
            "head_link": self.head_link,
        }
        if self.finding is not None:
            out["finding"] = vars(self.finding)
        return out


def _stream(conn: psycopg.Connection[Any], query: Any, name: str) -> Iterator[tuple[Any, ...]]:
    with conn.cursor(name=name) as cur:
        cur.itersize = 5000
        cur.execute(query)
        yield from cur


def verify(conninfo: str, schema: str = "public", application: str = "jointcase") -> Verification:
    """Recomputes the chain from the events table and compares it with the audit rows."""
    events_table = Identifier(f"{application}_events")
    events_sql = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM {0}.{1} ORDER BY notification_id"
    ).format(Identifier(schema), Identifier(f"{application}_events"))
    audit_sql = SQL(
        "SELECT position, aggregate_id, version, digest, link FROM {0}.audit_events ORDER BY position"
    ).format(Identifier(schema))
    with psycopg.connect(conninfo) as c1, psycopg.connect(conninfo) as c2:
        c1.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        c2.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        head = c2.execute(
            SQL("SELECT max(position) FROM {0}.audit_events").format(Identifier(schema))
        ).fetchone()
        head_position = (head[0] if head else None) or 0
        audit_rows = _stream(c2, audit_sql, "audit_rows")
        events = _stream(c1, events_sql, "event_rows")
        previous = GENESIS
        checked = 0
        audit_iter = iter(audit_rows)
        expected = next(audit_iter, None)
        head_link: str | None = None
        for position, originator_id, version, topic, state in events:
            if position > head_position:
                break  # recorded after the chain's head: not yet covered
            digest = digest_of(originator_id, version, topic, bytes(state))
            while expected is not None and expected[0] < position:
                return _found(
                    "removed",
                    expected,
                    f"event at position {expected[0]} is missing from the log",
                    checked,
                    head_position,
                    head_link,
                )
            if expected is None or expected[0] > position:
                return _found(
                    "inserted",
                    (position, originator_id, version),
                    f"event at position {position} was never part of the chain",
                    checked,
                    head_position,
                    head_link,
                )
            if bytes(expected[3]) != digest:
                kind, detail = _classify(c1, c2, schema, events_table, expected, position, digest)
                return _found(kind, expected, detail, checked, head_position, head_link)
            previous = link_of(previous, position, digest)
            if bytes(expected[4]) != previous:
                return _found(
                    "chain-altered",
                    expected,
                    f"the chain link at position {position} was changed",
                    checked,
                    head_position,
                    head_link,
                )
            head_link = previous.hex()
            checked += 1
            expected = next(audit_iter, None)
        if expected is not None:
            return _found(
                "removed",
                expected,
                f"event at position {expected[0]} is missing from the log",
                checked,
                head_position,
                head_link,
            )
        c1.rollback()
        c2.rollback()
    return Verification(True, checked, head_position, head_link, None)


def _classify(
    events_conn: psycopg.Connection[Any],
    audit_conn: psycopg.Connection[Any],
    schema: str,
    events_table: Identifier,
    expected: tuple[Any, ...],
    position: int,
    digest: bytes,
) -> tuple[str, str]:
    """Why the event at ``position`` is not the one the chain recorded there."""
    moved_to = None  # where the chained event is now, if it is intact
    row = events_conn.execute(
        SQL(
            "SELECT notification_id, topic, state FROM {0}.{1}"
            " WHERE originator_id = %s AND originator_version = %s"
        ).format(Identifier(schema), events_table),
        (expected[1], expected[2]),
    ).fetchone()
    if row is not None and digest_of(expected[1], expected[2], row[1], bytes(row[2])) == bytes(
        expected[3]
    ):
        moved_to = row[0]
    found = audit_conn.execute(
        SQL("SELECT position FROM {0}.audit_events WHERE digest = %s LIMIT 1").format(
            Identifier(schema)
        ),
        (digest,),
    ).fetchone()
    chained_at = found[0] if found else None  # where the chain has the event now at position
    if moved_to is not None and chained_at is not None:
        return "reordered", (
            f"position {position} holds the event chained at {chained_at}; "
            f"the event chained here is now at {moved_to}"
        )
    if moved_to is not None:
        return "inserted", (
            f"an event that was never chained stands at position {position}; "
            f"the chained one was pushed to {moved_to}"
        )
    if chained_at is not None:
        return "removed", (
            f"the event chained at position {position} is gone; later events were moved up"
        )
    return "altered", f"the event at position {position} differs from what was chained"


def _found(
    kind: str,
    row: tuple[Any, ...],
    detail: str,
    checked: int,
    head_position: int,
    head_link: str | None,
) -> Verification:
    finding = Finding(kind, int(row[0]), row[1], row[2], detail)
    return Verification(False, checked, head_position, head_link, finding)
