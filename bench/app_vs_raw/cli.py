"""The command line: parse the options, run the benchmarks, print and save the results."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg

from bench.app_vs_raw import __doc__ as USAGE
from bench.app_vs_raw.baseline import RawApp, RawSnapshottingApp
from bench.app_vs_raw.config import DEFAULT_SERVER_URL, RESULTS_DIR
from bench.app_vs_raw.database import bench_database, no_snapshot_app
from bench.app_vs_raw.profiling import run_profiles
from bench.app_vs_raw.replay import run_replay
from bench.app_vs_raw.report import machine, print_report
from bench.app_vs_raw.writes import run_writes, write_benches
from jointcase.storage import build_app, init_database, library_env, resolve_database


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.app_vs_raw", description=(USAGE or "").split("\n\n")[0]
    )
    parser.add_argument("-n", "--commands", type=int, default=2000, help="commands per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of every benchmark")
    parser.add_argument(
        "--chunk", type=int, default=100, help="commands a bench runs before the next one's turn"
    )
    parser.add_argument(
        "--per-aggregate",
        type=int,
        default=10,
        help="events each loaded aggregate gets in a run (sets how many aggregates rotate)",
    )
    parser.add_argument("--replay-events", type=int, default=1000)
    parser.add_argument("--replay-runs", type=int, default=50)
    parser.add_argument(
        "--database-url",
        help="measure in this existing database (tables are created if missing; the bench's "
        "rows stay). Default: a fresh database on --server-url, dropped at the end",
    )
    parser.add_argument(
        "--server-url",
        default=os.environ.get("JOINTCASE_BENCH_SERVER_URL", DEFAULT_SERVER_URL),
        help="server where the fresh database is made; when it does not answer, the embedded "
        "PostgreSQL runs in a temporary folder (default %(default)s)",
    )
    parser.add_argument("--profile", action="store_true", help="also cProfile the commands")
    parser.add_argument("--name", default=f"app_vs_raw-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
    args = parser.parse_args(argv)
    warmup = max(50, args.commands // 10)
    load_before = os.getloadavg()

    with bench_database(args.database_url, args.server_url) as (settings, database):
        init_app, _ = init_database(settings)
        init_app.close()
        app = build_app(settings)
        db = resolve_database(settings)
        nosnap = no_snapshot_app(settings)
        raw = RawApp(library_env(settings, db, create_table=True))
        raw_snap = RawSnapshottingApp(library_env(settings, db, create_table=True))
        try:
            with psycopg.connect(db.conninfo()) as conn:
                row = conn.execute("SHOW server_version").fetchone()
            server = f"PostgreSQL {row[0] if row else '?'}"
            print(f"{database}, {server}: warming up, then {args.rounds} runs")
            benches = write_benches(app, raw, raw_snap, args.per_aggregate)
            writes = run_writes(benches, args.commands, args.rounds, args.chunk, warmup)
            print("replay...")
            replay, reads = run_replay(
                app, nosnap, raw, db.conninfo(), args.replay_events, args.replay_runs
            )
            result: dict[str, Any] = {
                "meta": {
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": machine(),
                    "server": server,
                    "database": database,
                    "commands": args.commands,
                    "rounds": args.rounds,
                    "chunk": args.chunk,
                    "warmup": warmup,
                    "per_aggregate": args.per_aggregate,
                    "load_average_before": load_before,
                    "load_average_after": os.getloadavg(),
                },
                "writes": writes,
                "replay": replay,
            }
            if args.profile:
                result["profiles"] = run_profiles(benches, reads, args.commands, args.name)
        finally:
            for application in (app, nosnap, raw, raw_snap):
                application.close()
    print_report(result)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{args.name}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nresults: {path}")
