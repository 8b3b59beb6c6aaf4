"""Quarterly bulletins at scale: the figures read in time linear in the quarter's events
(``projections.bulletins.bulletin_data``) against the former whole-trail scan
(``bench.bulletins.by_scan``, quadratic) on the same generated log, in the same run.

    .venv/bin/python -m bench.bulletins --events 1000000 --old-up-to 0   # new only, ~10 minutes
    .venv/bin/python -m bench.bulletins --events 100000                  # both, and compared

A fresh database gets the generated log of ``bench/bulletins/log.py`` (the rebuild bench's bulk
history over two years, plus operations, price inspections and late answers), the audit trail is
brought up to date and ``VACUUM ANALYZE``d. The quarter with the most events is measured: one
bulletin (the county with the most seizures in it; median of ``--runs``, ``--old-runs`` for the
old path) and the six counties'
bulletins of the quarter one after another (median of ``--runs``), each as the service makes
it: figures, then their canonical JSON. The old path runs only up to ``--old-up-to`` events
(it is quadratic), and its bytes are compared with the new path's for the six counties."""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from bench.app_vs_raw.report import machine
from bench.bulletins.by_scan import bulletin_data_by_scan
from bench.bulletins.log import generate, quarters_of_the_history
from bench.common import bench_database, save
from bench.rebuild.world import COUNTIES
from jointcase.storage import build_app, init_database, library_env, resolve_database
from projections.audit import AuditView
from projections.bulletins import Quarter, bulletin_data
from projections.registry import build_views
from service.bulletins import canonical_json

TZ = ZoneInfo("Asia/Shanghai")
Figures = Callable[[AuditView, str, Quarter, int, Any], dict[str, Any]]


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median seconds of ``runs`` calls and the last result."""
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def six(audit: AuditView, figures: Figures, quarter: Quarter, at: int) -> list[bytes]:
    return [canonical_json(figures(audit, c, quarter, at, TZ)) for c in COUNTIES]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bulletins", description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--old-up-to", type=int, default=100_000, help="0: never the old path")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--old-runs", type=int, default=1, help="runs of the old path")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    result: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    with bench_database("bulletins") as settings:
        init_app, _ = init_database(settings)
        init_app.close()
        db = resolve_database(settings)
        app = build_app(settings)
        views = build_views(library_env(settings, db))
        try:
            audit = views.audit
            started = time.perf_counter()
            head = generate(app, audit, random.Random(args.seed), args.events, log=print)
            result["generated"] = {"head": head, "seconds": time.perf_counter() - started}
            with psycopg.connect(db.conninfo(), autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE audit_events")
                counts = {
                    q: conn.execute(
                        "SELECT count(*) FROM audit_events WHERE recorded_at >= %s"
                        " AND recorded_at < %s",
                        Quarter(*q).bounds(TZ),
                    ).fetchone()[0]  # type: ignore[index]
                    for q in quarters_of_the_history()
                }
                quarter = Quarter(*max(counts, key=lambda q: counts[q]))
                start, end = quarter.bounds(TZ)
                county = conn.execute(
                    "SELECT county FROM audit_events WHERE recorded_at >= %s AND recorded_at < %s"
                    " AND event_type = 'Case.SeizureRecorded' GROUP BY county"
                    " ORDER BY count(*) DESC LIMIT 1",
                    (start, end),
                ).fetchone()[0]  # type: ignore[index]
            result["quarter"] = {
                "quarter": str(quarter),
                "events": {str(Quarter(*q)): n for q, n in counts.items()},
                "county": county,
            }
            print(f"{head:,} events; {quarter}: {counts[(quarter.year, quarter.quarter)]:,} events")

            def one(figures: Figures) -> bytes:
                return canonical_json(figures(audit, county, quarter, head, TZ))

            measured: dict[str, Any] = {}
            new_one, _ = timed(lambda: one(bulletin_data), args.runs)
            new_six, new_bytes = timed(lambda: six(audit, bulletin_data, quarter, head), args.runs)
            measured["new"] = {"one_s": new_one, "six_s": new_six}
            if head <= args.old_up_to:
                runs = args.old_runs
                old_one, _ = timed(lambda: one(bulletin_data_by_scan), runs)
                old_six, old_bytes = timed(
                    lambda: six(audit, bulletin_data_by_scan, quarter, head), runs
                )
                measured["old"] = {"one_s": old_one, "six_s": old_six}
                measured["same_bytes"] = old_bytes == new_bytes
                if old_bytes != new_bytes:
                    raise SystemExit("the new figures differ from the old ones")
            result["measured"] = measured
        finally:
            views.close()
            app.close()
    for path, m in measured.items():
        if isinstance(m, dict):
            print(f"  {path}: one bulletin {m['one_s'] * 1000:,.0f} ms, six {m['six_s']:.2f} s")
    if "old" in measured:
        print(
            f"  same bytes: {measured['same_bytes']}; one bulletin "
            f"{measured['old']['one_s'] / measured['new']['one_s']:.0f}x faster"
        )
    print(save(args.name or f"bulletins-{args.events}", result))


if __name__ == "__main__":
    main()
