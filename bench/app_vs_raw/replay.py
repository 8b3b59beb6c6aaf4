"""Replay: reading a 1,000-event case with and without snapshots, and a raw Counter as the floor."""

from __future__ import annotations

import gc
import statistics
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from bench.app_vs_raw.baseline import Counter, RawApp
from bench.app_vs_raw.config import new_ctx
from service.app import JointCaseApp


# --- replay ---------------------------------------------------------------------------------------
def build_case(app: JointCaseApp, events: int) -> UUID:
    """A case of `events` events (opened, then seizures), saved 50 events at a time so that a
    snapshotting application takes its snapshots just as command by command."""
    case_id = app.open_case(new_ctx(), case_type="counterfeit", title="replay bench").id
    case = app.get_case(case_id)
    while case.version < events:
        ctx = new_ctx()
        case.record_seizure(
            seizure_id=uuid.uuid4(),
            ctx=ctx,
            brand="Zhonghua",
            sticks=200,
            value=Decimal("1000.00"),
            price_basis="provincial",
            seized_at=ctx.at,
            place="bench",
        )
        if case.version % 50 == 0 or case.version == events:
            app.save(case)
    return case_id


def build_counter(raw: RawApp, events: int) -> UUID:
    counter = Counter("replay")
    for _ in range(events - 1):
        counter.increment(1)
    raw.save(counter)
    return counter.id


def sample_ms(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    for _ in range(3):
        fn()
    gc.collect()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "min_ms": samples[0],
        "p90_ms": samples[int(0.9 * (len(samples) - 1))],
    }


def run_replay(
    app: JointCaseApp, nosnap: JointCaseApp, raw: RawApp, conninfo: str, events: int, runs: int
) -> tuple[dict[str, Any], dict[str, Callable[[], Any]]]:
    """The timings of the reads, and the reads themselves (for the profile)."""
    half = events // 2
    with_snapshots = build_case(app, events)
    without = build_case(nosnap, events)
    counter = build_counter(raw, events)
    for reader, case_id in ((app, with_snapshots), (nosnap, without)):
        for version in (None, half):
            got = reader.get_case(case_id, version=version).version
            if got != (version or events):
                raise RuntimeError(f"case {case_id} read at {version} has version {got}")
    # The worst read with snapshots every 50 events: the snapshot at 950 and 49 events after it.
    worst = events - 1 if events % 50 == 0 else events
    reads: dict[str, Callable[[], Any]] = {
        "snapshots, latest": lambda: app.get_case(with_snapshots),
        f"snapshots, version={half}": lambda: app.get_case(with_snapshots, version=half),
        f"snapshots, version={worst}": lambda: app.get_case(with_snapshots, version=worst),
        "no snapshots, latest": lambda: nosnap.get_case(without),
        f"no snapshots, version={half}": lambda: nosnap.get_case(without, version=half),
        "no snapshots, latest (repository.get)": lambda: nosnap.repository.get(without),
        "raw Counter, latest (no snapshots)": lambda: raw.repository.get(counter),
        f"raw Counter, version={half}": lambda: raw.repository.get(counter, version=half),
    }
    timings = {label: sample_ms(fn, runs) for label, fn in reads.items()}
    with psycopg.connect(conninfo) as conn:
        snapshot_bytes = conn.execute(
            "SELECT length(state) FROM jointcase_snapshots WHERE originator_id = %s "
            "ORDER BY originator_version DESC LIMIT 1",
            (with_snapshots,),
        ).fetchone()
        event_bytes = conn.execute(
            "SELECT avg(length(state)) FROM jointcase_events WHERE originator_id = %s",
            (without,),
        ).fetchone()
    return {
        "events": events,
        "runs": runs,
        "timings": timings,
        "latest_snapshot_bytes": snapshot_bytes[0] if snapshot_bytes else None,
        "mean_event_bytes": float(event_bytes[0]) if event_bytes and event_bytes[0] else None,
    }, reads
