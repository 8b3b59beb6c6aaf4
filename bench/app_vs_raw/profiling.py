"""cProfile of the write benchmarks and the reads, saved next to the results."""

from __future__ import annotations

import cProfile
import io
import pstats
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.app_vs_raw.config import RESULTS_DIR
from bench.app_vs_raw.writes import PROFILED_BENCHES, PROFILED_READS, WriteBench, timed


# --- profile --------------------------------------------------------------------------------------
def repeat(fn: Callable[[], Any], times: int) -> None:
    for _ in range(times):
        fn()


def slug(label: str) -> str:
    return re.sub(r"\W+", "-", label).strip("-")


def profile(label: str, fn: Callable[[], Any], path: Path) -> str:
    """cProfile of `fn()`: the top functions by own time and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    path.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(path)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(30)
    print(f"\n=== profile of {label} ({path.name}) ===\n{out.getvalue()}")
    return out.getvalue()


def run_profiles(
    benches: list[WriteBench], reads: dict[str, Callable[[], Any]], n: int, name: str
) -> dict[str, str]:
    """Profiles of n commands of the chosen write benches and of 20 of the chosen reads; the
    .prof files go to bench/results/ (`python -m pstats FILE` to browse them)."""
    reports = {}
    for bench in benches:
        if bench.name in PROFILED_BENCHES:
            reports[bench.name] = profile(
                f"{bench.name}, {n} commands",
                partial(timed, bench.prepare(n), range(n)),
                RESULTS_DIR / f"{name}-{bench.name}.prof",
            )
    for label in PROFILED_READS:
        reports[label] = profile(
            f"{label}, 20 reads",
            partial(repeat, reads[label], 20),
            RESULTS_DIR / f"{name}-{slug(label)}.prof",
        )
    return reports
