"""The cost of the log's own proof: writes with the chained, signing recorder against the
library's plain recorder (same run, interleaved rounds, a database each), the verify rate, and
the recorder-level insert cost.

    .venv/bin/python -m bench.chain [-n 2000] [--rounds 3] [--bulk 200000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from uuid import uuid4
from zoneinfo import ZoneInfo

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic

from bench.common import bench_database, median, save
from domain.values import Actor, Context, Role
from jointcase.chain import ChainedRecorder
from jointcase.checkpoints import Checkpoint, Checkpoints, check_inclusion
from jointcase.settings import Settings
from jointcase.storage import (
    build_app,
    chain_signer,
    informant_cipher,
    init_database,
    library_env,
    resolve_database,
)
from projections.chain import verify
from service.app import JointCaseApp

_n = count()


def plain_app(settings: Settings) -> JointCaseApp:
    """The same application on the library's own recorder (no chain, no signature)."""
    db = resolve_database(settings)
    env = library_env(settings, db)
    env["APPLICATION_RECORDER_TOPIC"] = get_topic(PostgresApplicationRecorder)
    return JointCaseApp(
        env,
        cipher=informant_cipher(settings, db),
        deadlines=settings.deadlines(),
        thresholds=settings.police_thresholds(),
        timezone=ZoneInfo(settings.timezone),
    )


def register(app: JointCaseApp) -> None:
    ctx = Context(Actor("bench", "140221", Role.OFFICER), datetime.now(UTC), f"b-{next(_n)}")
    app.register_lead(ctx, summary="bench lead", source="online", place_county="140221")


def rate(write: Callable[[], None], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        write()
    return n / (time.perf_counter() - started)


def insert_rate(recorder: PostgresApplicationRecorder, n: int, per: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(n):
        oid = uuid4()
        recorder.insert_events(
            [StoredEvent(oid, v, "bench.Topic", b'{"x": 1}' * 40) for v in range(1, per + 1)]
        )
    return n * per / (time.perf_counter() - started)


def measure_proofs(conninfo: str, settings: Settings) -> dict[str, object]:
    """Checkpoint, inclusion and consistency proof over the whole chain: time and size."""
    signer = chain_signer(settings, resolve_database(settings))
    checkpoints = Checkpoints(conninfo)
    started = time.perf_counter()
    first = checkpoints.issue(signer, datetime.now(UTC))
    issue_seconds = time.perf_counter() - started
    assert first is not None
    started = time.perf_counter()
    inclusion = checkpoints.inclusion(first.last_position // 2, first)  # a leaf mid-way
    inclusion_seconds = time.perf_counter() - started
    started = time.perf_counter()
    check_inclusion(inclusion, first, signer.verifier)
    check_seconds = time.perf_counter() - started
    # From the tree of half the events to the whole one (the proof needs only the sizes).
    earlier = Checkpoint(first.tree_size // 2 + 1, 0, b"", datetime.now(UTC), b"")
    started = time.perf_counter()
    consistency = checkpoints.consistency(earlier, first)
    consistency_seconds = time.perf_counter() - started
    return {
        "tree_size": first.tree_size,
        "checkpoint_seconds": round(issue_seconds, 2),
        "inclusion_proof_seconds": round(inclusion_seconds, 2),
        "inclusion_proof_hashes": len(inclusion["path"]),
        "inclusion_proof_json_bytes": len(json.dumps(inclusion)),
        "inclusion_check_offline_ms": round(check_seconds * 1000, 2),
        "consistency_proof_seconds": round(consistency_seconds, 2),
        "consistency_proof_hashes": len(consistency["path"]),
        "consistency_proof_json_bytes": len(json.dumps(consistency)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="commands per round and recorder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bulk", type=int, default=200_000, help="events to verify")
    args = parser.parse_args()
    with bench_database("chained") as chained_settings, bench_database("plain") as plain_settings:
        for settings in (chained_settings, plain_settings):
            init_database(settings)[0].close()
        chained, plain = build_app(chained_settings), plain_app(plain_settings)
        assert isinstance(chained.recorder, ChainedRecorder)
        assert not isinstance(plain.recorder, ChainedRecorder)
        try:
            for app in (chained, plain):  # warm up
                rate(lambda app=app: register(app), 100)
            rounds: dict[str, list[float]] = {"chained": [], "plain": []}
            inserts: dict[str, list[float]] = {"chained": [], "plain": []}
            for r in range(args.rounds):
                for label, app in (("chained", chained), ("plain", plain))[:: 1 - 2 * (r % 2)]:
                    rounds[label].append(rate(lambda app=app: register(app), args.n))
                    recorder = app.recorder
                    assert isinstance(recorder, PostgresApplicationRecorder)
                    inserts[label].append(insert_rate(recorder, args.n))
                print(
                    f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in rounds.items())
                )
            # Bulk events for the verify rate, written through the chained recorder.
            recorder = chained.recorder
            assert isinstance(recorder, ChainedRecorder)
            have = recorder.max_notification_id() or 0
            if args.bulk > have:
                insert_rate(recorder, (args.bulk - have) // 100 + 1, per=100)
            db = resolve_database(chained_settings)
            verifier = chain_signer(chained_settings, db).verifier
            started = time.perf_counter()
            result = verify(db.conninfo(), verifier)
            seconds = time.perf_counter() - started
            assert result.ok, result.finding
            proofs = measure_proofs(db.conninfo(), chained_settings)
        finally:
            chained.close()
            plain.close()
    figures = {
        "commands_per_round": args.n,
        "rounds": args.rounds,
        "register_lead_per_s": {k: round(median(v)) for k, v in rounds.items()},
        "register_lead_ratio": round(median(rounds["chained"]) / median(rounds["plain"]), 3),
        "insert_one_event_per_s": {k: round(median(v)) for k, v in inserts.items()},
        "insert_ratio": round(median(inserts["chained"]) / median(inserts["plain"]), 3),
        "verified_events": result.checked,
        "verify_seconds": round(seconds, 2),
        "verify_events_per_s": round(result.checked / seconds),
        **proofs,
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(f"saved {save('chain', figures)}")


if __name__ == "__main__":
    main()
