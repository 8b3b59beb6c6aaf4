"""cProfile of a rebuild: where the time goes."""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from bench.common import RESULTS
from bench.rebuild.rebuilding import reset_views
from projections.base import BatchRunner, View
from projections.registry import Views
from service.app import JointCaseApp


# --- profile --------------------------------------------------------------------------------------
def top_functions(profiler: cProfile.Profile, n: int) -> tuple[float, list[dict[str, Any]]]:
    """Total own time recorded by a profiler, and its `n` functions of most own time."""
    stats = pstats.Stats(profiler)
    entries = stats.stats.items()  # type: ignore[attr-defined]
    total = sum(v[2] for _, v in entries)
    top = sorted(entries, key=lambda kv: kv[1][2], reverse=True)[:n]
    return total, [
        {
            "function": f"{Path(file).parent.name}/{Path(file).name}:{line}({func})"
            if file != "~"
            else func,
            "calls": ncalls,
            "own_s": round(tottime, 3),
            "cum_s": round(cumtime, 3),
        }
        for (file, line, func), (_, ncalls, tottime, cumtime, _) in top
    ]


def profile_rebuild(
    app: JointCaseApp, views: Views, conninfo: str, events: int, page_size: int, name: str
) -> dict[str, Any]:
    """cProfile of a rebuild of the log's first `events` events: one profiler for the runner's
    thread (reading, decoding, waiting for the views) and one per view (each view's `process`,
    in whatever thread the runner applies it)."""
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT notification_id FROM jointcase_events ORDER BY notification_id "
            "OFFSET %s LIMIT 1",
            (events - 1,),
        ).fetchone()
    until = row[0] if row else None
    reset_views(views)
    runner = BatchRunner(app, views.all(), page_size=page_size)
    profilers = {view.name: cProfile.Profile() for view in views.all()}

    def profiled(view: View) -> Callable[..., None]:
        process = view.process

        def wrapper(batch: Any, after: int) -> None:
            profilers[view.name].runcall(process, batch, after)

        return wrapper

    for view in views.all():
        view.process = profiled(view)  # type: ignore[method-assign]
    main = cProfile.Profile()
    try:
        started = time.perf_counter()
        applied = main.runcall(runner.catch_up, until=until)
        seconds = time.perf_counter() - started
    finally:
        for view in views.all():
            del view.process
        runner.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"events": applied, "page_size": page_size, "seconds": seconds}
    for label, profiler in [("runner thread", main), *profilers.items()]:
        path = RESULTS / f"{name}-rebuild-{label.replace(' ', '-')}.prof"
        profiler.dump_stats(path)
        total, top = top_functions(profiler, 12)
        report[label] = {"own_s_total": round(total, 2), "top": top, "file": path.name}
    return report


def print_profile(report: dict[str, Any]) -> None:
    print(
        f"\nprofile of a rebuild of {report['events']:,} events (page_size="
        f"{report['page_size']:,}): {report['seconds']:.1f} s under the profiler"
    )
    for label, part in report.items():
        if not isinstance(part, dict):
            continue
        print(f"  {label}: {part['own_s_total']:.2f} s profiled ({part['file']})")
        for f in part["top"][:8]:
            print(
                f"    {f['own_s']:>7.3f} own {f['cum_s']:>7.3f} cum {f['calls']:>9,}  {f['function']}"
            )
