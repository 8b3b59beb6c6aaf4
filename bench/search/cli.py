"""The command line: build the history, rebuild the two searched views, time the old scan and the
index interleaved, check they answer the same counts; print and save the results."""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from pydantic import SecretStr

from bench.app_vs_raw.report import machine
from bench.common import bench_database, percentile, save
from bench.rebuild.history import HistoryWriter
from bench.rebuild.others import load_average, other_processes
from bench.rebuild.world import COUNTIES, SEARCH_WORDS
from bench.search import __doc__ as USAGE
from domain.chain import ChainSigner
from domain.informants import InformantCipher
from jointcase.settings import Settings
from jointcase.storage import build_app, init_database, library_env, resolve_database
from projections import cases as case_view
from projections import leads as lead_view
from projections.base import BatchRunner
from projections.registry import build_views
from projections.search_text import (
    COUNT_CAP,
    MATCH_CAP,
    document,
    match_page,
    query,
)

TARGET_P99_MS = 10.0
#: The terms of the earlier free-text bench (bench.rebuild) and more: two-character terms, a
#: three-character brand, places, a phrase, a number's part, terms found nowhere.
CASE_TERMS = (*SEARCH_WORDS, "芙蓉王", "火车站", "城关镇中华", "销售假烟", "售烟", "兴和", "0123")
LEAD_TERMS = (
    "中华",
    "假烟",
    "物流",
    "批发市场",
    "芙蓉王",
    "火车站",
    "嫌疑人12",
    "城关镇12号",
    "兴和",
)
#: Terms that nearly every row holds (every case summary says 卷烟, every lead 烟): the worst case
#: for an index, measured apart.
BROAD_TERMS = ("烟", "卷烟", "案", "查获")


#: The case search's visibility before the rows stored their readers (``domain.access.case_readers``):
#: the rule evaluated per row, with two sub-queries walking the merges.
OLD_VISIBLE_TO = (
    "(visible_to @> ARRAY[%(visible_to)s]::text[]"
    " OR (merged_into IS NOT NULL AND EXISTS ("
    "WITH RECURSIVE survivors(id) AS ("
    " SELECT case_search.merged_into"
    " UNION SELECT s.merged_into FROM case_search s JOIN survivors ON s.case_id = survivors.id"
    " WHERE s.merged_into IS NOT NULL)"
    " SELECT 1 FROM survivors JOIN case_search s ON s.case_id = survivors.id"
    " WHERE s.visible_to @> ARRAY[%(visible_to)s]::text[]))"
    " OR EXISTS (SELECT 1 FROM case_search a WHERE a.merged_into = case_search.case_id"
    " AND a.county = %(visible_to)s))"
)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def old_case_search(view: Any, visible_to: str, text: str) -> tuple[int, list[Any]]:
    """The case search's free text as it was: one ILIKE over title, summary and number."""
    where = f"{OLD_VISIBLE_TO} AND {case_view.TEXT} ILIKE %(text)s"
    params = {"visible_to": visible_to, "text": _like(text)}
    rows = view.query(
        f"SELECT {case_view.COLUMNS} FROM case_search WHERE {where}"
        " ORDER BY recorded_at DESC, case_id LIMIT 50 OFFSET 0",
        params,
    )
    counted = view.query(
        f"SELECT count(*) AS n FROM (SELECT 1 FROM case_search WHERE {where}"
        f" LIMIT {COUNT_CAP + 1}) AS matches",
        params,
    )
    return counted[0]["n"], rows


def old_lead_search(view: Any, visible_to: str, text: str) -> tuple[int, list[Any]]:
    """The lead register's free text as it was: one ILIKE over summary, place and parties."""
    where = f"visible_to @> ARRAY[%(visible_to)s]::text[] AND {lead_view.TEXT} ILIKE %(text)s"
    params = {"visible_to": visible_to, "text": _like(text)}
    rows = view.query(
        f"SELECT {lead_view.COLUMNS} FROM lead_register WHERE {where}"
        " ORDER BY coalesce(received_at, registered_at) DESC, lead_id LIMIT 50 OFFSET 0",
        params,
    )
    counted = view.query(
        f"SELECT count(*) AS n FROM (SELECT 1 FROM lead_register WHERE {where}"
        f" LIMIT {COUNT_CAP + 1}) AS matches",
        params,
    )
    return counted[0]["n"], rows


def _unprepared(view: Any, sql: str, params: dict[str, Any]) -> list[Any]:
    """Rows of a statement planned for its values, as the views' reads ran before (prepared,
    PostgreSQL would settle on a generic plan after five runs)."""
    with view.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(sql, params, prepare=False)
        return list(curs.fetchall())


def _old_list(
    view: Any, table: str, columns: str, where: str, order: str, visible_to: str
) -> tuple[int, list[Any]]:
    """A county's records newest first as the lists read them before: the view's own table,
    its page and its count as two statements, each planned for its values."""
    params = {"visible_to": visible_to}
    rows = _unprepared(
        view,
        f"SELECT {columns} FROM {table} WHERE {where} ORDER BY {order} LIMIT 50 OFFSET 0",
        params,
    )
    counted = _unprepared(
        view,
        f"SELECT count(*) AS n FROM (SELECT FROM {table} WHERE {where}"
        f" LIMIT {COUNT_CAP + 1}) AS matches",
        params,
    )
    return counted[0]["n"], rows


def old_case_list(view: Any, visible_to: str) -> tuple[int, list[Any]]:
    """A county's cases as the list read them before (``_old_list``; the column of how much of
    each case the reader sees left out, which the list also worked out per row then)."""
    where = "readers @> ARRAY[%(visible_to)s]::text[]"
    return _old_list(
        view, "case_search", case_view.COLUMNS, where, "recorded_at DESC, case_id", visible_to
    )


def old_lead_list(view: Any, visible_to: str) -> tuple[int, list[Any]]:
    """A county's leads as the register listed them before (``_old_list``)."""
    where = "visible_to @> ARRAY[%(visible_to)s]::text[]"
    order = f"{lead_view.NEWEST} DESC, lead_id"
    return _old_list(view, "lead_register", lead_view.COLUMNS, where, order, visible_to)


Variant = Callable[[str, str], tuple[int, list[Any]]]


def interleaved(
    variants: dict[str, Variant], terms: Sequence[str], calls: int, rng: random.Random
) -> dict[str, Any]:
    """Each call picks a county and a term and runs every variant on them, in a rotating order,
    so that a busy moment of the machine falls on all of them alike. Every variant must count
    the same rows (the new search equals the old substring scan), up to the free-text count cap
    (MATCH_CAP: beyond it, a search says only that more match; the old ones count to 10,001)."""
    names = list(variants)
    for _ in range(10):
        for fn in variants.values():
            fn(rng.choice(COUNTIES), rng.choice(terms))
    gc.collect()
    samples: dict[str, list[float]] = {name: [] for name in names}
    by_term: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    totals: dict[str, list[int]] = {term: [] for term in terms}
    mismatches = []
    for i in range(calls):
        county, term = rng.choice(COUNTIES), rng.choice(terms)
        counted = {}
        for name in names[i % len(names) :] + names[: i % len(names)]:
            started = time.perf_counter()
            total, _ = variants[name](county, term)
            ms = (time.perf_counter() - started) * 1000
            samples[name].append(ms)
            by_term[name].setdefault(term, []).append(ms)
            counted[name] = total
        totals[term].append(counted[names[0]])
        if len({min(n, MATCH_CAP + 1) for n in counted.values()}) != 1:
            mismatches.append({"county": county, "term": term, "totals": counted})
    return {
        "calls": calls,
        "variants": {
            name: {
                "p50_ms": percentile(samples[name], 50),
                "p99_ms": percentile(samples[name], 99),
                "max_ms": max(samples[name]),
                "by_term_p50_ms": {t: percentile(v, 50) for t, v in by_term[name].items()},
                "by_term_p99_ms": {t: percentile(v, 99) for t, v in by_term[name].items()},
            }
            for name in names
        },
        "mean_matches_by_term": {t: sum(v) / len(v) for t, v in totals.items() if v},
        "mismatches": mismatches,
    }


def sizes(conninfo: str) -> dict[str, Any]:
    out = {}
    with psycopg.connect(conninfo) as conn:
        for relation in (
            "case_search",
            "case_text",
            "case_text_match",
            "lead_register",
            "lead_text",
            "lead_text_match",
        ):
            row = conn.execute(
                "SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", (relation,)
            ).fetchone()
            out[relation] = row[0] if row else None
        for table in ("case_search", "lead_register"):
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            out[f"{table}_rows"] = row[0] if row else None
    return out


def tokenising(conninfo: str) -> dict[str, Any]:
    """What ``document`` costs per row, over every case and lead text (the projection's work)."""
    with psycopg.connect(conninfo) as conn:
        case_rows = conn.execute("SELECT title, number, summary FROM case_search").fetchall()
        lead_rows = conn.execute(
            "SELECT summary, place_county, place_detail, suspected_parties FROM lead_register"
        ).fetchall()
    started = time.perf_counter()
    for title, number, summary in case_rows:
        document((title, "A"), (number, "A"), (summary, "B"))
    for summary, county, detail, parties in lead_rows:
        document((summary, "A"), (county, "B"), (detail, "B"), (" ".join(parties), "C"))
    seconds = time.perf_counter() - started
    rows = len(case_rows) + len(lead_rows)
    return {"rows": rows, "seconds": seconds, "us_per_row": seconds / max(1, rows) * 1e6}


def plans(conninfo: str, county: str) -> dict[str, str]:
    """EXPLAIN ANALYZE of one new and one old case search, to see the index used."""
    found = query("走私")
    params: dict[str, Any] = {"rank": found.rank, "text": _like("走私"), "limit": 50, "offset": 0}
    where = " AND ".join(case_view.SEARCH.conditions(found, county, params))
    out = {}
    with psycopg.connect(conninfo) as conn:
        for name, sql in (
            (
                "new",
                match_page(case_view.SEARCH, "case_text t", case_view.COLUMNS, where),
            ),
            (
                "old",
                f"SELECT case_id FROM case_search WHERE {OLD_VISIBLE_TO}"
                f" AND {case_view.TEXT} ILIKE %(text)s ORDER BY recorded_at DESC, case_id LIMIT 50",
            ),
        ):
            rows = conn.execute(
                f"EXPLAIN (ANALYZE, BUFFERS) {sql}", {**params, "visible_to": county}
            ).fetchall()
            out[name] = "\n".join(r[0] for r in rows)
    return out


@contextmanager
def existing(url: str) -> Iterator[Settings]:
    """Settings for a database that stays (fresh keys: nothing read here is sealed or signed)."""
    yield Settings(
        database_url=url,
        informant_key=SecretStr(InformantCipher.generate_key_text()),
        chain_key=SecretStr(ChainSigner.generate_key_text()),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.search", description=(USAGE or "").split("\n\n")[0]
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the log")
    parser.add_argument("--insert-batch", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=300, help="calls per variant per view")
    parser.add_argument("--seed", type=int, default=20261203, help="random seed of the history")
    parser.add_argument("--name", default="search")
    parser.add_argument(
        "--database-url",
        help="an existing database, kept afterwards: the history is written only if its log holds"
        " less than half of --events, the two views rebuilt only if behind it (to time queries again)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    result: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "args": vars(args),
            "busiest_processes_at_start": other_processes(),
            "load_average_start": load_average(),
        }
    }
    database = existing(args.database_url) if args.database_url else bench_database("search")
    with database as settings:
        init_app, _ = init_database(settings)
        init_app.close()
        db = resolve_database(settings)
        conninfo = db.conninfo()
        app = build_app(settings)
        views = build_views(library_env(settings, db))
        try:
            with psycopg.connect(conninfo) as conn:
                row = conn.execute("SHOW server_version").fetchone()
            result["meta"]["server"] = f"PostgreSQL {row[0] if row else '?'}"
            print(f"{result['meta']['server']}, database {db.dbname}")
            events = app.recorder.max_notification_id() or 0
            if events < args.events // 2:  # a new database (db init records a few events)
                print(f"bulk history up to {args.events:,} events...")
                started = time.perf_counter()
                events += HistoryWriter(app, rng).write(
                    args.events - events, args.insert_batch, print
                )
                result["history"] = {"events": events, "seconds": time.perf_counter() - started}
            else:
                result["history"] = {"events": events, "existing": True}
            searched = [views.case_search, views.leads]
            if min(v.position() for v in searched) < events:
                print("rebuild of the case search and the lead register...")
                runner = BatchRunner(app, searched, page_size=5000)
                started = time.perf_counter()
                runner.rebuild()  # as `jointcase projections rebuild` does
                seconds = time.perf_counter() - started
                runner._pool.shutdown()
                result["rebuild"] = {"seconds": seconds, "events_per_s": events / seconds}
                print(f"  {seconds:.1f} s, {events / seconds:,.0f} events/s")
            with psycopg.connect(conninfo, autocommit=True) as conn:
                for table in ("case_search", "case_text", "lead_register", "lead_text"):
                    conn.execute(f"VACUUM ANALYZE {table}")
            result["sizes"] = sizes(conninfo)
            result["tokenising"] = tokenising(conninfo)
            print(
                f"  {result['sizes']}; document(): {result['tokenising']['us_per_row']:.0f} us/row"
            )
            cs, leads = views.case_search, views.leads
            case_variants: dict[str, Variant] = {
                "old ILIKE scan": lambda c, t: old_case_search(cs, c, t),
                "index, ranked": lambda c, t: cs.search(visible_to=c, text=t),
                "index, newest first": lambda c, t: cs.search(
                    visible_to=c, text=t, sort="recorded_at"
                ),
            }
            lead_variants: dict[str, Variant] = {
                "old ILIKE scan": lambda c, t: old_lead_search(leads, c, t),
                "index, ranked": lambda c, t: leads.search(visible_to=c, text=t),
            }
            # The lists without free text: a county's newest cases and leads (the term is unused).
            case_lists: dict[str, Variant] = {
                "before": lambda c, t: old_case_list(cs, c),
                "now": lambda c, t: cs.search(visible_to=c),
            }
            lead_lists: dict[str, Variant] = {
                "before": lambda c, t: old_lead_list(leads, c),
                "now": lambda c, t: leads.search(visible_to=c),
            }
            for key, variants, terms in (
                ("cases", case_variants, CASE_TERMS),
                ("leads", lead_variants, LEAD_TERMS),
                ("cases, broad terms", case_variants, BROAD_TERMS),
                ("leads, broad terms", lead_variants, BROAD_TERMS),
                ("case list, no free text", case_lists, ("",)),
                ("lead list, no free text", lead_lists, ("",)),
            ):
                print(f"{key}: {args.calls} calls per variant, interleaved...")
                result[key] = interleaved(variants, terms, args.calls, rng)
                report_one(key, result[key])
                save(args.name, result)  # so far (the broad terms take long on a busy machine)
            result["plans"] = plans(conninfo, COUNTIES[1])
            result["meta"]["load_average_end"] = load_average()
        finally:
            views.close()
            app.close()
    report(result)
    print(f"results: {save(args.name, result)}")
    if any(result[key]["mismatches"] for key in VIEWS):
        raise SystemExit("the index and the substring scan counted different rows")


VIEWS = (
    "cases",
    "leads",
    "cases, broad terms",
    "leads, broad terms",
    "case list, no free text",
    "lead list, no free text",
)


def report(result: dict[str, Any]) -> None:
    print(f"\n{result['history']['events']:,} events; {result['sizes']}")
    for view in VIEWS:
        report_one(view, result[view])


def report_one(view: str, measured: dict[str, Any]) -> None:
    print(f"\n{view}: variant                 p50 ms   p99 ms   max ms")
    for name, v in measured["variants"].items():
        met = "met" if v["p99_ms"] < TARGET_P99_MS else "missed"
        print(
            f"  {name:24s} {v['p50_ms']:7.2f}  {v['p99_ms']:7.2f}  {v['max_ms']:7.2f}"
            f"  (p99 < {TARGET_P99_MS:.0f} ms: {met})"
        )
    print(f"  matches per term (mean): {measured['mean_matches_by_term']}")
    print(f"  count mismatches: {len(measured['mismatches'])}")
