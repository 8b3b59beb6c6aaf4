"""Free-text search for Chinese and alphanumeric text: one tokeniser for both sides.

The same functions make the tokens a read model stores (``document``, at projection time) and the
query it runs (``query``, at query time), so the two can never drift apart.

A text is lower-cased and cut into runs: runs of Chinese characters (Han), runs of other letters
and digits (``蒙J12345`` is the run ``蒙`` and the run ``j12345``), and separators (spaces,
punctuation) between them. What is stored, as a ``tsvector`` built here (PostgreSQL's parsers
keep a run of Chinese characters as one token):

- every Chinese character (unigram) and every pair of neighbouring characters (bigram) of a run,
  so that any one- or two-character term (售烟, 兴和, 走私) is found, and a longer one by all of
  its bigrams;
- the words rjieba cuts a Chinese run into, when longer than two characters (芙蓉王, 批发市场):
  they add nothing to what is found, but rank a row holding the query as a word above one that
  holds it only across word boundaries;
- for an alphanumeric run, the run itself and every tail of it (``j12345``, ``12345``, ...,
  ``45``), each cut to ``MAX_LEXEME`` characters, so that the query's alphanumeric part, matched
  as a prefix, finds any part of a plate, waybill or brand code.

The query is cut at whitespace into terms. A row matches when it contains every term as a
substring (case-insensitively), which is exactly what the old ``ILIKE`` scan answered for a
one-term query. The ``tsquery`` (the index) finds a superset of those rows: every unigram or
bigram of the term's Chinese runs and every alphanumeric run of two characters or more (cut to
``MAX_LEXEME``, as a prefix); the view then checks each candidate with ``ILIKE`` per term, so that
the answer equals a substring scan of the same rows. A term with nothing to index (one letter,
punctuation only) is checked by the scan alone. A term whose ``tsquery`` finds no other row
(``exact``: one or two Chinese characters, or an ASCII code of two to ``MAX_LEXEME`` letters and
digits) needs no check, so such a search reads no row's text.

A search with free text counts its matches up to ``MATCH_CAP`` and ranks them all, best first;
when more match, it says so (the count is the cap) and lists them newest first, which needs to
read only the rows of the page instead of every match (ranking reads every match's tokens, and
a term held by nearly every row is held by thousands). Every match can still be paged to.

Informant identities are never passed here: a view indexes only the fields it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
import rjieba

from domain.access import ALL

if TYPE_CHECKING:
    from projections.base import Reading

#: Han ideographs: CJK unified ideographs with extension A, compatibility ideographs, and the
#: supplementary planes' extensions.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
#: A run of Han characters, or a run of other letters and digits (``_`` is a separator).
RUNS = re.compile(f"([{_HAN}]+)|([^\\W_{_HAN}]+)")
#: Longest stored alphanumeric lexeme; a longer query part is matched by its first characters.
MAX_LEXEME = 32
#: Characters of a field that are indexed: more than any field the API allows (4,000 for a
#: summary; a lead's suspected parties joined, 50 of 400 with spaces between, 20,049); a
#: tsvector is at most 1 MB, and PostgreSQL keeps positions only up to 16,383.
MAX_FIELD = 24_000
_MAX_POSITION = 16_383
_MAX_POSITIONS_PER_LEXEME = 256
WEIGHTS = frozenset("ABCD")
#: How many rows a search counts: a list up to COUNT_CAP; with free text up to MATCH_CAP, which
#: it also ranks. Beyond the cap a search answers the cap plus one: "more than the cap".
COUNT_CAP = 10_000
MATCH_CAP = 2_000
#: How many of a reader's rows, newest first, a page of the newest of more than MATCH_CAP
#: matches walks before it reads every match instead (``match_page``).
WALK_ROWS = 2_000


def _runs(text: str) -> Iterable[tuple[bool, str]]:
    """(is_han, run) for each run of a lower-cased text, in order."""
    for han, other in RUNS.findall(text.lower()):
        yield (True, han) if han else (False, other)


def _words(run: str) -> list[tuple[int, str]]:
    """(offset, word) for rjieba's words of a Han run longer than two characters (and not
    longer than MAX_LEXEME)."""
    out = []
    offset = 0
    for word in rjieba.cut(run):
        if 2 < len(word) <= MAX_LEXEME:
            out.append((offset, word))
        offset += len(word)
    return out


def _grams(is_han: bool, run: str) -> Iterable[tuple[int, str]]:
    """(offset, lexeme) of a run: for Han, each character, each pair of neighbours and the
    longer words; otherwise the run from each offset on, cut to MAX_LEXEME, of two or more."""
    n = len(run)
    if not is_han:
        return [(i, run[i : i + MAX_LEXEME]) for i in range(n - 1)]
    grams = list(enumerate(run))
    grams += [(i, run[i : i + 2]) for i in range(n - 1)]
    if n > 2:
        grams += _words(run)
    return grams


def document(*fields: tuple[str | None, str]) -> str:
    """The ``tsvector`` text of a row from ``(text, weight)`` fields (weight A-D, A ranks
    highest), e.g. ``document((title, "A"), (summary, "B"))``; cast it with ``::tsvector``.
    Lexemes hold only letters and digits (``RUNS``), so they need no escaping."""
    positions: dict[str, list[str]] = {}
    base = 1
    for text, weight in fields:
        if weight not in WEIGHTS:
            raise ValueError(f"unknown weight {weight!r}")
        if not text:
            continue
        for is_han, run in _runs(text[:MAX_FIELD]):
            for offset, lexeme in _grams(is_han, run):
                at = positions.get(lexeme)
                position = base + offset
                token = f"{position if position < _MAX_POSITION else _MAX_POSITION}{weight}"
                if at is None:
                    positions[lexeme] = [token]
                elif len(at) < _MAX_POSITIONS_PER_LEXEME:
                    at.append(token)
            base += len(run) + 1  # a gap: runs are never neighbours
    return " ".join([f"'{lexeme}':{','.join(at)}" for lexeme, at in positions.items()])


#: A term whose ``tsquery`` finds exactly the rows holding it as a substring (see ``exact``).
_EXACT = re.compile(f"[{_HAN}]{{1,2}}|[a-z0-9]{{2,{MAX_LEXEME}}}")


@dataclass(frozen=True)
class Query:
    """A free-text query: ``terms`` (each must be a substring of the row), ``match`` (a
    ``tsquery`` finding a superset of those rows, or None if no term has anything indexed),
    ``rank`` (a ``tsquery`` for ``ts_rank``, or None) and ``checked``: the terms the index may
    over-match, to be checked with ``ILIKE`` (every term but the ``exact`` ones)."""

    terms: tuple[str, ...]
    match: str | None
    rank: str | None
    checked: tuple[str, ...]


def exact(term: str) -> bool:
    """Whether ``match`` finds exactly the rows holding the (lower-cased) term, so that no
    ``ILIKE`` check is needed: one or two Chinese characters (a stored unigram or bigram, and
    two neighbouring Han characters are always in one run), or two to ``MAX_LEXEME`` ASCII
    letters and digits (a prefix of a stored tail exactly when a substring of a stored
    alphanumeric run, and any occurrence of such a term lies inside one run). ASCII only:
    PostgreSQL's ``ILIKE`` and Python's ``lower`` may fold other letters differently. Exact
    as long as a field is at most ``MAX_FIELD`` characters, as the API keeps them."""
    return _EXACT.fullmatch(term) is not None


def query(text: str) -> Query:
    """Tokenises query text exactly as ``document`` tokenises rows (see the module's doc)."""
    terms = tuple(dict.fromkeys(text.lower().split()))
    checked = tuple(t for t in terms if not exact(t))
    required: list[str] = []
    words: list[str] = []
    for term in terms:
        for is_han, run in _runs(term):
            if is_han:
                grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
                required.extend(_quote(g) for g in grams)
                words.extend(_quote(w) for _, w in _words(run))
            elif len(run) > 1:
                required.append(f"{_quote(run[:MAX_LEXEME])}:*")
    required = list(dict.fromkeys(required))
    if not required:
        return Query(terms, None, None, checked)
    match = " & ".join(required)
    extra = [w for w in dict.fromkeys(words) if w not in required]
    rank = f"({match}) | {' | '.join(extra)}" if extra else match
    return Query(terms, match, rank, checked)


def count_cap(text: str | None) -> int:
    """How far a search counts (see COUNT_CAP): with free text to match, MATCH_CAP."""
    return MATCH_CAP if text and text.strip() else COUNT_CAP


@dataclass(frozen=True)
class ReaderText:
    """A view's search table: one row per record and reader, the counties of the record's
    ``readers`` column and ``ALL`` (``*``, for those who read every record), each with the
    record's time (``newest``), its searched text lower-cased (``body``) and its words
    (``search_vec``, made by ``document`` and kept in the record's own row as the source).

    Every record has its rows, with words or without (a view built before them), so the
    newest of a reader's records are also listed from here, without free text: a page walks
    the (reader, time) index, and the count reads that index alone, instead of every row the
    reader sees in the view's table (a county's 7,037 cases: 4.7 ms against 25.8).

    A search reads the rows of one reader, so that a county's rows lie together (a rebuild
    writes them in reader and time order) and one GIN index over (reader, words) gives the
    rows of that reader holding the terms in one scan: no bitmap of every row the reader sees
    to intersect, and a heap page read holds several of the reader's matches, not one.

    Which counties read a record is the record's ``readers`` column alone, as the view folds it
    (``domain.access``); ``sync`` copies it here after each batch. ``body`` is lower-cased by
    PostgreSQL: ``x ILIKE p`` is ``lower(x) LIKE lower(p)`` in a UTF-8 database, so the stored
    text is checked with ``LIKE`` (``conditions``) and the same rows are found, without
    lower-casing each match at every search."""

    table: str  # the search table, e.g. lead_text
    key: str  # the record's key column, in both tables
    source: str  # the view's own table, e.g. lead_register
    readers: str  # its column of the counties that read a record
    newest: str  # the record's time, an expression over the source row
    text: str  # the searched text, an expression over the source row

    @property
    def match_index(self) -> str:
        return f"{self.table}_match"

    @property
    def newest_index(self) -> str:
        return f"{self.table}_newest"

    def ddl(self) -> tuple[str, ...]:
        """The table, its two query indexes (the GIN over reader and words needs the
        ``btree_gin`` extension: shipped with PostgreSQL, trusted, so a database's owner may
        add it), and, for a database from before it, its rows made from the view's own."""
        return (
            "CREATE EXTENSION IF NOT EXISTS btree_gin",
            f"""CREATE TABLE IF NOT EXISTS {self.table} (
                {self.key} uuid NOT NULL,
                reader text NOT NULL,
                newest timestamptz NOT NULL,
                body text NOT NULL,
                search_vec tsvector NOT NULL,
                PRIMARY KEY ({self.key}, reader)
            )""",
            f"CREATE INDEX IF NOT EXISTS {self.match_index} ON {self.table}"
            " USING gin (reader, search_vec)",
            f"CREATE INDEX IF NOT EXISTS {self.newest_index} ON {self.table}"
            f" (reader, newest DESC, {self.key})",
            self._copy(f"NOT EXISTS (SELECT FROM {self.table} LIMIT 1)"),
            # Records of a view built before its words, not yet rebuilt, are listed all the same.
            self._copy("s.search_vec IS NULL"),
        )

    def _copy(self, condition: str) -> str:
        return (
            f"INSERT INTO {self.table} ({self.key}, reader, newest, body, search_vec)"
            f" SELECT s.{self.key}, r.reader, {self.newest}, lower({self.text}),"
            " coalesce(s.search_vec, ''::tsvector)"
            f" FROM {self.source} s CROSS JOIN unnest(s.{self.readers} || '{{{ALL}}}'::text[])"
            f" AS r(reader) WHERE {condition}"
            f" ON CONFLICT ({self.key}, reader) DO NOTHING"
        )

    def sync(self, cursor: psycopg.Cursor[Any], ids: Iterable[Any]) -> None:
        """Makes the rows of these records those of their readers now (after their rows in
        the view's own table are written): removes the readers that no longer read a record
        and adds the new ones (a record's text never changes)."""
        ids = list(ids)
        if not ids:
            return
        cursor.execute(
            f"DELETE FROM {self.table} t USING {self.source} s"
            f" WHERE s.{self.key} = ANY(%s) AND t.{self.key} = s.{self.key}"
            f" AND t.reader <> ALL(s.{self.readers} || '{{{ALL}}}'::text[])",
            (ids,),
        )
        cursor.execute(self._copy(f"s.{self.key} = ANY(%s)"), (ids,))

    def conditions(self, found: Query | None, reader: str, params: dict[str, Any]) -> list[str]:
        """What a record must meet to match ``found`` (None: every record) for this reader (a
        county, or ``ALL``), over the search table as ``t``; the values go into ``params``."""
        where = ["t.reader = %(reader)s"]
        params["reader"] = reader
        if found is None:
            return where
        if found.match is not None:
            where.append("t.search_vec @@ %(match)s::tsquery")
            params["match"] = found.match
        for i, pattern in enumerate(like_patterns(found.checked)):
            where.append(f"t.body LIKE lower(%(term{i})s)")
            params[f"term{i}"] = pattern
        return where

    def rows_from(self, joined: bool) -> str:
        """The search table as ``t``, joined to the view's own table when a condition or an
        order needs its columns."""
        if not joined:
            return f"{self.table} t"
        return f"{self.table} t JOIN {self.source} ON {self.source}.{self.key} = t.{self.key}"


def match_page(search: ReaderText, rows_from: str, columns: str, condition: str) -> str:
    """One statement for a page of the records matching ``condition`` (over ``rows_from``, the
    search table as ``t``; parameters ``rank``, ``reader``, ``limit`` and ``offset``), each row
    with ``matched``: how many match, up to ``MATCH_CAP + 1`` (more than the cap). When none is
    on the page, one row of nulls carries ``matched`` (a page past the last).

    - Up to ``MATCH_CAP`` matches: the best ``ts_rank`` first (against ``rank``), then newest
      first and by key. Ranking reads each match's key, rank and time once, in the pass that
      counts them.
    - More: the newest first. A walk of the reader's rows newest first (the time index) stops
      at the page's last match; a term held by many rows is met early. It walks at most
      ``WALK_ROWS`` rows: a term whose matches are old (a year's case numbers) would otherwise
      walk every newer row, so past that every match is read from the text index and the
      newest sorted out (``OFFSET 0`` keeps the planner from walking for that too).

    Only the branch the count chooses runs (each is gated on it), and the page's full rows
    are read from the view's own table for the page alone (a case's ``access`` is worked out
    for 50 rows, not for every match). One round trip and one plan, where a ranking that found
    too many and a walk after it were two of each."""
    key, table = search.key, search.source
    needed = "%(limit)s + %(offset)s"
    return (
        f"WITH matches AS MATERIALIZED (SELECT t.{key} AS page_key,"
        " ts_rank(t.search_vec, %(rank)s::tsquery) AS page_rank,"
        f" t.newest AS page_time FROM {rows_from} WHERE {condition} LIMIT {MATCH_CAP + 1}),"
        " matched AS MATERIALIZED (SELECT count(*) AS n FROM matches),"
        " ranked AS (SELECT page_key, page_rank, page_time FROM matches"
        f" WHERE (SELECT n FROM matched) <= {MATCH_CAP}"
        " ORDER BY page_rank DESC, page_time DESC, page_key LIMIT %(limit)s OFFSET %(offset)s),"
        " walked AS MATERIALIZED (SELECT page_key, page_time FROM"
        f" (SELECT t.{key} AS page_key, t.newest AS page_time, ({condition}) AS hit"
        f" FROM {rows_from} WHERE t.reader = %(reader)s AND (SELECT n FROM matched) > {MATCH_CAP}"
        f" ORDER BY t.newest DESC, t.{key} LIMIT {WALK_ROWS}) AS walk"
        f" WHERE walk.hit LIMIT {needed}),"
        " newest AS (SELECT page_key, page_time FROM walked"
        f" WHERE (SELECT count(*) FROM walked) >= {needed}"
        " ORDER BY page_time DESC, page_key OFFSET %(offset)s),"
        " sorted AS (SELECT * FROM"
        f" (SELECT t.{key} AS page_key, t.newest AS page_time FROM {rows_from}"
        f" WHERE {condition} AND (SELECT n FROM matched) > {MATCH_CAP}"
        f" AND (SELECT count(*) FROM walked) < {needed} OFFSET 0) AS every_match"
        " ORDER BY page_time DESC, page_key LIMIT %(limit)s OFFSET %(offset)s),"
        " page AS (SELECT * FROM ranked"
        " UNION ALL SELECT page_key, 0, page_time FROM newest"
        " UNION ALL SELECT page_key, 0, page_time FROM sorted)"
        f" SELECT {columns}, page.page_key, matched.n AS matched FROM matched"
        f" LEFT JOIN (page JOIN {table} ON {table}.{key} = page.page_key) ON true"
        " ORDER BY page.page_rank DESC, page.page_time DESC, page.page_key"
    )


def matching(
    read: Reading,
    search: ReaderText,
    rows_from: str,
    columns: str,
    condition: str,
    params: dict[str, Any],
) -> tuple[int, list[dict[str, Any]]]:
    """How many records match ``condition`` (up to ``MATCH_CAP + 1``: more) and the page of
    them, the best first or, past the cap, the newest first (``match_page``; ``params`` with
    ``rank``, ``reader``, ``limit`` and ``offset``)."""
    rows = read.rows(match_page(search, rows_from, columns, condition), params)
    total = int(rows[0]["matched"])
    page = []
    for row in rows:
        if row.pop("page_key") is not None:
            del row["matched"]
            page.append(row)
    return total, page


def keyed_page(
    rows_from: str, key: str, condition: str, key_order: str, table: str, columns: str, order: str
) -> str:
    """A page's keys first (``key`` of the rows of ``rows_from`` matching ``condition``, in
    ``key_order``; parameters ``limit`` and ``offset``), then their rows of ``table`` (whose
    key column has ``key``'s name) in ``order``, in one statement: what a row shows beyond its
    columns (a case's ``access``, two sub-queries over the merges) is worked out for the page
    alone, not for every candidate."""
    name = key.rsplit(".", 1)[-1]
    return (
        f"WITH page AS MATERIALIZED (SELECT {key} AS page_key FROM {rows_from}"
        f" WHERE {condition} ORDER BY {key_order} LIMIT %(limit)s OFFSET %(offset)s)"
        f" SELECT {columns} FROM page JOIN {table} ON {table}.{name} = page.page_key"
        f" ORDER BY {order}"
    )


def counted(
    read: Reading, page: str, rows_from: str, condition: str, params: dict[str, Any], cap: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many rows match ``condition`` (over ``rows_from``), counted only up to ``cap`` (plus
    one: more; a window count over every match would make each page as slow as reading all of
    them), and the rows of ``page``: two statements sent together (``Reading.together``), in
    one round trip and one snapshot."""
    rows, found = read.together(
        [
            page,
            f"SELECT count(*) AS n FROM (SELECT FROM {rows_from} WHERE {condition}"
            f" LIMIT {cap + 1}) AS matches",
        ],
        params,
    )
    return int(found[0]["n"]), rows


def like_patterns(terms: Sequence[str]) -> list[str]:
    """``ILIKE`` patterns matching each term as a substring (``%`` and ``_`` taken literally)."""
    return [
        "%" + t.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%" for t in terms
    ]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
