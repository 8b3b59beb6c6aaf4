"""The lead register: one row per lead with what the list filters and searches on (owner,
status, source, referral state, dates, free text) and the counties that may see it, folded from
the lead events as ``domain.access`` decides. Informant identities are never stored here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from domain.access import ALL, lead_access_change
from projections.access import GrantFold, initial
from projections.base import Batch, BatchProjection, View, clean
from projections.search_text import (
    ReaderText,
    count_cap,
    counted,
    document,
    keyed_page,
    matching,
    query,
)

#: What a lead's referrals look like, by the latest referral event: none, pending, accepted,
#: declined or withdrawn.
REFERRAL_STATES = ("none", "pending", "accepted", "declined", "withdrawn")
_REFERRAL_EVENTS = {
    "Lead.Referred": "pending",
    "Lead.ReferralAccepted": "accepted",
    "Lead.ReferralDeclined": "declined",
    "Lead.ReferralWithdrawn": "withdrawn",
}
COLUMNS = (
    "lead_id, version, owner_county, responsible_county, status, closure, source, summary,"
    " place_county, place_detail, suspected_parties, has_informant, informant_ref, received_at,"
    " registered_at, modified_at, referral_state, referred_to, shared_with, case_id, case_number"
)
#: The time a list shows newest first.
NEWEST = "coalesce(received_at, registered_at)"
#: What free text is searched in: the words of ``document`` (in ``_statements``) and the text
#: the substring check reads (the same four fields; never the informant).
TEXT = (
    "(summary || ' ' || place_county || ' ' || place_detail || ' '"
    " || array_to_string(suspected_parties, ' '))"
)
#: The leads' search table: each lead's words per county that sees it (``visible_to``).
SEARCH = ReaderText(
    table="lead_text",
    key="lead_id",
    source="lead_register",
    readers="visible_to",
    newest=NEWEST,
    text=TEXT,
)


class LeadRegisterView(View):
    name = "lead_register"
    tables = ("lead_register", "lead_text")
    ddl = (
        """CREATE TABLE IF NOT EXISTS lead_register (
            lead_id uuid PRIMARY KEY,
            version integer NOT NULL,
            owner_county text NOT NULL,
            responsible_county text NOT NULL,
            status text NOT NULL,
            closure text,
            source text NOT NULL,
            summary text NOT NULL,
            place_county text NOT NULL,
            place_detail text NOT NULL,
            suspected_parties text[] NOT NULL,
            has_informant boolean NOT NULL,
            informant_ref text,
            received_at timestamptz,
            registered_at timestamptz NOT NULL,
            modified_at timestamptz NOT NULL,
            referral_state text NOT NULL DEFAULT 'none',
            referred_to text[] NOT NULL DEFAULT '{}',
            shared_with text[] NOT NULL DEFAULT '{}',
            case_id uuid,
            case_number text,
            visible_to text[] NOT NULL,
            grants text[] NOT NULL DEFAULT '{}',
            search_vec tsvector
        )""",
        # Added with the one visibility rule: a register built before it is rebuilt.
        "ALTER TABLE lead_register ADD COLUMN IF NOT EXISTS grants text[] NOT NULL DEFAULT '{}'",
        # Added with Chinese free-text search: a register built before it is rebuilt.
        "ALTER TABLE lead_register ADD COLUMN IF NOT EXISTS search_vec tsvector",
        # The words are searched in ``lead_text`` (``SEARCH``), the register keeps them as its source.
        "DROP INDEX IF EXISTS lead_register_text",
        "CREATE INDEX IF NOT EXISTS lead_register_visible ON lead_register USING gin (visible_to)",
        "CREATE INDEX IF NOT EXISTS lead_register_received ON lead_register"
        " ((coalesce(received_at, registered_at)) DESC)",
        "CREATE INDEX IF NOT EXISTS lead_register_owner ON lead_register (owner_county, status)",
        *SEARCH.ddl(),
    )
    #: Read by the queries only (the rows are found by their key when applied).
    query_indexes = (
        SEARCH.match_index,
        SEARCH.newest_index,
        "lead_register_visible",
        "lead_register_received",
        "lead_register_owner",
    )

    def finish_rebuild(self, application_name: str) -> None:
        """Compacts the tables in time order (``View.compact``), the search table per reader: a
        search reads each of its matches, and a page of the newest walks the time index."""
        self.compact("lead_register", "lead_register_received")
        self.compact(SEARCH.table, SEARCH.newest_index)

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        """Changes run in order; each lead's version and time are folded over the batch and
        written once per lead touched (most lead events change nothing else)."""
        latest: dict[Any, tuple[int, Any]] = {}  # lead id -> (version, time) of its last event
        grants = GrantFold("lead_register", "lead_id")
        readers: set[Any] = set()  # leads made or whose readers may have changed
        with cursor.connection.pipeline():
            for event, _, _ in batch:
                kind = type(event).__qualname__
                if not kind.startswith("Lead."):
                    continue
                for sql, params in _statements(kind, event):
                    cursor.execute(sql, clean(params))
                if kind == "Lead.Registered":
                    readers.add(event.originator_id)
                else:
                    if grants.add(event.originator_id, lead_access_change(event)):
                        readers.add(event.originator_id)
                    latest[event.originator_id] = (event.originator_version, event.timestamp)
        grants.write(cursor)
        SEARCH.sync(cursor, readers)
        if latest:
            cursor.executemany(
                "UPDATE lead_register SET version = %s, modified_at = %s WHERE lead_id = %s",
                [(*stamp, lead_id) for lead_id, stamp in latest.items()],
            )

    def search(
        self,
        *,
        visible_to: str | None,
        county: str | None = None,
        status: str | None = None,
        source: str | None = None,
        referral: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        text: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[dict[str, Any]]]:
        """One page of the leads a reader may see (``visible_to``: a county, ``ALL``, or None
        for none), newest received first, and how many match, up to ``search_text.count_cap``
        (plus one: more). With free text, the best matches first when no more than
        ``MATCH_CAP`` match."""
        if visible_to is None:
            return 0, []
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        filters = []  # over the register's columns
        for column, value in (
            ("owner_county", county),
            ("status", status),
            ("source", source),
            ("referral_state", referral),
        ):
            if value is not None:
                filters.append(f"{column} = %({column})s")
                params[column] = value
        if since is not None:
            filters.append("coalesce(received_at, registered_at) >= %(since)s")
            params["since"] = since
        if until is not None:
            filters.append("coalesce(received_at, registered_at) < %(until)s")
            params["until"] = until
        found = query(text) if text and text.strip() else None
        order = f"{NEWEST} DESC, lead_id"
        if found is None and filters:  # a filtered list: the register alone, newest first
            if visible_to != ALL:
                filters.append("visible_to @> ARRAY[%(visible_to)s]::text[]")
                params["visible_to"] = visible_to
            condition = " AND ".join(filters)
            return self.page("lead_register", COLUMNS, condition, order, params)
        # Free text, or the newest of every lead the reader sees: the reader's rows of the
        # search table (``SEARCH``), whose indexes count them without reading each lead.
        condition = " AND ".join(SEARCH.conditions(found, visible_to, params) + filters)
        rows_from = SEARCH.rows_from(joined=bool(filters))
        with self.reading(matches=True) as read:
            if found is None or found.rank is None:  # nothing to rank: the newest first
                page = keyed_page(
                    rows_from,
                    "t.lead_id",
                    condition,
                    "t.newest DESC, t.lead_id",
                    "lead_register",
                    COLUMNS,
                    order,
                )
                return counted(read, page, rows_from, condition, params, count_cap(text))
            params["rank"] = found.rank  # the best first, or past MATCH_CAP the newest
            return matching(read, SEARCH, rows_from, COLUMNS, condition, params)


def _statements(kind: str, e: Any) -> list[tuple[str, tuple[Any, ...]]]:
    """The row changes one lead event makes (besides version, time and grants: see
    ``apply``)."""
    out: list[tuple[str, tuple[Any, ...]]] = []
    if kind == "Lead.Registered":
        out.append(
            (
                "INSERT INTO lead_register (lead_id, version, owner_county, responsible_county,"
                " status, source, summary, place_county, place_detail, suspected_parties,"
                " has_informant, informant_ref, received_at, registered_at, modified_at,"
                " grants, visible_to, search_vec) VALUES (%s, %s, %s, %s, 'open', %s, %s, %s, %s,"
                " %s, %s, %s, %s, %s, %s, %s, %s, %s::tsvector) ON CONFLICT (lead_id) DO NOTHING",
                (
                    e.originator_id,
                    e.originator_version,
                    e.county,
                    e.county,
                    e.source,
                    e.summary,
                    e.place_county,
                    e.place_detail,
                    list(e.suspected_parties),
                    e.informant_ciphertext is not None,
                    e.informant_ref,
                    e.received_at,
                    e.timestamp,
                    e.timestamp,
                    *initial(lead_access_change(e)),
                    # What is searched; the informant (sealed, or its pseudonym) never is.
                    document(
                        (e.summary, "A"),
                        (e.place_county, "B"),
                        (e.place_detail, "B"),
                        (" ".join(e.suspected_parties), "C"),
                    ),
                ),
            )
        )
        return out
    state = _REFERRAL_EVENTS.get(kind)
    if state is not None:
        out.append(
            (
                "UPDATE lead_register SET referral_state = %s WHERE lead_id = %s",
                (state, e.originator_id),
            )
        )
    if kind == "Lead.Referred":
        out.append(_append("referred_to", e.to_county, e.originator_id))
    elif kind == "Lead.ReferralAccepted":
        out.append(
            (
                "UPDATE lead_register SET responsible_county = %s WHERE lead_id = %s",
                (e.actor.county, e.originator_id),
            )
        )
    elif kind == "Lead.Shared":
        out.extend(_append("shared_with", county, e.originator_id) for county in e.counties)
    elif kind == "Lead.ConvertedToCase":
        out.append(
            (
                "UPDATE lead_register SET status = 'converted', case_id = %s, case_number = %s"
                " WHERE lead_id = %s",
                (e.case_id, e.case_number, e.originator_id),
            )
        )
    elif kind == "Lead.Closed":
        out.append(
            (
                "UPDATE lead_register SET status = 'closed', closure = %s WHERE lead_id = %s",
                (e.closure, e.originator_id),
            )
        )
    return out


def _append(column: str, value: str, lead_id: Any) -> tuple[str, tuple[Any, ...]]:
    return (
        f"UPDATE lead_register SET {column} = array_append({column}, %s)"
        f" WHERE lead_id = %s AND NOT {column} @> ARRAY[%s]::text[]",
        (value, lead_id, value),
    )


class LeadRegisterProjection(BatchProjection):
    name = "lead_register"
