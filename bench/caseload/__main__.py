"""Loading a case with many seizures, against the raw library loading an aggregate of as many
events, in the same run; optionally the same measurement of an earlier commit (``--before REV``,
run in a subprocess from ``git archive REV``) right before, so before and after share the machine
and the minute.

    .venv/bin/python -m bench.caseload                       # this tree only
    .venv/bin/python -m bench.caseload --before 50f7499      # + that commit, same run

Measured (median of ``--runs`` loads after 3 warm-up loads, one process, one thread):
- jointcase: ``app.get_case(id)`` (the store's load: snapshot + events after it, visibility
  checks skipped as for the system) of a case opened then given ``--seizures`` seizures,
  saved 50 events at a time so snapshots are taken as command by command; also the worst
  snapshotted read (49 events after the snapshot) and the size of the latest snapshot;
- with this tree, the case's seizure list from the read model (``SeizuresView.of_case``);
- raw: a library ``Application`` with a trivial ``Counter`` aggregate of as many events,
  snapshots every 50 events like jointcase, and without snapshots."""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from bench.common import bench_database, save

TARGET_MS = 5.0


def sample_ms(fn: Callable[[], Any], runs: int) -> float:
    for _ in range(3):
        fn()
    gc.collect()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def measure(seizures: int, runs: int) -> dict[str, Any]:
    """Builds the case and the counters in a scratch database and times their loads."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    from bench.app_vs_raw.config import new_ctx
    from jointcase.storage import init_database, library_env, resolve_database

    class Counter(Aggregate):
        @event("Started")
        def __init__(self) -> None:
            self.count = 0

        @event("Incremented")
        def increment(self) -> None:
            self.count += 1

    class Raw(Application[uuid.UUID]):
        name = "rawcaseload"

    class RawSnapshotting(Raw):
        name = "rawcaseload"
        snapshotting_intervals = {Counter: 50}

    events = seizures + 1
    with bench_database("caseload") as settings:
        app, _ = init_database(settings)
        db = resolve_database(settings)
        env = library_env(settings, db, create_table=True)
        env.pop("APPLICATION_RECORDER_TOPIC", None)  # the library's own recorder, no chain
        raw, raw_snap = Raw(env), RawSnapshotting(env)
        try:
            case_id = app.open_case(new_ctx(), case_type="counterfeit", title="caseload bench").id
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
            loaded = app.get_case(case_id)
            assert loaded.version == events, loaded.version
            assert loaded.seizure_totals().sticks == 200 * seizures
            worst = events - events % 50 - 1 if events % 50 else events - 1

            counters = {}
            for name, target in (("snap", raw_snap), ("plain", raw)):
                counter = Counter()
                for _ in range(events - 1):
                    counter.increment()
                target.save(counter)  # the snapshotting one takes a snapshot every 50 events
                counters[name] = counter.id

            timings = {
                "case, latest (snapshot + events after it)": sample_ms(
                    lambda: app.get_case(case_id), runs
                ),
                f"case, version={worst} (snapshot + 49 events)": sample_ms(
                    lambda: app.get_case(case_id, version=worst), runs
                ),
                "raw Counter, latest (snapshots every 50)": sample_ms(
                    lambda: raw_snap.repository.get(counters["snap"]), runs
                ),
                f"raw Counter, version={worst} (snapshot + 49 events)": sample_ms(
                    lambda: raw_snap.repository.get(counters["snap"], version=worst), runs
                ),
                "raw Counter, latest (no snapshots)": sample_ms(
                    lambda: raw.repository.get(counters["plain"]), runs
                ),
            }
            try:
                from projections.base import BatchRunner
                from projections.registry import build_views

                views = build_views(library_env(settings, db))
            except ImportError:
                views = None
            if views is not None and hasattr(views, "seizures"):
                try:
                    BatchRunner(app, [views.seizures]).catch_up()
                    version = loaded.version
                    rows = views.seizures.of_case(case_id, version)
                    assert len(rows) == seizures, len(rows)
                    timings[f"the case's {seizures} seizures from the read model"] = sample_ms(
                        lambda: views.seizures.of_case(case_id, version), runs
                    )
                finally:
                    views.close()
            with psycopg.connect(db.conninfo()) as conn:
                row = conn.execute(
                    "SELECT length(state) FROM jointcase_snapshots WHERE originator_id = %s"
                    " ORDER BY originator_version DESC LIMIT 1",
                    (case_id,),
                ).fetchone()
        finally:
            raw.close()
            raw_snap.close()
            app.close()
    return {
        "seizures": seizures,
        "events": events,
        "runs": runs,
        "timings_ms": timings,
        "latest_case_snapshot_bytes": row[0] if row else None,
    }


def before(rev: str, seizures: int, runs: int) -> dict[str, Any]:
    """The same measurement with the code of ``rev`` (this file is run from a copy of it)."""
    with tempfile.TemporaryDirectory(prefix="caseload-") as tmp:
        archive = subprocess.run(["git", "archive", rev], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        target = Path(tmp) / "bench" / "caseload"
        target.mkdir(parents=True, exist_ok=True)
        (target / "__init__.py").touch()
        (target / "__main__.py").write_text(Path(__file__).read_text())
        done = subprocess.run(
            [
                sys.executable,
                *("-m", "bench.caseload", "--json"),
                *("--seizures", str(seizures), "--runs", str(runs)),
            ],
            cwd=tmp,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": tmp},
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.caseload", description=__doc__)
    parser.add_argument("--seizures", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--before", metavar="REV", help="also measure this commit, first")
    parser.add_argument("--json", action="store_true", help="print only the result as JSON")
    parser.add_argument("--name", default="caseload")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.seizures, args.runs)))
        return
    results: dict[str, Any] = {}
    if args.before:
        results["before"] = {"rev": args.before, **before(args.before, args.seizures, args.runs)}
    results["after"] = measure(args.seizures, args.runs)
    for label, result in results.items():
        print(f"{label}: latest snapshot {result['latest_case_snapshot_bytes']:,} bytes")
        for what, ms in result["timings_ms"].items():
            print(f"  {what:<58} {ms:8.2f} ms")
    after = results["after"]["timings_ms"]
    latest = after["case, latest (snapshot + events after it)"]
    raw = after["raw Counter, latest (snapshots every 50)"]
    print(
        f"case load {latest:.2f} ms = {latest / raw:.2f}x the raw snapshotted load "
        f"(target < {TARGET_MS} ms: {'met' if latest < TARGET_MS else 'NOT met'})"
    )
    print(save(args.name, results))


if __name__ == "__main__":
    main()
