"""The command line: build the history, rebuild, query, measure lag; print and save the results."""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.app_vs_raw.report import machine
from bench.common import bench_database, save
from bench.rebuild import __doc__ as USAGE
from bench.rebuild.history import HistoryWriter
from bench.rebuild.lag import run_lag
from bench.rebuild.others import (
    load_average,
    other_processes,
    others_running,
    wait_for_other_benches,
)
from bench.rebuild.profiling import print_profile, profile_rebuild
from bench.rebuild.queries import run_http_queries, run_queries
from bench.rebuild.rebuilding import connect, event_mix, raw_read, rebuild, table_sizes
from bench.rebuild.report import print_report
from bench.rebuild.seed import seed_with_use_cases
from bench.rebuild.world import OTHER_BENCHES
from bench.search.cli import existing
from jointcase.storage import build_app, init_database, library_env, resolve_database
from projections.registry import build_views


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.rebuild", description=(USAGE or "").split("\n\n")[0]
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the log")
    parser.add_argument("--seed-leads", type=int, default=50, help="leads per county, use cases")
    parser.add_argument(
        "--insert-batch",
        type=int,
        default=5000,
        help="events per insert_events transaction (above about 10,000 events, some 6 MB, the "
        "library's pipelined insert can hang with psycopg 3.3.9: see bench/README.md)",
    )
    parser.add_argument("--page-sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument(
        "--serial-too",
        action="store_true",
        help="after the page sizes, rebuild at the best one with the views applied one after "
        "another (not in the runner's parallel threads), then in parallel once more",
    )
    parser.add_argument(
        "--no-read-ahead-too",
        action="store_true",
        help="after the page sizes, rebuild at the best one with the runner's read-ahead off (the "
        "runner before it: read, decode, then apply, in turn), then with it once more",
    )
    parser.add_argument("--profile-events", type=int, default=100_000, help="0: no profile")
    parser.add_argument("--query-calls", type=int, default=300)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP query timings")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--peak-seconds", type=float, default=10)
    parser.add_argument("--lag-seconds", type=float, default=30)
    parser.add_argument(
        "--runner",
        nargs="+",
        choices=("thread", "process"),
        default=["thread", "process"],
        help="where the views are kept up to date during the lag test",
    )
    parser.add_argument(
        "--wait-minutes",
        type=float,
        default=20,
        help="first wait (at most this long) until no process matching --wait-for runs",
    )
    parser.add_argument(
        "--wait-for",
        default=OTHER_BENCHES,
        help="command lines (pgrep -f pattern) of what would distort the figures "
        "(default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=20261124, help="random seed of the history")
    parser.add_argument("--name", default="rebuild")
    parser.add_argument(
        "--database-url",
        help="an existing database (kept, its views rebuilt): no history is written, and the lag"
        " and HTTP timings, which need the seed set's cases and officers, are skipped",
    )
    args = parser.parse_args(argv)
    if args.database_url:
        args.lag_seconds = 0
        args.no_http = True

    waited = wait_for_other_benches(args.wait_minutes, args.wait_for) if args.wait_minutes else {}
    rng = random.Random(args.seed)
    result: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "args": vars(args),
            "waited_for_other_benches": waited,
            "busiest_processes_at_start": other_processes(),
            "load_average_start": load_average(),
        }
    }
    database = existing(args.database_url) if args.database_url else bench_database("rebuild")
    with database as settings:
        init_app, _ = init_database(settings)
        init_app.close()
        db = resolve_database(settings)
        conninfo = db.conninfo()
        app = build_app(settings)
        views = build_views(library_env(settings, db))
        try:
            with connect(conninfo) as conn:
                row = conn.execute("SHOW server_version").fetchone()
            result["meta"]["server"] = f"PostgreSQL {row[0] if row else '?'}"
            print(f"{result['meta']['server']}, database {db.dbname}")

            if args.database_url:
                head = app.recorder.max_notification_id() or 0
                result["history"] = {"existing": True, "head_position": head}
                result["history"]["mix"] = event_mix(conninfo)
                result["meta"]["events"] = sum(result["history"]["mix"].values())
            else:
                print(f"seed set through the use cases ({args.seed_leads} leads per county)...")
                seed = seed_with_use_cases(app, rng, args.seed_leads)
                print(
                    f"  {seed.commands:,} commands, {seed.events:,} events in {seed.seconds:.1f} s; "
                    f"{len(seed.cases)} open cases"
                )
                print(f"bulk history up to {args.events:,} events...")
                started = time.perf_counter()
                bulk = HistoryWriter(app, rng).write(
                    max(0, args.events - seed.events), args.insert_batch, print
                )
                bulk_seconds = time.perf_counter() - started
                head = app.recorder.max_notification_id() or 0
                result["history"] = {
                    "seed_commands": seed.commands,
                    "seed_events": seed.events,
                    "seed_seconds": seed.seconds,
                    "bulk_events": bulk,
                    "bulk_seconds": bulk_seconds,
                    "events": seed.events + bulk,
                    "head_position": head,
                    "mix": event_mix(conninfo),
                }
                result["meta"]["events"] = seed.events + bulk
            with connect(conninfo, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE jointcase_events")

            if args.profile_events:
                n = min(args.profile_events, result["meta"]["events"])
                print(f"profile of a rebuild of {n:,} events (page_size=5,000)...")
                result["profile"] = profile_rebuild(app, views, conninfo, n, 5000, args.name)
                print_profile(result["profile"])

            result["raw_reads"] = []
            result["rebuilds"] = []
            plan = [(page_size, False, True) for page_size in args.page_sizes]
            if args.serial_too:  # at the best page size, known by then: serial, then parallel
                plan += [(0, True, True), (0, False, True)]  # again: both meet the same load
            if args.no_read_ahead_too:  # likewise: without read-ahead, then with it
                plan += [(0, False, False), (0, False, True)]
            for planned, serial, read_ahead in plan:
                print("raw read of the log...")
                raw = raw_read(app)
                result["raw_reads"].append(raw)
                print(f"  {raw['events']:,} events, {raw['events_per_s']:,.0f}/s")
                page_size = (
                    planned or max(result["rebuilds"], key=lambda x: x["events_per_s"])["page_size"]
                )
                how = "one view after another" if serial else "views in parallel"
                how += "" if read_ahead else ", no read-ahead"
                print(f"rebuild of all views, page_size={page_size:,}, {how}...")
                r = rebuild(
                    app, views, page_size, head, conninfo, serial=serial, read_ahead=read_ahead
                )
                r["load_average_after"] = load_average()
                r["others_running_after"] = others_running(args.wait_for)
                result["rebuilds"].append(r)
                print(
                    f"  {r['events_per_s']:,.0f} events/s, {r['seconds']:.1f} s; {r['parts_s']};"
                    f" CPU {r['cpu_s']}"
                )
            raw_rate = max(x["events_per_s"] for x in result["raw_reads"])
            for r in result["rebuilds"]:
                r["ratio_to_raw"] = r["events_per_s"] / raw_rate
            result["raw_events_per_s"] = raw_rate
            result["best_rebuild"] = max(
                (
                    r
                    for r in result["rebuilds"]
                    if r["views_applied"] != "one after another" and r["read_ahead"]
                ),
                key=lambda x: x["events_per_s"],
            )
            result["tables_after_rebuild"] = table_sizes(conninfo)

            print(f"queries right after the rebuild ({args.query_calls} calls each)...")
            result["queries_before_vacuum"] = run_queries(
                views, conninfo, args.query_calls, args.seed
            )
            with connect(conninfo, autocommit=True) as conn:
                for table in (
                    "case_search",
                    "workspace_items",
                    "workspace_leads",
                    "workspace_cases",
                    "audit_events",
                    "contributions",
                    "contribution_links",
                ):
                    conn.execute(f"VACUUM ANALYZE {table}")
            print("queries after VACUUM ANALYZE of the view tables...")
            result["queries"] = run_queries(views, conninfo, args.query_calls, args.seed + 1)
            result["others_running_after_queries"] = others_running(args.wait_for)
            if not args.no_http:
                print("the same through HTTP...")
                result["http"] = run_http_queries(
                    settings, conninfo, args.query_calls, args.seed + 2
                )

            if args.lag_seconds:
                result["lag"] = run_lag(
                    app,
                    settings,
                    views,
                    conninfo,
                    seed.cases,  # (the lag test runs on a new database only)
                    args.writers,
                    args.peak_seconds,
                    args.lag_seconds,
                    args.runner,
                    1000,
                )
                result["lag"]["others_running_after"] = others_running(args.wait_for)
        finally:
            views.close()
            app.close()
    result["meta"]["load_average_end"] = load_average()
    result["meta"]["busiest_processes_at_end"] = other_processes()
    print_report(result)
    path = save(args.name, result)
    print(f"\nresults: {path}")
