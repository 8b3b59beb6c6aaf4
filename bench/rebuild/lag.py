"""Projection lag under a steady write load: how long after a write its view rows are there."""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg

from bench.common import median, percentile
from bench.rebuild.others import load_average
from bench.rebuild.rebuilding import instrument
from bench.rebuild.world import BRANDS, officer
from domain.errors import DomainError
from domain.values import Context
from jointcase.settings import Settings
from jointcase.storage import build_app
from projections.base import BatchRunner, View
from projections.registry import Views
from service.app import JointCaseApp


# --- lag under a steady write load ----------------------------------------------------------------
@dataclass
class Writes:
    done: list[tuple[float, int]]  # (perf_counter when record_seizure returned, log position)
    errors: int
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.done) / self.seconds


def write_load(
    app: JointCaseApp, cases: dict[UUID, str], writers: int, seconds: float, rate: float | None
) -> Writes:
    """`writers` threads record seizures on cases of their own (no conflicts) for `seconds`;
    with `rate`, each thread keeps to an even schedule of rate / writers writes per second."""
    ids = list(cases)
    shares = [ids[i::writers] for i in range(writers)]
    done: list[list[tuple[float, int]]] = [[] for _ in range(writers)]
    errors = [0] * writers
    barrier = threading.Barrier(writers + 1)
    deadline = [0.0]

    def writer(i: int) -> None:
        rng = random.Random(i)
        interval = writers / rate if rate else 0.0
        barrier.wait()
        next_at = time.perf_counter() + rng.uniform(0, interval)
        k = 0
        while True:
            now = time.perf_counter()
            if now >= deadline[0]:
                return
            if interval and now < next_at:
                time.sleep(next_at - now)
            next_at += interval
            case_id = shares[i][k % len(shares[i])]
            k += 1
            county = cases[case_id]
            ctx = Context(officer(county, rng), datetime.now(UTC), f"lag-{i}-{k}")
            try:
                written = app.record_seizure(
                    case_id,
                    ctx,
                    brand=rng.choice(BRANDS),
                    sticks=200,
                    value="450.00",
                    price_basis="provincial",
                    seized_at=ctx.at,
                    place="bench",
                )
            except DomainError:
                errors[i] += 1
                continue
            done[i].append((time.perf_counter(), written.position))

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(writers)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for t in threads:
        t.join()
    return Writes(
        sorted((x for d in done for x in d), key=lambda w: w[1]),
        sum(errors),
        time.perf_counter() - started,
    )


class Sampler:
    """Polls the lowest position of all views every `interval` seconds on its own connection
    (one statement for the four tracking tables)."""

    def __init__(self, conninfo: str, views: Sequence[View], interval: float = 0.005) -> None:
        parts = [
            f"(SELECT coalesce(max(notification_id), 0) FROM {v.tracking_table_name}"
            f" WHERE application_name = '{JointCaseApp.name}')"
            for v in views
        ]
        self.sql = f"SELECT least({', '.join(parts)})"
        self.conninfo = conninfo
        self.interval = interval
        self.samples: list[tuple[float, int]] = []  # (perf_counter after the query, position)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self.stopping.is_set():
                row = conn.execute(self.sql).fetchone()
                self.samples.append((time.perf_counter(), int(row[0]) if row else 0))
                time.sleep(self.interval)

    def position(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()


def lags_ms(writes: Writes, samples: list[tuple[float, int]]) -> list[float]:
    """For each write, the time from its return (just after its commit) to the first sample in
    which every view had reached its position."""
    positions = [p for _, p in samples]
    lags = []
    for returned, position in writes.done:
        k = bisect_left(positions, position)
        if k == len(samples):
            raise RuntimeError(f"the views never reached position {position}")
        lags.append(max(0.0, samples[k][0] - returned) * 1000)
    return lags


@contextmanager
def projection_runner(
    mode: str, settings: Settings, views: Views, page_size: int
) -> Iterator[Callable[[], dict[str, Any]]]:
    """The views kept up to date either by a BatchRunner thread in this process (as the
    embedded `jointcase serve` runs it) or by `jointcase worker` in its own process (as a
    deployment with a server runs it). Yields a function giving what is known about its work."""
    if mode == "thread":
        app = build_app(settings)
        runner = BatchRunner(app, views.all(), page_size=page_size)
        with instrument(app, views.all()) as timings:
            runner.start()
            try:
                yield lambda: {
                    "view_transactions": {k: v for k, v in timings.calls.items() if "view" in k},
                    "mean_batch": {
                        k: round(timings.events[k] / timings.calls[k], 1)
                        for k in timings.calls
                        if "view" in k
                    },
                }
            finally:
                runner.stop()
                if runner.error is not None:
                    raise RuntimeError("the projection runner failed") from runner.error
                app.close()
        return
    from tests.pg import settings_env

    env = settings_env(settings)
    env["JOINTCASE_WORKER_PAGE_SIZE"] = str(page_size)
    with tempfile.TemporaryFile("w+") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "jointcase", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield lambda: {"worker_pid": worker.pid}
        finally:
            worker.terminate()  # SIGTERM: the worker stops after its current batch
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            if worker.returncode not in (0, -15):
                log.seek(0)
                raise RuntimeError(
                    f"jointcase worker exited {worker.returncode}: {log.read()[-2000:]}"
                )


def run_lag(
    app: JointCaseApp,
    settings: Settings,
    views: Views,
    conninfo: str,
    cases: dict[UUID, str],
    writers: int,
    peak_seconds: float,
    lag_seconds: float,
    modes: Sequence[str],
    page_size: int,
) -> dict[str, Any]:
    print(f"peak write rate: {writers} writer threads, {peak_seconds:.0f} s, no runner...")
    peak = write_load(app, cases, writers, peak_seconds, None)
    print(f"  {peak.rate:,.0f} writes/s ({peak.errors} refused)")
    target = peak.rate / 2
    result: dict[str, Any] = {
        "writers": writers,
        "peak_writes_per_s": peak.rate,
        "peak_seconds": peak.seconds,
        "target_writes_per_s": target,
        "runs": {},
    }
    for mode in modes:
        level = BatchRunner(app, views.all(), page_size=5000)
        level.catch_up()  # start level
        level.stop()
        with (
            Sampler(conninfo, views.all()) as sampler,
            projection_runner(mode, settings, views, page_size) as info,
        ):
            time.sleep(2.0)  # the runner is listening
            load_before = load_average()
            print(f"lag, runner as {mode}: {target:,.0f} writes/s for {lag_seconds:.0f} s...")
            writes = write_load(app, cases, writers, lag_seconds, target)
            last = writes.done[-1][1] if writes.done else 0
            deadline = time.monotonic() + 60
            while sampler.position() < last and time.monotonic() < deadline:
                time.sleep(0.05)
            details = info()
        lags = lags_ms(writes, sampler.samples)
        gaps = [b[0] - a[0] for a, b in zip(sampler.samples, sampler.samples[1:], strict=False)]
        run = {
            "writes": len(writes.done),
            "refused": writes.errors,
            "writes_per_s": writes.rate,
            "lag_p50_ms": percentile(lags, 50),
            "lag_p90_ms": percentile(lags, 90),
            "lag_p99_ms": percentile(lags, 99),
            "lag_max_ms": max(lags) if lags else float("nan"),
            "sample_interval_median_ms": median(gaps) * 1000,
            "load_average": load_before,
            **details,
        }
        result["runs"][mode] = run
        print(
            f"  {run['writes_per_s']:,.0f} writes/s; lag p50 {run['lag_p50_ms']:.0f} ms, "
            f"p99 {run['lag_p99_ms']:.0f} ms, max {run['lag_max_ms']:.0f} ms"
        )
    return result
