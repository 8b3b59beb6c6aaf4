"""Case search: one row per case with what lists and searches filter on (county, status, type,
dates, totals) and the counties that may see it, kept in step with the case events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from domain.access import ALL, Visibility, case_access_change, case_readers
from domain.case_summary import summary_row
from projections.access import GrantFold, initial, initial_full
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

#: What free text is searched in: the words of ``document`` below and the text the substring
#: check reads (the same three fields).
TEXT = "(title || ' ' || summary || ' ' || number)"
#: The cases' search table: each case's words per county that sees it (``readers``).
SEARCH = ReaderText(
    table="case_text",
    key="case_id",
    source="case_search",
    readers="readers",
    newest="recorded_at",
    text=TEXT,
)

SORTABLE = {
    "recorded_at": "recorded_at",
    "opened_at": "coalesce(opened_at, recorded_at)",
    "modified_at": "modified_at",
    "number": "number",
    "value": "total_value",
}
#: What a search answers: every column but the stored words.
COLUMNS = (
    "case_id, number, county, year, case_type, status, title, summary, opened_at, recorded_at,"
    " modified_at, version, visible_to, grants, co_handlers, merged_into, police_referred,"
    " seizures, total_sticks, total_value"
)
#: Sort by how well a row matches the free text (``ts_rank``), then newest first; the default
#: when there is free text to match.
RELEVANCE = "relevance"


#: A county sees the cases whose ``readers`` hold it: the counties ``domain.access.case_readers``
#: names (those involved in the case or in a case it is merged into, and the lead counties of the
#: cases merged into it), folded by ``refresh_readers`` whenever a case's grants or merges change.
VISIBLE_TO = "readers @> ARRAY[%(visible_to)s]::text[]"
#: Of those, a county sees the whole of the cases whose ``full_readers`` hold it: the same fold
#: over the counties that see the case and its survivors whole (``full_to``).
FULL_READERS = "case_search.full_readers @> ARRAY[%(visible_to)s]::text[]"
#: The cases whose readers an event may change: every case of the merge trees that hold the
#: given ones (up the survivor chains, then every case merged into those, at any depth).
MERGE_TREES = (
    "WITH RECURSIVE up(id) AS (SELECT unnest(%s::uuid[])"
    " UNION SELECT c.merged_into FROM case_search c JOIN up ON c.case_id = up.id"
    " WHERE c.merged_into IS NOT NULL),"
    " down(id) AS (SELECT id FROM up"
    " UNION SELECT c.case_id FROM case_search c JOIN down ON c.merged_into = down.id)"
    " SELECT case_id, county, visible_to, full_to, merged_into, readers, full_readers"
    " FROM case_search"
    " WHERE case_id IN (SELECT id FROM down)"
)


class CaseSearchView(View):
    name = "case_search"
    tables = ("case_search", "case_text")
    ddl = (
        """CREATE TABLE IF NOT EXISTS case_search (
            case_id uuid PRIMARY KEY,
            number text NOT NULL,
            county text NOT NULL,
            year integer NOT NULL,
            case_type text NOT NULL,
            status text NOT NULL,
            title text NOT NULL,
            summary text NOT NULL,
            opened_at timestamptz,
            recorded_at timestamptz NOT NULL,
            modified_at timestamptz NOT NULL,
            version integer NOT NULL,
            visible_to text[] NOT NULL,
            grants text[] NOT NULL DEFAULT '{}',
            full_to text[] NOT NULL DEFAULT '{}',
            co_handlers text[] NOT NULL DEFAULT '{}',
            merged_into uuid,
            police_referred boolean NOT NULL DEFAULT false,
            seizures integer NOT NULL DEFAULT 0,
            total_sticks bigint NOT NULL DEFAULT 0,
            total_value numeric(16, 2) NOT NULL DEFAULT 0,
            search_vec tsvector,
            readers text[] NOT NULL,
            full_readers text[]
        )""",
        # Added with the one visibility rule: a search built before it is rebuilt.
        "ALTER TABLE case_search ADD COLUMN IF NOT EXISTS grants text[] NOT NULL DEFAULT '{}'",
        # Added with the summary level: a search built before it is rebuilt.
        "ALTER TABLE case_search ADD COLUMN IF NOT EXISTS full_to text[] NOT NULL DEFAULT '{}'",
        # Added with Chinese free-text search: a search built before it is rebuilt.
        "ALTER TABLE case_search ADD COLUMN IF NOT EXISTS search_vec tsvector",
        # The words are searched in ``case_text`` (``SEARCH``), this table keeps them as its source.
        "DROP INDEX IF EXISTS case_search_text",
        # Added with search by one indexed column: a search built before it shows each case to
        # the counties involved in it (no more) until ``jointcase projections rebuild
        # case_search`` folds the merges in.
        "ALTER TABLE case_search ADD COLUMN IF NOT EXISTS readers text[]",
        "UPDATE case_search SET readers = visible_to WHERE readers IS NULL",
        "CREATE INDEX IF NOT EXISTS case_search_readers ON case_search USING gin (readers)",
        # Added with the whole-case readers folded like ``readers`` (``refresh_readers``);
        # ``create_table`` folds them for the cases of a search built before.
        "ALTER TABLE case_search ADD COLUMN IF NOT EXISTS full_readers text[]",
        "CREATE INDEX IF NOT EXISTS case_search_merged_into ON case_search (merged_into)",
        "CREATE INDEX IF NOT EXISTS case_search_visible ON case_search USING gin (visible_to)",
        "CREATE INDEX IF NOT EXISTS case_search_recorded ON case_search (recorded_at DESC)",
        "CREATE INDEX IF NOT EXISTS case_search_county ON case_search (county, status)",
        *SEARCH.ddl(),
    )
    #: Read by the queries only (the rows are found by their key when applied).
    query_indexes = (
        SEARCH.match_index,
        SEARCH.newest_index,
        "case_search_merged_into",
        "case_search_visible",
        "case_search_recorded",
        "case_search_county",
    )

    def create_table(self) -> None:
        """The tables (``ddl``), then, for a search built before cases kept the counties that
        see them whole, those counties folded for every case (``refresh_readers``)."""
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            curs.execute("LOCK TABLE case_search IN SHARE ROW EXCLUSIVE MODE")
            rows = curs.execute(
                "SELECT case_id FROM case_search WHERE full_readers IS NULL"
            ).fetchall()
            if rows:
                SEARCH.sync(curs, refresh_readers(curs, {row["case_id"] for row in rows}))

    def finish_rebuild(self, application_name: str) -> None:
        """Compacts the table in time order (``View.compact``): a search reads each of its
        matches, and a page of the newest walks the time index."""
        self.compact("case_search", "case_search_recorded")
        self.compact(SEARCH.table, SEARCH.newest_index)

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        """Structural changes run in order; seizure totals and versions are folded per case
        over the batch and written with one UPDATE per case touched (seizures are most of the
        log, and a row updated once per batch instead of once per event also bloats less)."""
        statements: list[tuple[str, tuple[Any, ...]]] = []
        folded: dict[Any, list[Any]] = {}  # case id -> [seizures, sticks, value, version, time]
        touched: set[Any] = set()  # cases whose grants or merges may have changed
        opened: set[Any] = set()
        grants = GrantFold("case_search", "case_id", levels=True)
        for event, _, _ in batch:
            kind = type(event).__qualname__
            if not kind.startswith("Case."):
                continue
            if kind == "Case.SeizureRecorded":
                entry = folded.setdefault(event.originator_id, [0, 0, Decimal(0), 0, None])
                entry[0] += 1
                entry[1] += event.sticks
                entry[2] += event.value
            else:
                handler = HANDLERS.get(kind)
                if handler is not None:
                    statements.append(handler(event))
                if kind == "Case.Opened":
                    opened.add(event.originator_id)
                else:
                    grants.add(event.originator_id, case_access_change(event))
                    touched.add(event.originator_id)
                    survivor = getattr(event, "survivor_id", None)
                    if survivor is not None:
                        touched.add(survivor)
            if kind != "Case.Opened":
                entry = folded.setdefault(event.originator_id, [0, 0, Decimal(0), 0, None])
                entry[3] = event.originator_version
                entry[4] = event.timestamp
        with cursor.connection.pipeline():
            for sql, params in statements:
                cursor.execute(sql, clean(params))
        grants.write(cursor)
        SEARCH.sync(cursor, opened | (refresh_readers(cursor, touched) if touched else set()))
        if folded:
            cursor.executemany(
                "UPDATE case_search SET seizures = seizures + %s, total_sticks = total_sticks + %s,"
                " total_value = total_value + %s, version = %s, modified_at = %s"
                " WHERE case_id = %s",
                [(*entry, case_id) for case_id, entry in folded.items()],
            )

    def search(
        self,
        *,
        county: str | None = None,
        visible_to: str | None = None,
        status: str | None = None,
        case_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        text: str | None = None,
        sort: str | None = None,
        descending: bool = True,
        limit: int = 50,
        offset: int = 0,
        most: Visibility = Visibility.FULL,
    ) -> tuple[int, list[dict[str, Any]]]:
        """One page of the cases ``visible_to`` sees (``ALL``: every case), each row with how
        much of it the reader sees (``access``: ``full``, or ``summary`` and then only the
        summary's fields, ``domain.case_summary.summary_row``); ``most``: the most the reader
        sees of any case (``domain.access.case_list_visibility``), and how many match, up to
        ``search_text.count_cap`` (plus one: more). With free text and no other sort, the best
        matches first when no more than ``MATCH_CAP`` match, else the newest first."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        access = f"'{_label(most)}'"
        reader = ALL
        if visible_to is not None and visible_to != ALL:
            reader = visible_to
            params["visible_to"] = visible_to
            if most == Visibility.FULL:
                access = f"CASE WHEN {FULL_READERS} THEN 'full' ELSE 'summary' END"
        columns = f"{COLUMNS}, {access} AS access"
        filters = []  # over the columns of case_search
        for column, value in (("county", county), ("status", status), ("case_type", case_type)):
            if value is not None:
                filters.append(f"{column} = %({column})s")
                params[column] = value
        if since is not None:
            filters.append("coalesce(opened_at, recorded_at) >= %(since)s")
            params["since"] = since
        if until is not None:
            filters.append("coalesce(opened_at, recorded_at) < %(until)s")
            params["until"] = until
        found = query(text) if text and text.strip() else None
        if sort is None:
            sort = RELEVANCE if found is not None and found.rank is not None else "recorded_at"
        direction = "DESC" if descending or sort == RELEVANCE else "ASC"
        # Best first (below) when counted up to the cap, else newest.
        by_time = sort in (RELEVANCE, "recorded_at")
        order = f"{'recorded_at' if by_time else SORTABLE[sort]} {direction}, case_id"
        cap = count_cap(text)
        # A list filtered or sorted by the view's own columns reads case_search alone; free
        # text, and the newest of every case the reader sees, the reader's rows of the search
        # table (``SEARCH``), whose indexes count them without reading each case.
        listed = found is None and bool(filters or not by_time)
        if listed:
            if reader != ALL:
                filters.append(VISIBLE_TO)
            rows_from, key = "case_search", "case_search.case_id"
            page_order = order
        else:
            rows_from = SEARCH.rows_from(joined=bool(filters) or not by_time)
            filters = SEARCH.conditions(found, reader, params) + filters
            key = "t.case_id"
            page_order = (
                f"t.newest {direction}, t.case_id"
                if by_time
                else f"{SORTABLE[sort]} {direction}, t.case_id"
            )
        condition = " AND ".join(filters or ["true"])
        with self.reading(matches=not listed) as read:
            if sort == RELEVANCE and found is not None and found.rank is not None:
                params["rank"] = found.rank  # the best first, or past MATCH_CAP the newest
                total, rows = matching(read, SEARCH, rows_from, columns, condition, params)
                return total, _as_seen(rows)
            # The page's keys first, then its rows (``keyed_page``): over every candidate row the
            # planner hashed the ``access`` sub-query, reading every case of the reader's county.
            total, rows = counted(
                read,
                keyed_page(rows_from, key, condition, page_order, "case_search", columns, order),
                rows_from,
                condition,
                params,
                cap,
            )
            return total, _as_seen(rows)

    def co_handled(self, county: str, limit: int = 100) -> list[dict[str, Any]]:
        """The open cases the county handles jointly (as co-handler), newest first."""
        return self.query(
            f"SELECT {COLUMNS} FROM case_search WHERE status = 'open' AND co_handlers @> ARRAY[%s]::text[]"
            " ORDER BY recorded_at DESC LIMIT %s",
            (county, limit),
        )


def refresh_readers(cursor: psycopg.Cursor[Any], case_ids: set[Any]) -> set[Any]:
    """Stores ``case_readers`` anew for every case of the merge trees holding these cases (a
    grant on a survivor reaches the cases merged into it; a merge or its reversal changes both
    sides and everything merged into the absorbed case): the counties that see each case
    (``readers``, from the ``visible_to`` of the case and its survivors) and those that see it
    whole (``full_readers``, from their ``full_to``); the cases whose ``readers`` changed."""
    rows = {
        row["case_id"]: row for row in cursor.execute(MERGE_TREES, (list(case_ids),)).fetchall()
    }
    absorbed: dict[Any, list[str]] = {}
    for row in rows.values():
        if row["merged_into"] is not None:
            absorbed.setdefault(row["merged_into"], []).append(row["county"])
    changed = []  # (readers, full_readers, case id) of the rows to write
    new_readers = set()
    for case_id, row in rows.items():
        chain = [row]
        seen = {case_id}
        survivor = row["merged_into"]
        while survivor is not None and survivor in rows and survivor not in seen:
            seen.add(survivor)
            chain.append(rows[survivor])
            survivor = rows[survivor]["merged_into"]
        into = absorbed.get(case_id, ())
        readers = sorted(case_readers([c["visible_to"] for c in chain], into))
        whole = sorted(case_readers([c["full_to"] for c in chain], into))
        if readers != row["readers"]:
            new_readers.add(case_id)
        if readers != row["readers"] or whole != row["full_readers"]:
            changed.append((readers, whole, case_id))
    if changed:
        cursor.executemany(
            "UPDATE case_search SET readers = %s, full_readers = %s WHERE case_id = %s", changed
        )
    return new_readers


def _label(seen: Visibility) -> str:
    return seen.name.lower()


def _as_seen(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row whole, or cut to the summary for a reader who sees only that."""
    summary = _label(Visibility.SUMMARY)
    return [
        {**summary_row(row), "access": summary} if row["access"] == summary else row for row in rows
    ]


def _opened(e: Any) -> tuple[str, tuple[Any, ...]]:
    grants, counties = initial(case_access_change(e))
    whole = initial_full(case_access_change(e))
    return (
        "INSERT INTO case_search (case_id, number, county, year, case_type, status, title, summary,"
        " opened_at, recorded_at, modified_at, version, grants, visible_to, full_to, readers,"
        " full_readers, search_vec)"
        " VALUES (%s, %s, %s, %s, %s, 'open', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " %s::tsvector)",
        (
            e.originator_id,
            e.number,
            e.county,
            e.year,
            e.case_type,
            e.title,
            e.summary,
            e.opened_at,
            e.timestamp,
            e.timestamp,
            e.originator_version,
            grants,
            counties,
            whole,
            # A new case is merged into none and none into it.
            sorted(case_readers([counties])),
            sorted(case_readers([whole])),
            document((e.title, "A"), (e.number, "A"), (e.summary, "B")),
        ),
    )


def _joined(e: Any) -> tuple[str, tuple[Any, ...]]:
    return (
        "UPDATE case_search SET co_handlers = array_append(co_handlers, %s) WHERE case_id = %s",
        (e.actor.county, e.originator_id),
    )


def _status(status: str) -> Any:
    def handler(e: Any) -> tuple[str, tuple[Any, ...]]:
        return ("UPDATE case_search SET status = %s WHERE case_id = %s", (status, e.originator_id))

    return handler


def _merged(e: Any) -> tuple[str, tuple[Any, ...]]:
    return (
        "UPDATE case_search SET status = 'merged', merged_into = %s WHERE case_id = %s",
        (e.survivor_id, e.originator_id),
    )


def _unmerged(e: Any) -> tuple[str, tuple[Any, ...]]:
    return (
        "UPDATE case_search SET status = %s, merged_into = NULL WHERE case_id = %s",
        (e.status_before_merge, e.originator_id),
    )


def _police(e: Any) -> tuple[str, tuple[Any, ...]]:
    return ("UPDATE case_search SET police_referred = true WHERE case_id = %s", (e.originator_id,))


HANDLERS = {
    "Case.Opened": _opened,
    "Case.CoHandlerJoined": _joined,
    "Case.Closed": _status("closed"),
    "Case.Reopened": _status("open"),
    "Case.MergedInto": _merged,
    "Case.MergeReversed": _unmerged,
    "Case.ReferredToPolice": _police,
}


class CaseSearchProjection(BatchProjection):
    name = "case_search"
