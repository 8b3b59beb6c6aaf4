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

from domain.records import event_refs
from projections.base import Batch, BatchProjection, View
from service.log import event_data

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
            data jsonb NOT NULL
        )""",
        # The chain moved to the recorder (a table of its own next to the events).
        "ALTER TABLE audit_events DROP COLUMN IF EXISTS digest, DROP COLUMN IF EXISTS link",
        "CREATE INDEX IF NOT EXISTS audit_events_aggregate ON audit_events (aggregate_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_case ON audit_events (case_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_lead ON audit_events (lead_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_county ON audit_events (county, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_officer ON audit_events (officer_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_type ON audit_events (event_type, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (recorded_at)",
        # quarterly bulletins: a quarter's events of some types, a county's seizures in it
        "CREATE INDEX IF NOT EXISTS audit_events_type_time ON audit_events (event_type, recorded_at)",
        "CREATE INDEX IF NOT EXISTS audit_events_type_county_time"
        " ON audit_events (event_type, county, recorded_at)",
    )
    COLUMNS = (
        "position, aggregate_id, aggregate_type, version, event_type, recorded_at, officer_id, "
        "county, role, correlation_id, case_id, lead_id, reason, data"
    )

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        with cursor.copy(f"COPY audit_events ({self.COLUMNS}) FROM STDIN") as copy:
            for event, tracking, n in batch:
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
