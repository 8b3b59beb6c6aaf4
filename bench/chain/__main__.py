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
from typing import TypeVar
from uuid import uuid4
from zoneinfo import ZoneInfo

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic

from bench.common import bench_database, median, save
from domain.merkle import consistency_proof, inclusion_proof, leaf_hash, leaf_of, root
from domain.values import Actor, Context, Role
from jointcase.chain import ChainedRecorder
from jointcase.checkpoints import Checkpoints, check_consistency, check_inclusion
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
T = TypeVar("T")


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


def from_every_leaf(conninfo: str, position: int, earlier_size: int) -> dict[str, object]:
    """The baseline: root and proofs as they were made before the tree was kept (read every
    leaf of the chain, hash the whole tree in Python)."""
    started = time.perf_counter()
    with psycopg.connect(conninfo) as conn:
        leaves = [
            (p, bytes(d))
            for p, d in conn.execute(
                "SELECT position, digest FROM jointcase_chain ORDER BY position"
            )
        ]
    hashes = [leaf_hash(leaf_of(p, d)) for p, d in leaves]
    tree_root = root(hashes)
    root_seconds = time.perf_counter() - started
    index = [p for p, _ in leaves].index(position)
    started = time.perf_counter()
    inclusion = [h.hex() for h in inclusion_proof(index, hashes)]
    consistency = [h.hex() for h in consistency_proof(earlier_size, hashes)]
    return {
        "seconds": round(root_seconds + time.perf_counter() - started, 2),
        "root": tree_root,
        "inclusion_path": inclusion,
        "consistency_path": consistency,
    }


def timed(call: Callable[[], T], times: int = 1) -> tuple[T, float]:
    """The result and the median seconds of ``times`` calls."""
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    return result, median(seconds)


def measure_proofs(
    conninfo: str, settings: Settings, recorder: ChainedRecorder
) -> dict[str, object]:
    """Checkpoint, inclusion and consistency proof over the whole chain, from the kept tree,
    against the same made from every leaf (and the answers compared)."""
    signer = chain_signer(settings, resolve_database(settings))
    checkpoints = Checkpoints(conninfo)
    with psycopg.connect(conninfo) as conn:
        conn.execute("DELETE FROM jointcase_merkle")
    _, build_seconds = timed(checkpoints.extend_tree)
    first, issue_seconds = timed(lambda: checkpoints.issue(signer, datetime.now(UTC)))
    assert first is not None
    insert_rate(recorder, 10, per=100)  # the log grows by 1,000 events: the worker's next turn
    second, next_issue_seconds = timed(lambda: checkpoints.issue(signer, datetime.now(UTC)))
    assert second is not None
    position = first.last_position // 2  # a leaf mid-way
    inclusion, inclusion_seconds = timed(lambda: checkpoints.inclusion(position, second), 5)
    _, check_seconds = timed(lambda: check_inclusion(inclusion, second, signer.verifier), 5)
    consistency, consistency_seconds = timed(lambda: checkpoints.consistency(first, second), 5)
    check_consistency(consistency, first, second, signer.verifier)
    baseline = from_every_leaf(conninfo, position, first.tree_size)
    assert baseline["root"] == second.root
    assert baseline["inclusion_path"] == inclusion["path"], "inclusion proofs differ"
    assert baseline["consistency_path"] == consistency["path"], "consistency proofs differ"
    with psycopg.connect(conninfo) as conn:
        kept = conn.execute(
            "SELECT count(*), pg_total_relation_size('jointcase_merkle') FROM jointcase_merkle"
        ).fetchone()
    assert kept is not None
    return {
        "tree_size": second.tree_size,
        "from_every_leaf_root_and_both_proofs_seconds": baseline["seconds"],
        "kept_tree_build_from_empty_seconds": round(build_seconds, 2),
        "kept_tree_rows": kept[0],
        "kept_tree_mib": round(kept[1] / 2**20, 1),
        "checkpoint_seconds": round(issue_seconds, 4),
        "checkpoint_after_1000_more_seconds": round(next_issue_seconds, 4),
        "inclusion_proof_ms": round(inclusion_seconds * 1000, 2),
        "inclusion_proof_hashes": len(inclusion["path"]),
        "inclusion_proof_json_bytes": len(json.dumps(inclusion)),
        "inclusion_check_offline_ms": round(check_seconds * 1000, 2),
        "consistency_proof_ms": round(consistency_seconds * 1000, 2),
        "consistency_first_size": first.tree_size,
        "consistency_proof_hashes": len(consistency["path"]),
        "consistency_proof_json_bytes": len(json.dumps(consistency)),
        "proofs_equal_to_every_leaf": True,
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
            proofs = measure_proofs(db.conninfo(), chained_settings, recorder)
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
