"""Commands per second of jointcase's application layer against the raw eventsourcing library in
the same run and the same database, and the replay time of a 1,000-event case.

    python -m bench.app_vs_raw            # a fresh database on 127.0.0.1:5432, dropped after
    python -m bench.app_vs_raw -n 1000 --rounds 5 --profile
    python -m bench.app_vs_raw --database-url postgresql://user@host/db   # an existing database

bench/README.md says what is measured and gives the figures."""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from importlib.metadata import version as package_version
from itertools import count
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pydantic import SecretStr

from domain.case import Case
from domain.informants import InformantCipher
from domain.lead import Lead
from domain.values import Actor, Context, Role
from jointcase.settings import Settings
from jointcase.storage import build_app, init_database, library_env, resolve_database
from service.app import JointCaseApp

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
COUNTY = "150924"  # Xinghe, one of the default units that `init_database` seeds
ACTOR = Actor("bench-officer", COUNTY, Role.OFFICER)
TARGET_RATIO = 0.70
TARGET_REPLAY_MS = 20.0
_correlation = count(1)


def new_ctx() -> Context:
    """A command's context as the API builds it: the acting officer and the server's time."""
    return Context(ACTOR, datetime.now(UTC), f"bench-{next(_correlation)}")


# --- the raw baseline -----------------------------------------------------------------------------
class Counter(Aggregate):
    """The baseline's trivial aggregate: one integer and one kind of event."""

    @event("Started")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Incremented")
    def increment(self, by: int) -> None:
        self.count += by


class RawApp(Application[UUID]):
    """A plain library application (own tables `rawbench_*`, no snapshots)."""

    name = "rawbench"


class RawSnapshottingApp(RawApp):
    """The same application (same tables) with snapshotting on, as jointcase has it: each load
    first looks for a snapshot, then selects the events after it."""

    name = "rawbench"
    snapshotting_intervals = {Counter: 50}


# --- the database ---------------------------------------------------------------------------------
def _unreachable(url: str) -> str | None:
    """Why the server at `url` does not answer (None when it does); tries three times."""
    reason = ""
    for attempt in range(3):
        try:
            with psycopg.connect(url, connect_timeout=3):
                return None
        except psycopg.OperationalError as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            time.sleep(0.5 * (attempt + 1))
    return reason


@contextmanager
def bench_database(database_url: str | None, server_url: str) -> Iterator[tuple[Settings, str]]:
    """Settings for the database to measure in, and a description of it. Without a URL, a fresh
    database on the server (dropped afterwards) or, when no server answers, the embedded
    PostgreSQL in a temporary folder."""
    key = SecretStr(InformantCipher.generate_key_text())
    if database_url:
        info = conninfo_to_dict(database_url)
        yield (
            Settings(database_url=database_url, informant_key=key),
            f"given database {info.get('dbname')} on {info.get('host')}:{info.get('port', 5432)}",
        )
        return
    reason = _unreachable(server_url)
    if reason is None:
        name = f"jointcase_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        params = conninfo_to_dict(server_url)
        params["dbname"] = name
        try:
            yield (
                Settings(database_url=make_conninfo("", **params), informant_key=key),
                f"fresh database {name} on {params.get('host')}:{params.get('port', 5432)}",
            )
        finally:
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        return
    print(f"{server_url} does not answer ({reason}): using the embedded PostgreSQL instead")
    with tempfile.TemporaryDirectory(prefix="jointcase-bench-") as tmp:
        settings = Settings(
            database_url=None, postgres_host=None, data_dir=Path(tmp), informant_key=key
        )
        try:
            yield settings, "embedded PostgreSQL in a temporary folder"
        finally:
            server = resolve_database(settings).server
            if server is not None:
                server.cleanup()


def no_snapshot_app(settings: Settings) -> JointCaseApp:
    """The application with snapshotting off, as `build_app` makes it for snapshot_interval=0
    (same tables as the snapshotting one: only the reading differs)."""
    nosnap = build_app(settings.model_copy(update={"snapshot_interval": 0}))
    if nosnap.name != JointCaseApp.name or nosnap.snapshots is not None:
        nosnap.close()
        raise RuntimeError(
            f"build_app(snapshot_interval=0) gave application {nosnap.name!r} with snapshots "
            f"{'on' if nosnap.snapshots else 'off'}: expected {JointCaseApp.name!r}, off"
        )
    return nosnap


# --- write benchmarks -----------------------------------------------------------------------------
Op = Callable[[int], object]


@dataclass(frozen=True)
class WriteBench:
    name: str
    label: str
    events_per_command: int
    prepare: Callable[[int], Op]  # prepare(n) does the untimed setup and returns op(i)


def save_in_batches(
    app: Application[UUID], aggregates: Sequence[Aggregate], size: int = 500
) -> None:
    for start in range(0, len(aggregates), size):
        app.save(*aggregates[start : start + size])


def write_benches(
    app: JointCaseApp, raw: RawApp, raw_snap: RawSnapshottingApp, per_aggregate: int
) -> list[WriteBench]:
    """The measured commands. Loads of existing aggregates rotate over fresh ones, each getting
    `per_aggregate` new events in a run, so that both sides replay equally short histories."""

    def pool_size(n: int) -> int:
        return max(1, -(-n // per_aggregate))

    def counters(k: int) -> list[UUID]:
        made = [Counter("bench") for _ in range(k)]
        save_in_batches(raw, made)
        return [c.id for c in made]

    def raw_create(n: int) -> Op:
        return lambda i: raw.save(Counter("bench"))

    def raw_update(n: int, library: RawApp = raw) -> Op:
        ids = counters(pool_size(n))

        def op(i: int) -> None:
            counter: Counter = library.repository.get(ids[i % len(ids)])
            counter.increment(1)
            library.save(counter)

        return op

    def raw_update_snap(n: int) -> Op:
        return raw_update(n, raw_snap)

    def raw_multi(n: int) -> Op:
        # The shape of open_case: load a shared "sequence" and two one-event aggregates, add
        # an event to each, create one more, and save the four events in one transaction.
        shared = counters(pool_size(n))
        fresh = counters(2 * n)

        def op(i: int) -> None:
            loaded: list[Counter] = [
                raw.repository.get(shared[i % len(shared)]),
                raw.repository.get(fresh[2 * i]),
                raw.repository.get(fresh[2 * i + 1]),
            ]
            for counter in loaded:
                counter.increment(1)
            raw.save(*loaded, Counter("bench"))

        return op

    def app_register_lead(n: int) -> Op:
        return lambda i: app.register_lead(
            new_ctx(), summary="bench lead", source="tip_off", place_county=COUNTY
        )

    def app_record_seizure(n: int) -> Op:
        ctx = new_ctx()
        year = ctx.at.year
        cases = [
            Case.open(
                case_id=uuid.uuid4(),
                number=f"BENCH-{uuid.uuid4().hex[:8]}",
                year=year,
                ctx=ctx,
                case_type="counterfeit",
                title="bench case",
            )
            for _ in range(pool_size(n))
        ]
        save_in_batches(app, cases)
        ids = [c.id for c in cases]

        def op(i: int) -> None:
            now = datetime.now(UTC)
            app.record_seizure(
                ids[i % len(ids)],
                Context(ACTOR, now, f"bench-{next(_correlation)}"),
                brand="Zhonghua",
                sticks=200,
                value="1000.00",
                price_basis="provincial",
                seized_at=now,
                place="bench",
            )

        return op

    def app_open_case(n: int) -> Op:
        ctx = new_ctx()
        leads = [
            Lead.register(
                lead_id=uuid.uuid4(),
                ctx=ctx,
                summary="bench lead",
                source="tip_off",
                place_county=COUNTY,
            )
            for _ in range(2 * n)
        ]
        save_in_batches(app, leads)
        ids = [lead.id for lead in leads]
        return lambda i: app.open_case(
            new_ctx(),
            case_type="counterfeit",
            title="bench case",
            lead_ids=[ids[2 * i], ids[2 * i + 1]],
        )

    return [
        WriteBench("raw_create", "raw (a) create + save, 1 event", 1, raw_create),
        WriteBench("raw_update", "raw (b) get + 1 event + save", 1, raw_update),
        WriteBench("raw_update_snap", "raw (b') same, snapshotting on", 1, raw_update_snap),
        WriteBench("raw_multi", "raw (c) get 3 + create 1, 4 events/tx", 4, raw_multi),
        WriteBench("app_register_lead", "app register_lead, 1 event", 1, app_register_lead),
        WriteBench("app_record_seizure", "app record_seizure, 1 event", 1, app_record_seizure),
        WriteBench("app_open_case", "app open_case (2 leads), 4 events/tx", 4, app_open_case),
    ]


PROFILED_BENCHES = ("raw_update", "raw_update_snap", "app_record_seizure", "app_open_case")
PROFILED_READS = ("snapshots, latest", "no snapshots, latest", "raw Counter, latest (no snapshots)")
#: (app bench, raw bench, what the pair compares)
RATIOS: tuple[tuple[str, str, str], ...] = (
    ("app_record_seizure", "raw_update", "like for like: load + 1 event + save"),
    ("app_record_seizure", "raw_update_snap", "same, library with snapshotting on"),
    ("app_record_seizure", "raw_create", ""),
    ("app_register_lead", "raw_create", "like for like: new aggregate, 1 event"),
    ("app_register_lead", "raw_update", ""),
    ("app_open_case", "raw_multi", "like for like: 3 loads, 4 events in 1 tx"),
    ("app_open_case", "raw_create", "commands/s; 4 events vs 1"),
    ("app_open_case", "raw_update", "commands/s; 4 events vs 1"),
)


def timed(op: Op, indexes: range) -> float:
    gc.collect()
    start = time.perf_counter()
    for i in indexes:
        op(i)
    return time.perf_counter() - start


def run_writes(
    benches: list[WriteBench], n: int, rounds: int, chunk: int, warmup: int
) -> dict[str, Any]:
    """Each round prepares every bench, then runs them interleaved in chunks of `chunk`
    commands (the order rotating), so that a busy moment of the machine falls on all benches
    alike and the per-round ratios stay paired."""
    for bench in benches:
        timed(bench.prepare(warmup), range(warmup))
    rates: dict[str, list[float]] = {b.name: [] for b in benches}
    for r in range(rounds):
        ops = {bench.name: bench.prepare(n) for bench in benches}
        elapsed = dict.fromkeys(ops, 0.0)
        for c, start in enumerate(range(0, n, chunk)):
            shift = (r + c) % len(benches)
            for bench in benches[shift:] + benches[:shift]:
                elapsed[bench.name] += timed(ops[bench.name], range(start, min(n, start + chunk)))
        for name, seconds in elapsed.items():
            rates[name].append(n / seconds)
        print(
            f"  round {r + 1}/{rounds}: "
            + ", ".join(f"{name} {values[-1]:,.0f}/s" for name, values in rates.items())
        )
    results: dict[str, Any] = {}
    for bench in benches:
        values = rates[bench.name]
        median = statistics.median(values)
        results[bench.name] = {
            "label": bench.label,
            "events_per_command": bench.events_per_command,
            "commands_per_s": values,
            "median_commands_per_s": median,
            "best_commands_per_s": max(values),
            "median_events_per_s": median * bench.events_per_command,
        }
    ratios = []
    for app_name, raw_name, note in RATIOS:
        paired = [a / b for a, b in zip(rates[app_name], rates[raw_name], strict=True)]
        ratios.append(
            {
                "app": app_name,
                "raw": raw_name,
                "note": note,
                "per_round": paired,
                "median": statistics.median(paired),
                "of_medians": results[app_name]["median_commands_per_s"]
                / results[raw_name]["median_commands_per_s"],
            }
        )
    return {"benches": results, "ratios": ratios}


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


# --- report ---------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "eventsourcing": package_version("eventsourcing"),
        "psycopg": package_version("psycopg"),
    }


def print_report(result: dict[str, Any]) -> None:
    meta = result["meta"]
    print(
        f"\njointcase app layer vs raw eventsourcing, {meta['date']}, {meta['machine']['cpus']} "
        f"cores, {meta['server']}\n{meta['database']}; {meta['commands']} commands per run, "
        f"{meta['rounds']} runs interleaved in chunks of {meta['chunk']}; loaded aggregates "
        f"get {meta['per_aggregate']} events each per run; load average before "
        f"{meta['load_average_before'][0]:.2f}, after {meta['load_average_after'][0]:.2f}\n"
    )
    writes = result["writes"]
    print(f"{'benchmark':<42}{'cmds/s median':>14}{'best':>9}{'events/s':>10}")
    for bench in writes["benches"].values():
        print(
            f"{bench['label']:<42}{bench['median_commands_per_s']:>14,.0f}"
            f"{bench['best_commands_per_s']:>9,.0f}{bench['median_events_per_s']:>10,.0f}"
        )
    print(f"\n{'ratio of commands/s (paired per run)':<42}{'median':>8}{'range':>15}  target 70%")
    for ratio in writes["ratios"]:
        low, high = min(ratio["per_round"]), max(ratio["per_round"])
        verdict = "met" if ratio["median"] >= TARGET_RATIO else "MISSED"
        label = f"{ratio['app'].removeprefix('app_')} / {ratio['raw']}"
        print(
            f"{label:<42}{ratio['median']:>7.0%}{f'{low:.0%}-{high:.0%}':>15}  {verdict:<7}"
            f"{ratio['note']}"
        )
    replay = result["replay"]
    print(f"\nreplay of a {replay['events']}-event case, {replay['runs']} runs, ms")
    print(f"{'read':<42}{'median':>8}{'min':>8}{'p90':>8}")
    for label, t in replay["timings"].items():
        print(f"{label:<42}{t['median_ms']:>8.2f}{t['min_ms']:>8.2f}{t['p90_ms']:>8.2f}")
    print(
        f"latest snapshot {replay['latest_snapshot_bytes']:,} bytes; "
        f"mean stored event {replay['mean_event_bytes']:,.0f} bytes; "
        f"target: a {replay['events']}-event replay under {TARGET_REPLAY_MS:.0f} ms"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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


if __name__ == "__main__":
    main()
