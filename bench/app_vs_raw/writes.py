"""Write benchmarks: the measured commands of the app and of the raw baseline, run interleaved in
chunks."""

from __future__ import annotations

import gc
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from bench.app_vs_raw.baseline import Counter, RawApp, RawSnapshottingApp
from bench.app_vs_raw.config import ACTOR, COUNTY, _correlation, new_ctx
from domain.case import Case
from domain.lead import Lead
from domain.values import Context
from service.app import JointCaseApp

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
