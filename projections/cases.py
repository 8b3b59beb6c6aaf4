"""Case search: one row per case with what lists and searches filter on (county, status, type,
dates, totals) and the counties that may see it, kept in step with the case events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from domain.access import ALL, case_access_change
from projections.access import apply_change, initial
from projections.base import Batch, BatchProjection, View, clean
from projections.search_text import document, like_patterns, query

#: What free text is searched in: the words of ``document`` below and the text the ``ILIKE``
#: check reads (the same three fields).
TEXT = "(title || ' ' || summary || ' ' || number)"

COUNT_CAP = 10_000
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


#: A county sees a case it has a grant on, a case merged (directly or through a chain of
#: merges) into one it has a grant on, and the survivor of its own case, while the merge stands
#: (``domain.access.can_see_case``).
VISIBLE_TO = (
    "(visible_to @> ARRAY[%(visible_to)s]::text[]"
    " OR (merged_into IS NOT NULL AND EXISTS ("
    "WITH RECURSIVE survivors(id) AS ("
    " SELECT case_search.merged_into"
    " UNION SELECT s.merged_into FROM case_search s JOIN survivors ON s.case_id = survivors.id"
    " WHERE s.merged_into IS NOT NULL)"
    " SELECT 1 FROM survivors JOIN case_search s ON s.case_id = survivors.id"
    " WHERE s.visible_to @> ARRAY[%(visible_to)s]::text[]))"
    # the survivors of its own cases, collected once (an EXISTS per row kept the planner from
    # combining the three indexes and made it read every row: a capped count at 1M events)
    " OR case_id = ANY (ARRAY(SELECT a.merged_into FROM case_search a"
    " WHERE a.merged_into IS NOT NULL AND a.county = %(visible_to)s)))"
)


class CaseSearchView(View):
    name = "case_search"
    tables = ("case_search",)
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
            co_handlers text[] NOT NULL DEFAULT '{}',
            merged_into uuid,
            police_referred boolean NOT NULL DEFAULT false,
            seizures integer NOT NULL DEFAULT 0,
            total_sticks bigint NOT NULL DEFAULT 0,
            total_value numeric(16, 2) NOT NULL DEFAULT 0,
            search_vec tsvector
        )""",
        # Added with the one visibility rule: a search built before it is rebuilt.
        "ALTER TABLE case_search ADD COLUMN IF NOT EXISTS grants text[] NOT NULL DEFAULT '{}'",
        # Added with Chinese free-text search: a search built before it is rebuilt.
        "ALTER TABLE case_search ADD COLUMN IF NOT EXISTS search_vec tsvector",
        "CREATE INDEX IF NOT EXISTS case_search_text ON case_search USING gin (search_vec)",
        "CREATE INDEX IF NOT EXISTS case_search_merged_into ON case_search (merged_into)",
        "CREATE INDEX IF NOT EXISTS case_search_visible ON case_search USING gin (visible_to)",
        "CREATE INDEX IF NOT EXISTS case_search_recorded ON case_search (recorded_at DESC)",
        "CREATE INDEX IF NOT EXISTS case_search_county ON case_search (county, status)",
    )

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        """Structural changes run in order; seizure totals and versions are folded per case
        over the batch and written with one UPDATE per case touched (seizures are most of the
        log, and a row updated once per batch instead of once per event also bloats less)."""
        statements: list[tuple[str, tuple[Any, ...]]] = []
        folded: dict[Any, list[Any]] = {}  # case id -> [seizures, sticks, value, version, time]
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
                change = case_access_change(event)
                if kind != "Case.Opened":
                    statements.extend(
                        apply_change("case_search", "case_id", event.originator_id, change)
                    )
            if kind != "Case.Opened":
                entry = folded.setdefault(event.originator_id, [0, 0, Decimal(0), 0, None])
                entry[3] = event.originator_version
                entry[4] = event.timestamp
        with cursor.connection.pipeline():
            for sql, params in statements:
                cursor.execute(sql, clean(params))
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
    ) -> tuple[int, list[dict[str, Any]]]:
        where = ["true"]
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if visible_to is not None and visible_to != ALL:
            where.append(VISIBLE_TO)
            params["visible_to"] = visible_to
        for column, value in (("county", county), ("status", status), ("case_type", case_type)):
            if value is not None:
                where.append(f"{column} = %({column})s")
                params[column] = value
        if since is not None:
            where.append("coalesce(opened_at, recorded_at) >= %(since)s")
            params["since"] = since
        if until is not None:
            where.append("coalesce(opened_at, recorded_at) < %(until)s")
            params["until"] = until
        ranked = None
        if text and text.strip():
            found = query(text)
            if found.match is not None:
                where.append("search_vec @@ %(match)s::tsquery")
                params["match"] = found.match
                ranked = found.rank
            for i, pattern in enumerate(like_patterns(found.terms)):
                where.append(f"{TEXT} ILIKE %(term{i})s")
                params[f"term{i}"] = pattern
        if sort is None:
            sort = RELEVANCE if ranked else "recorded_at"
        if sort == RELEVANCE:
            order = "recorded_at DESC, case_id"
            if ranked:
                order = f"ts_rank(search_vec, %(rank)s::tsquery) DESC, {order}"
                params["rank"] = ranked
        else:
            order = f"{SORTABLE[sort]} {'DESC' if descending else 'ASC'}, case_id"
        condition = " AND ".join(where)
        if "rank" in params:
            # Ranking reads every match anyway: count them in the same pass.
            rows = self.query(
                f"SELECT {COLUMNS}, count(*) OVER () AS matched FROM case_search"
                f" WHERE {condition} ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s",
                params,
            )
            if rows or offset == 0:
                matched = [row.pop("matched") for row in rows]
                return min(matched[0] if matched else 0, COUNT_CAP + 1), rows
        rows = self.query(
            f"SELECT {COLUMNS} FROM case_search WHERE {condition} "
            f"ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        # Counted apart, and only up to COUNT_CAP: a window count over every match would make
        # each page as slow as reading all of them.
        counted = self.query(
            f"SELECT count(*) AS n FROM (SELECT 1 FROM case_search WHERE {condition}"
            f" LIMIT {COUNT_CAP + 1}) AS matches",
            params,
        )
        return counted[0]["n"], rows

    def co_handled(self, county: str, limit: int = 100) -> list[dict[str, Any]]:
        """The open cases the county handles jointly (as co-handler), newest first."""
        return self.query(
            f"SELECT {COLUMNS} FROM case_search WHERE status = 'open' AND co_handlers @> ARRAY[%s]::text[]"
            " ORDER BY recorded_at DESC LIMIT %s",
            (county, limit),
        )


def _opened(e: Any) -> tuple[str, tuple[Any, ...]]:
    return (
        "INSERT INTO case_search (case_id, number, county, year, case_type, status, title, summary,"
        " opened_at, recorded_at, modified_at, version, grants, visible_to, search_vec)"
        " VALUES (%s, %s, %s, %s, %s, 'open', %s, %s, %s, %s, %s, %s, %s, %s, %s::tsvector)",
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
            *initial(case_access_change(e)),
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
