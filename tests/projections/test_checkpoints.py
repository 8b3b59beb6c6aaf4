"""Signed checkpoints of the log's Merkle tree: an event's inclusion and two checkpoints'
consistency are proven, and checked offline with the checkpoint and the public key alone; a
history rewritten before a checkpoint fails the consistency proof."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from domain.chain import GENESIS, ChainSigner, digest_of, link_of
from domain.merkle import consistency_proof, inclusion_proof, leaf_hash, leaf_of
from jointcase.checkpoints import (
    Checkpoint,
    Checkpoints,
    ProofError,
    check_consistency,
    check_inclusion,
)
from jointcase.demo import run_demo
from jointcase.storage import chain_signer
from tests.pg import settings_env
from tests.projections.conftest import Store
from tests.projections.test_audit_chain import event_at, write_one


def offline(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with no database settings at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "JOINTCASE_"))}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "jointcase", "audit", "check-proof", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_inclusion_and_consistency_proofs_check_offline(store: Store, tmp_path: Path) -> None:
    run_demo(store.app, say=lambda _: None)
    signer = chain_signer(store.settings, store.db)
    checkpoints = Checkpoints(store.db.conninfo())
    first = checkpoints.issue(signer, datetime(2026, 3, 1, tzinfo=UTC))
    assert first is not None and checkpoints.issue(signer, datetime.now(UTC)) is None
    for _ in range(5):
        write_one(store)
    env = settings_env(store.settings)
    run = [sys.executable, "-m", "jointcase", "audit"]
    issued = subprocess.run(
        [*run, "checkpoint", "--issue"], env=env, capture_output=True, text=True, timeout=60
    )
    assert issued.returncode == 0, issued.stderr
    second = Checkpoint.from_dict(json.loads(issued.stdout))
    assert second.tree_size == first.tree_size + 5
    position = event_at(store, 7)[0]
    proof = subprocess.run(
        [*run, "prove", str(position)], env=env, capture_output=True, text=True, timeout=60
    )
    assert proof.returncode == 0, proof.stderr
    consistency = subprocess.run(
        [*run, "prove-consistency", str(first.tree_size)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert consistency.returncode == 0, consistency.stderr
    files = {
        "proof": proof.stdout,
        "consistency": consistency.stdout,
        "second": issued.stdout,
        "first": json.dumps(first.as_dict(signer.verifier)),
    }
    for name, text in files.items():
        (tmp_path / f"{name}.json").write_text(text)
    key = signer.verifier.text()
    ok = offline(
        str(tmp_path / "proof.json"),
        "--checkpoint",
        str(tmp_path / "second.json"),
        "--public-key",
        key,
    )
    assert ok.returncode == 0 and f"position {position} is in the checkpoint" in ok.stdout
    both = offline(
        str(tmp_path / "consistency.json"),
        "--checkpoint",
        str(tmp_path / "second.json"),
        "--earlier",
        str(tmp_path / "first.json"),
        "--public-key",
        key,
    )
    assert both.returncode == 0, both.stderr
    tampered = json.loads(proof.stdout)
    tampered["digest"] = "00" * 32
    (tmp_path / "bad.json").write_text(json.dumps(tampered))
    bad = offline(
        str(tmp_path / "bad.json"),
        "--checkpoint",
        str(tmp_path / "second.json"),
        "--public-key",
        key,
    )
    assert bad.returncode == 1 and "not in the checkpoint" in bad.stderr
    other = ChainSigner(bytes(32)).verifier.text()
    wrong_key = offline(
        str(tmp_path / "proof.json"),
        "--checkpoint",
        str(tmp_path / "second.json"),
        "--public-key",
        other,
    )
    assert wrong_key.returncode == 1 and "not signed by key" in wrong_key.stderr


def test_a_history_rewritten_before_a_checkpoint_fails_the_consistency_proof(store: Store) -> None:
    run_demo(store.app, say=lambda _: None)
    signer = chain_signer(store.settings, store.db)
    checkpoints = Checkpoints(store.db.conninfo())
    first = checkpoints.issue(signer, datetime.now(UTC))
    assert first is not None
    position = event_at(store, 10)[0]
    with psycopg.connect(store.db.conninfo()) as conn:  # rewrite event 10 and the whole chain
        conn.execute(
            "UPDATE jointcase_events SET state = state || ' '::bytea WHERE notification_id = %s",
            (position,),
        )
        previous = GENESIS
        for p, oid, version, topic, state in conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM jointcase_events ORDER BY notification_id"
        ).fetchall():
            digest = digest_of(oid, version, topic, bytes(state))
            previous = link_of(previous, p, digest)
            conn.execute(
                "UPDATE jointcase_chain SET digest = %s, link = %s WHERE position = %s",
                (digest, previous, p),
            )
        # The kept tree is derived from the chain: a rewriter drops it, so that it is made again
        # from the rewritten chain (left in place, it would keep the signed history: see below).
        conn.execute("DELETE FROM jointcase_merkle")
    write_one(store)  # the service goes on; the next checkpoint is signed over the rewrite
    second = checkpoints.issue(signer, datetime.now(UTC))
    assert second is not None
    with pytest.raises(ProofError, match="rewritten"):
        check_consistency(checkpoints.consistency(first, second), first, second, signer.verifier)


def reference_proofs(
    store: Store, checkpoint: Checkpoint, position: int, earlier: Checkpoint
) -> tuple[dict[str, object], dict[str, object]]:
    """The proofs as they were made before the tree was kept: from every leaf of the chain."""
    with psycopg.connect(store.db.conninfo()) as conn:
        leaves = conn.execute(
            "SELECT position, digest FROM jointcase_chain ORDER BY position LIMIT %s",
            (checkpoint.tree_size,),
        ).fetchall()
    hashes = [leaf_hash(leaf_of(p, bytes(d))) for p, d in leaves]
    index = [p for p, _ in leaves].index(position)
    inclusion = {
        "format": "jointcase-inclusion-proof",
        "version": 1,
        "position": position,
        "leaf_index": index,
        "digest": bytes(leaves[index][1]).hex(),
        "tree_size": checkpoint.tree_size,
        "root": checkpoint.root.hex(),
        "path": [h.hex() for h in inclusion_proof(index, hashes)],
    }
    consistency = {
        "format": "jointcase-consistency-proof",
        "version": 1,
        "first_size": earlier.tree_size,
        "second_size": checkpoint.tree_size,
        "path": [h.hex() for h in consistency_proof(earlier.tree_size, hashes)],
    }
    return inclusion, consistency


def test_proofs_from_the_kept_tree_equal_proofs_from_every_leaf(store: Store) -> None:
    run_demo(store.app, say=lambda _: None)
    signer = chain_signer(store.settings, store.db)
    checkpoints = Checkpoints(store.db.conninfo())
    issued = [checkpoints.issue(signer, datetime.now(UTC))]
    for extra in (1, 15, 16, 17, 40):  # sizes around the kept blocks of 16
        for _ in range(extra):
            write_one(store)
        issued.append(checkpoints.issue(signer, datetime.now(UTC)))
    kept = [c for c in issued if c is not None]
    assert len(kept) == 6
    with psycopg.connect(store.db.conninfo()) as conn:
        positions = [
            p for (p,) in conn.execute("SELECT position FROM jointcase_chain ORDER BY position")
        ]
        assert conn.execute("SELECT count(*) FROM jointcase_merkle").fetchone()[0] > 0
    for rebuilt in (False, True):
        if rebuilt:  # the kept tree dropped: made again from the chain on the next proof
            with psycopg.connect(store.db.conninfo()) as conn:
                conn.execute("DELETE FROM jointcase_merkle")
        for checkpoint in kept:
            checkpoint.check(signer.verifier)
            checkpoints.check_against_log(checkpoint, signer.verifier)
            for earlier in kept:
                if earlier.tree_size <= checkpoint.tree_size:
                    proof = checkpoints.consistency(earlier, checkpoint)
                    assert proof == reference_proofs(store, checkpoint, positions[0], earlier)[1]
                    check_consistency(proof, earlier, checkpoint, signer.verifier)
            last = positions[checkpoint.tree_size - 1]
            for position in [*positions[: checkpoint.tree_size : 7], last]:
                proof = checkpoints.inclusion(position, checkpoint)
                assert proof == reference_proofs(store, checkpoint, position, kept[0])[0]
                check_inclusion(proof, checkpoint, signer.verifier)
            with pytest.raises(ProofError, match="no chained event"):
                checkpoints.inclusion(positions[-1] + 1, checkpoint)


def test_a_chain_rewritten_under_the_kept_tree_proves_nothing_and_fails_the_log_check(
    store: Store,
) -> None:
    run_demo(store.app, say=lambda _: None)
    signer = chain_signer(store.settings, store.db)
    checkpoints = Checkpoints(store.db.conninfo())
    first = checkpoints.issue(signer, datetime.now(UTC))
    assert first is not None
    position = event_at(store, 10)[0]
    with psycopg.connect(store.db.conninfo()) as conn:
        conn.execute(
            "UPDATE jointcase_chain SET digest = %s WHERE position = %s", (bytes(32), position)
        )
    with pytest.raises(ProofError, match="no longer matches the checkpoint"):
        checkpoints.inclusion(position, first)
    with pytest.raises(ProofError, match="does not match the log"):
        checkpoints.check_against_log(first, signer.verifier)
