"""The audit trail, for browsing.

Every event becomes one row: who, when, what, which case or lead, the reason, and the event's
data with informant fields removed. The hash chain is not here: the recorder writes it with
each event (``jointcase.chain``) and ``projections.chain`` verifies it; this view only reads a
link from it (``head``), so a rebuild never recomputes the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from domain.access import (
    ALL,
    case_access_change,
    counties_granted,
    event_access,
    lead_access_change,
)
from domain.records import event_refs
from projections.access import GrantFold, initial, initial_full
from projections.base import Batch, BatchProjection, View, text_array
from service.log import event_data

#: The columns of an event's flat record (see ``domain.records.event_record``).
RECORD_COLUMNS = (
    "position, aggregate_id, aggregate_type, version, event_type, recorded_at, officer_id, "
    "county, role, correlation_id, case_id, lead_id, reason, data"
)


#: What may follow a referral, at any time (read by quarterly bulletins), as SQL literals.
REFERRAL_ANSWERS = (
    "Lead.ReferralAccepted",
    "Lead.ReferralDeclined",
    "Lead.ReferralWithdrawn",
    "Lead.FeedbackGiven",
)


def sql_literals(types: tuple[str, ...]) -> str:
    """Event types as SQL literals: the planner matches them against a partial index's
    condition, which it cannot do for a parameter."""
    return ", ".join(f"'{t}'" for t in types)


REFERRAL_ANSWERS_SQL = sql_literals(REFERRAL_ANSWERS)

#: The merge events that change who reads a case's history (a link made or released).
MERGE_EVENTS = frozenset(
    {"Case.MergedInto", "Case.CaseAbsorbed", "Case.MergeReversed", "Case.AbsorbedCaseReleased"}
)

#: Who reads each event of a lead or a case (``domain.access.event_access``): the counties that
#: see its own record whole (``full_to``), and those of every case whose history holds it: each case it is (or was)
#: merged into, following the chain up, with the cases merged into those now (their county
#: reads the survivor). ``up`` walks the merge links from the ``targets`` to their survivors; a
#: link released by an un-merge keeps only the events before its release (``until``), and a
#: link made after the one above it was released is not followed (``made``), as in
#: ``timeline``. ``pairs``: (record, county, until): the county reads the record's events
#: before ``until`` (all of them when it is null).
_READERS = """
  up(id, survivor_id, until, made) AS (
    SELECT m.absorbed_id, m.survivor_id, m.released_at, m.merged_at FROM audit_merges m
    WHERE m.absorbed_id IN (SELECT id FROM targets)
    UNION
    SELECT u.id, m.survivor_id, LEAST(u.until, m.released_at), GREATEST(u.made, m.merged_at)
    FROM up u JOIN audit_merges m ON m.absorbed_id = u.survivor_id
    WHERE m.released_at IS NULL OR u.made < m.released_at
  ),
  needed(id) AS (SELECT id FROM targets UNION SELECT survivor_id FROM up),
  reach(id, county) AS (
    SELECT a.aggregate_id, unnest(a.full_to) FROM audit_access a
    WHERE a.aggregate_id IN (SELECT id FROM needed)
    UNION
    SELECT m.survivor_id, a.county FROM audit_merges m
    JOIN audit_access a ON a.aggregate_id = m.absorbed_id
    WHERE m.released_at IS NULL AND m.survivor_id IN (SELECT id FROM needed)
  ),
  pairs(id, county, until) AS (
    SELECT r.id, r.county, NULL::bigint FROM reach r WHERE r.id IN (SELECT id FROM targets)
    UNION
    SELECT u.id, r.county, u.until FROM up u JOIN reach r ON r.id = u.survivor_id
  )"""

#: The readers of the records of a batch's new events (computed before they are copied in).
_PAIRS = f"""
WITH RECURSIVE
  targets(id) AS (SELECT unnest(%(ids)s::uuid[])),{_READERS}
SELECT id, county, until FROM pairs
"""

#: The readers again of every earlier event of the records whose readers changed, and of the
#: cases merged into them (directly or not, now or before).
_RECOMPUTE = f"""
WITH RECURSIVE
  family(id) AS (
    SELECT unnest(%(dirty)s::uuid[])
    UNION
    SELECT m.absorbed_id FROM audit_merges m JOIN family f ON m.survivor_id = f.id
  ),
  rows AS (
    SELECT e.position, e.aggregate_id FROM audit_events e JOIN family f ON e.aggregate_id = f.id
    WHERE e.position <= %(after)s
  ),
  targets(id) AS (SELECT DISTINCT aggregate_id FROM rows),{_READERS},
  computed AS (
    SELECT rows.position, array_agg(DISTINCT p.county ORDER BY p.county) AS counties
    FROM rows LEFT JOIN pairs p
      ON p.id = rows.aggregate_id AND (p.until IS NULL OR rows.position < p.until)
    GROUP BY rows.position
  )
UPDATE audit_events e SET visible_to = array_remove(c.counties, NULL)
FROM computed c WHERE e.position = c.position AND e.visible_to <> array_remove(c.counties, NULL)
"""


class Readers:
    """Who reads each event of a batch, as array text for the COPY. An event of a lead or a
    case is read by the counties that read its record (``pairs``, as of the batch's end),
    less those whose link was released before it; these are the same for every event of a
    record with no such release, so they are worked out once per record, and each distinct
    list is written out once."""

    def __init__(self, pairs: dict[UUID, list[tuple[str, int | None]]]) -> None:
        self.pairs = pairs
        self.unbounded: dict[UUID, str] = {}  # record -> its readers' text, when no link ends
        self.texts: dict[tuple[str, ...], str] = {}

    def of(self, event: Any, aggregate_type: str, record: UUID, position: int) -> str:
        if aggregate_type not in ("Lead", "Case"):
            return self._text(counties_granted(event_access(event).grant))
        known = self.unbounded.get(record)
        if known is not None:
            return known
        pairs = self.pairs.get(record, ())
        counties = {c for c, until in pairs if until is None or position < until}
        text = self._text(counties)
        if all(until is None for _, until in pairs):
            self.unbounded[record] = text
        return text

    def _text(self, counties: set[str]) -> str:
        key = tuple(sorted(counties))
        text = self.texts.get(key)
        if text is None:
            text = self.texts[key] = text_array(key)
        return text


class AuditView(View):
    name = "audit"
    tables = ("audit_events", "audit_access", "audit_merges", "audit_recompute")
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
            data jsonb NOT NULL
        )""",
        # The chain moved to the recorder (a table of its own next to the events).
        "ALTER TABLE audit_events DROP COLUMN IF EXISTS digest, DROP COLUMN IF EXISTS link",
        # Who reads each event (added with per-event access: a trail built before is rebuilt).
        "ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS visible_to text[] NOT NULL DEFAULT '{}'",
        "CREATE INDEX IF NOT EXISTS audit_events_visible ON audit_events USING gin (visible_to)",
        # Each lead's and case's own grants, folded from its events as the other views do.
        """CREATE TABLE IF NOT EXISTS audit_access (
            aggregate_id uuid PRIMARY KEY,
            county text NOT NULL,
            grants text[] NOT NULL,
            visible_to text[] NOT NULL
        )""",
        # Who reads a record's events: the counties that see it whole (a county that sees a
        # case only as its summary reads none of its events). Added with the summary level: a
        # trail built before it is rebuilt.
        "ALTER TABLE audit_access ADD COLUMN IF NOT EXISTS full_to text[] NOT NULL DEFAULT '{}'",
        # Each merge link: made at the survivor's CaseAbsorbed, released at its
        # AbsorbedCaseReleased (the positions ``timeline`` cuts a released case's events at).
        """CREATE TABLE IF NOT EXISTS audit_merges (
            absorbed_id uuid NOT NULL,
            survivor_id uuid NOT NULL,
            merged_at bigint NOT NULL,
            released_at bigint,
            PRIMARY KEY (absorbed_id, merged_at)
        )""",
        "CREATE INDEX IF NOT EXISTS audit_merges_survivor ON audit_merges (survivor_id)",
        # The records whose earlier events' readers are still to be set again: filled by a
        # rebuild, which sets them once at its end instead of at every batch, and emptied by
        # the next batch applied if the rebuild stopped before that (it commits with the
        # batches, so nothing is forgotten).
        "CREATE TABLE IF NOT EXISTS audit_recompute (aggregate_id uuid PRIMARY KEY)",
        "CREATE INDEX IF NOT EXISTS audit_events_aggregate ON audit_events (aggregate_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_case ON audit_events (case_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_lead ON audit_events (lead_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_county ON audit_events (county, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_officer ON audit_events (officer_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_type ON audit_events (event_type, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (recorded_at)",
        # Quarterly bulletins (``projections.bulletins``) read the few figures they need from
        # an event's data as columns of its own, so that their indexes hold them and a
        # bulletin reads thousands of index entries instead of thousands of scattered rows:
        # the county an event is about beside its actor's (a case's at its opening, the
        # receiving county of a referral and of its withdrawal), a case's type at its opening,
        # and a seizure's sticks and value. Computed by PostgreSQL from ``data``, so they can
        # never disagree with it; adding them to a trail built before rewrites the table once
        # (``jointcase db init``).
        """ALTER TABLE audit_events
            ADD COLUMN IF NOT EXISTS subject_county text GENERATED ALWAYS AS (CASE
                WHEN event_type = 'Case.Opened' THEN data->>'county'
                WHEN event_type IN ('Lead.Referred', 'Lead.ReferralWithdrawn')
                    THEN data->>'to_county' END) STORED,
            ADD COLUMN IF NOT EXISTS case_type text GENERATED ALWAYS AS (CASE
                WHEN event_type = 'Case.Opened' THEN data->>'case_type' END) STORED,
            ADD COLUMN IF NOT EXISTS sticks bigint GENERATED ALWAYS AS (CASE
                WHEN event_type = 'Case.SeizureRecorded' THEN (data->>'sticks')::bigint END) STORED,
            ADD COLUMN IF NOT EXISTS value numeric GENERATED ALWAYS AS (CASE
                WHEN event_type = 'Case.SeizureRecorded' THEN (data->>'value')::numeric END) STORED""",
        # replaced by the covering indexes below
        "DROP INDEX IF EXISTS audit_events_type_time, audit_events_type_county_time",
        # a quarter's events of some types, by type, time and either county
        "CREATE INDEX IF NOT EXISTS audit_events_quarter"
        " ON audit_events (event_type, recorded_at, county, subject_county)"
        " INCLUDE (position, aggregate_id)",
        # a county's seizures in a quarter, summed from the index alone
        "CREATE INDEX IF NOT EXISTS audit_events_seizures ON audit_events (county, recorded_at)"
        " INCLUDE (position, aggregate_id, sticks, value)"
        " WHERE event_type = 'Case.SeizureRecorded'",
        # each case's county and type, from its opening
        "CREATE INDEX IF NOT EXISTS audit_events_openings ON audit_events (aggregate_id)"
        " INCLUDE (subject_county, case_type) WHERE event_type = 'Case.Opened'",
        # what followed each referral
        "CREATE INDEX IF NOT EXISTS audit_events_answers ON audit_events (aggregate_id, position)"
        " INCLUDE (event_type, recorded_at, county, subject_county)"
        f" WHERE event_type IN ({REFERRAL_ANSWERS_SQL})",
    )
    #: Read by the queries only (``apply`` finds events by position or by record, merges by
    #: either end).
    query_indexes = (
        "audit_events_visible",
        "audit_events_case",
        "audit_events_lead",
        "audit_events_county",
        "audit_events_officer",
        "audit_events_type",
        "audit_events_time",
        "audit_events_quarter",
        "audit_events_seizures",
        "audit_events_openings",
        "audit_events_answers",
    )
    COLUMNS = (
        "position, aggregate_id, aggregate_type, version, event_type, recorded_at, officer_id, "
        "county, role, correlation_id, case_id, lead_id, reason, data, visible_to"
    )
    #: How the COPY writes each column (the data and the readers go as their text).
    COPY_TYPES = (
        *("int8", "uuid", "text", "int4", "text", "timestamptz", "text", "text", "text"),
        *("text", "uuid", "uuid", "text", "text", "text"),
    )

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        """Folds each lead's and case's grants and merge links over the batch, then copies the
        events in with who reads each (as of the batch's end), and sets the readers again of
        each earlier event of a record whose readers changed."""
        after = batch[0].tracking.notification_id - 1
        statements: list[tuple[str, tuple[Any, ...]]] = []
        grants = GrantFold("audit_access", "aggregate_id", levels=True)
        dirty: set[UUID] = set()
        records: set[Any] = set()
        for event, tracking, n in batch:
            kind = type(event).__qualname__
            if kind.startswith(("Lead.", "Case.")):
                statements.extend(self._access(event, kind, tracking, grants, dirty))
                records.add(n.originator_id)
        with cursor.connection.pipeline():
            for sql, params in statements:
                cursor.execute(sql, params)
        grants.write(cursor)
        # (JIT is off on the views' connections: projections/registry.py)
        pairs: dict[UUID, list[tuple[str, int | None]]] = {}
        if records:
            cursor.execute(_PAIRS, {"ids": sorted(records)})
            for row in cursor.fetchall():
                pairs.setdefault(row["id"], []).append((row["county"], row["until"]))
        readers = Readers(pairs)
        with cursor.copy(f"COPY audit_events ({self.COLUMNS}) FROM STDIN") as copy:
            copy.set_types(self.COPY_TYPES)
            for event, tracking, n in batch:
                event_type = type(event).__qualname__
                aggregate_type = event_type.split(".", 1)[0]
                actor = getattr(event, "actor", None)
                case_id, lead_id, reason = event_refs(event, aggregate_type)
                position = tracking.notification_id
                copy.write_row(
                    (
                        position,
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
                        readers.of(event, aggregate_type, event.originator_id, position),
                    )
                )
        if self.rebuilding:
            if dirty:
                cursor.execute(
                    "INSERT INTO audit_recompute SELECT unnest(%s::uuid[]) ON CONFLICT DO NOTHING",
                    (sorted(dirty),),
                )
            return
        self._recompute(cursor, after, dirty)

    def _recompute(self, cursor: psycopg.Cursor[Any], after: int, dirty: set[UUID]) -> None:
        """Sets the readers again of the events up to ``after`` of the records named, and of
        those a rebuild left to do."""
        cursor.execute("DELETE FROM audit_recompute RETURNING aggregate_id")
        dirty = dirty | {row["aggregate_id"] for row in cursor.fetchall()}
        if dirty:
            cursor.execute(_RECOMPUTE, {"after": after, "dirty": sorted(dirty)})

    def finish_rebuild(self, application_name: str) -> None:
        """Sets the readers of the records whose readers changed during the rebuild, once, as
        they stand at its end (as a batch would have, had it held the whole log)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._position_sql, (application_name,))
            row = curs.fetchone()
            curs.execute("SET LOCAL jit = off")
            self._recompute(curs, row["notification_id"] if row else 0, set())

    @staticmethod
    def _access(
        event: Any, kind: str, tracking: Any, grants: GrantFold, dirty: set[UUID]
    ) -> list[tuple[str, tuple[Any, ...]]]:
        """The statements that make a lead's or case's access row and keep its merge links;
        its grants' changes go to ``grants``; ``dirty`` collects the records whose events'
        readers must be set again."""
        record = event.originator_id
        change = (
            lead_access_change(event) if kind.startswith("Lead.") else case_access_change(event)
        )
        if kind in ("Lead.Registered", "Case.Opened"):
            return [
                (
                    "INSERT INTO audit_access (aggregate_id, county, grants, visible_to, full_to)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (record, event.county, *initial(change), initial_full(change)),
                )
            ]
        statements: list[tuple[str, tuple[Any, ...]]] = []
        if grants.add(record, change) or kind in MERGE_EVENTS:
            dirty.add(record)
        if kind == "Case.CaseAbsorbed":
            statements.append(
                (
                    "INSERT INTO audit_merges (absorbed_id, survivor_id, merged_at)"
                    " VALUES (%s, %s, %s)",
                    (event.absorbed_id, record, tracking.notification_id),
                )
            )
            dirty.add(event.absorbed_id)
        elif kind == "Case.AbsorbedCaseReleased":
            statements.append(
                (
                    "UPDATE audit_merges SET released_at = %s WHERE survivor_id = %s"
                    " AND absorbed_id = %s AND released_at IS NULL",
                    (tracking.notification_id, record, event.absorbed_id),
                )
            )
            dirty.add(event.absorbed_id)
        return statements

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
        visible_to: str = ALL,
        after: int = 0,
        until_position: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Events after a position, oldest first, that ``visible_to`` reads (``ALL``: every
        one), matching the filters; ``until_position`` bounds the scan."""
        where = ["position > %(after)s"]
        params: dict[str, Any] = {"after": after, "limit": limit}
        if visible_to != ALL:
            where.append("visible_to @> ARRAY[%(visible_to)s]::text[]")
            params["visible_to"] = visible_to
        if until_position is not None:
            where.append("position <= %(until_position)s")
            params["until_position"] = until_position
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

    def timeline(
        self, case_id: UUID, visible_to: str = ALL, last: int | None = None
    ) -> list[dict[str, Any]]:
        """Every event of the case and of every case merged into it, in log order; of a case
        since released by an un-merge, only the events before the release ("after an
        un-merge neither side sees the other's later events"); of those, the ones
        ``visible_to`` reads (every one, for a county that may see the case).

        Each member of the family is read by its own index range (aggregate, position): a
        semi-join let the planner start from the readers' index instead, every event the
        county may read (a second and more at 1M events for a case of a few hundred).
        With ``last``, only the latest that many (still in log order)."""
        rows = self.query(
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
               , members AS (
                   SELECT id, CASE WHEN bool_or(until IS NULL) THEN NULL ELSE max(until) END
                       AS until
                   FROM family GROUP BY id
               )
               SELECT e.*
               FROM members f CROSS JOIN LATERAL (
                   SELECT {RECORD_COLUMNS} FROM audit_events e
                   WHERE e.aggregate_id = f.id AND (f.until IS NULL OR e.position < f.until)
                     AND (%(everyone)s OR e.visible_to @> ARRAY[%(visible_to)s]::text[])
               ) e
               ORDER BY e.position {"DESC LIMIT %(last)s" if last is not None else ""}""",
            {
                "case_id": case_id,
                "visible_to": visible_to,
                "everyone": visible_to == ALL,
                "last": last,
            },
        )
        return rows if last is None else rows[::-1]

    def head(self, position: int | None = None) -> dict[str, Any] | None:
        """The chain link at a position (default: the latest), to be kept outside as an anchor.
        Read from the chain the recorder wrote, never from this view's rows."""
        if position is None:
            rows = self.query(
                "SELECT position, link FROM jointcase_chain ORDER BY position DESC LIMIT 1"
            )
        else:
            rows = self.query(
                "SELECT position, link FROM jointcase_chain WHERE position <= %s "
                "ORDER BY position DESC LIMIT 1",
                (position,),
            )
        if not rows:
            return None
        return {"position": rows[0]["position"], "link": bytes(rows[0]["link"]).hex()}


class AuditProjection(BatchProjection):
    name = "audit"
