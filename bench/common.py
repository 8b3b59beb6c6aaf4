"""Shared helpers for the benchmarks: a scratch database on the local server (or the embedded
one), percentiles, and results written to bench/results/."""

from __future__ import annotations

import json
import platform
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from jointcase.settings import Settings
from tests.pg import scratch_database

RESULTS = Path(__file__).parent / "results"


@contextmanager
def bench_database(name: str) -> Iterator[Settings]:
    with scratch_database(f"jointcase_bench_{name}") as settings:
        settings.token_pepper = SecretStr("bench-pepper-0123456789abcdef0123456789")
        yield settings


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        **data,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path
