"""The raw rate of reading and decoding the log, and rebuilding every view over the same log, with
the time, CPU and rows each view takes."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

from projections.base import BatchRunner, View
from projections.registry import Views
from service.app import JointCaseApp


# --- raw read and rebuild -------------------------------------------------------------------------
def raw_read(app: JointCaseApp, page: int = 1000) -> dict[str, Any]:
    """Reads the whole log in pages by last id and decodes every event: the ceiling."""
    gc.collect()
    started = time.perf_counter()
    last = 0
    count = 0
    while True:
        notifications = app.recorder.select_notifications(
            last, limit=page, inclusive_of_start=False
        )
        if not notifications:
            break
        for n in notifications:
            app.mapper.to_domain_event(n)
        count += len(notifications)
        last = notifications[-1].id
    seconds = time.perf_counter() - started
    return {"events": count, "seconds": seconds, "events_per_s": count / seconds}


@dataclass
class Instrumented:
    """Wall time spent per part of a rebuild: reading pages, decoding, and each view's
    transaction (its statements, the tracking row and the commit)."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)

    def add(self, part: str, seconds: float, events: int = 0) -> None:
        self.seconds[part] = self.seconds.get(part, 0.0) + seconds
        self.calls[part] = self.calls.get(part, 0) + 1
        self.events[part] = self.events.get(part, 0) + events


@contextmanager
def instrument(app: JointCaseApp, views: Sequence[View]) -> Iterator[Instrumented]:
    """Times the runner's calls by wrapping them on the instances (nothing in projections/ is
    changed; the wrappers are removed afterwards)."""
    timings = Instrumented()
    clock = time.perf_counter
    read = app.recorder.select_notifications
    decode = app.mapper.to_domain_event

    def timed_read(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        result = read(*args, **kwargs)
        timings.add("read (select_notifications)", clock() - started, len(result))
        return result

    def timed_decode(notification: Any) -> Any:
        started = clock()
        result = decode(notification)
        timings.seconds["decode (to_domain_event)"] = (
            timings.seconds.get("decode (to_domain_event)", 0.0) + clock() - started
        )
        return result

    def timed_process(view: View) -> Callable[..., None]:
        process = view.process

        def wrapper(batch: Any, after: int) -> None:
            started = clock()
            process(batch, after)
            timings.add(f"view {view.name}", clock() - started, len(batch))

        return wrapper

    app.recorder.select_notifications = timed_read  # type: ignore[method-assign]
    app.mapper.to_domain_event = timed_decode  # type: ignore[method-assign,assignment]
    for view in views:
        view.process = timed_process(view)  # type: ignore[method-assign]
    try:
        yield timings
    finally:
        del app.recorder.select_notifications
        del app.mapper.to_domain_event
        for view in views:
            del view.process


def connect(conninfo: str, attempts: int = 60, **kwargs: Any) -> psycopg.Connection[Any]:
    """A connection, waiting while the shared server has no free slot (``too many clients``)."""
    for _ in range(attempts - 1):
        try:
            return psycopg.connect(conninfo, **kwargs)
        except psycopg.OperationalError as e:
            if "too many clients" not in str(e):
                raise
            time.sleep(1)
    return psycopg.connect(conninfo, **kwargs)


def backend_cpu(conninfo: str) -> float | None:
    """CPU seconds used so far by the server processes serving this database (read from /proc:
    only when the server runs on this machine and its processes are readable)."""
    with connect(conninfo) as conn:
        pids = [
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            ).fetchall()
        ]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    except (OSError, IndexError, ValueError):
        return None
    return total


def reset_views(views: Views) -> None:
    for view in views.all():
        view.reset()


class NoReadAhead:
    """Stands in for the runner's read-ahead thread so that the next page is read and decoded
    only after the views applied this one (the runner before read-ahead), for comparison."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        done: Future[Any] = Future()
        done.set_result(fn(*args))
        return done

    def shutdown(self, wait: bool = True) -> None:
        pass


class OneAfterAnother:
    """Stands in for the runner's thread pool so that a page is applied to the views one after
    another in the runner's thread (the runner before commit f7ee8df), for comparison."""

    def map(self, fn: Callable[..., Any], *iterables: Any) -> Iterator[Any]:
        return map(fn, *iterables)

    def shutdown(self, wait: bool = True) -> None:
        pass


def rebuild(
    app: JointCaseApp,
    views: Views,
    page_size: int,
    head: int,
    conninfo: str | None = None,
    serial: bool = False,
    read_ahead: bool = True,
) -> dict[str, Any]:
    """Empties every view and applies the whole log again with the batch runner; with
    `conninfo`, also the CPU time of this process and of the server's processes. `serial`
    applies each page to the views one after another instead of in parallel threads. The time
    includes emptying the views and building their query indexes at the end."""
    runner = BatchRunner(app, views.all(), page_size=page_size)
    if serial:
        pool = getattr(runner, "_pool", None)
        if pool is None:
            raise RuntimeError("this BatchRunner has no thread pool: it is serial already")
        pool.shutdown()
        runner._pool = OneAfterAnother()  # type: ignore[assignment]
    if not read_ahead:
        runner._reader.shutdown()
        runner._reader = NoReadAhead()  # type: ignore[assignment]
    for view in views.all():  # every pooled connection open before the server CPU is read
        view.position()
    server_before = backend_cpu(conninfo) if conninfo else None
    python_before = time.process_time()
    progress: list[tuple[float, int, dict[str, float]]] = []
    done = 0
    gc.collect()
    with instrument(app, views.all()) as timings:
        started = time.perf_counter()

        def note(k: int) -> None:
            nonlocal done
            done += k
            progress.append((time.perf_counter() - started, done, dict(timings.seconds)))

        try:
            applied = runner.rebuild(progress=note)
        finally:
            runner.stop()
        seconds = time.perf_counter() - started
    python_cpu = time.process_time() - python_before
    server_after = backend_cpu(conninfo) if conninfo else None
    server_cpu = (
        server_after - server_before
        if server_after is not None and server_before is not None
        else None
    )
    positions = {view.name: view.position() for view in views.all()}
    if any(p != head for p in positions.values()):
        raise RuntimeError(f"rebuild stopped short of {head}: {positions}")
    # Throughput per tenth of the log, and the time of each part per tenth: what slows down as
    # the tables grow?
    tenths = []
    parts_by_tenth: dict[str, list[float]] = {}
    last_t, last_n = 0.0, 0
    last_parts: dict[str, float] = {}
    for t, n, parts in progress:
        if n - last_n >= applied / 10 or n == applied:
            tenths.append(round((n - last_n) / (t - last_t)))
            for part, total in parts.items():
                parts_by_tenth.setdefault(part, []).append(
                    round(total - last_parts.get(part, 0.0), 2)
                )
            last_t, last_n, last_parts = t, n, parts
    return {
        "page_size": page_size,
        "views_applied": "one after another" if serial else "in parallel threads",
        "read_ahead": read_ahead,
        "events": applied,
        "seconds": seconds,
        "events_per_s": applied / seconds,
        "events_per_s_by_tenth": tenths,
        "parts_s_by_tenth": parts_by_tenth,
        "parts_s": {k: round(v, 2) for k, v in timings.seconds.items()},
        "cpu_s": {"python": round(python_cpu, 1), "postgres": server_cpu and round(server_cpu, 1)},
        "view_transactions": {k: v for k, v in timings.calls.items() if k.startswith("view")},
    }


def table_sizes(conninfo: str) -> dict[str, Any]:
    tables = (
        "jointcase_events",
        "case_search",
        "workspace_items",
        "workspace_leads",
        "workspace_cases",
        "audit_events",
        "contributions",
        "contribution_links",
    )
    sizes = {}
    with connect(conninfo) as conn:
        for table in tables:
            row = conn.execute(
                f"SELECT count(*), pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}"
            ).fetchone()
            assert row is not None
            sizes[table] = {"rows": row[0], "size": row[1]}
    return sizes


def event_mix(conninfo: str) -> dict[str, int]:
    with connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT topic, count(*) FROM jointcase_events GROUP BY topic ORDER BY 2 DESC"
        ).fetchall()
    return {topic.split(":", 1)[-1]: n for topic, n in rows}
