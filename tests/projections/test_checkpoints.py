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
from jointcase.checkpoints import Checkpoint, Checkpoints, ProofError, check_consistency
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
    write_one(store)  # the service goes on; the next checkpoint is signed over the rewrite
    second = checkpoints.issue(signer, datetime.now(UTC))
    assert second is not None
    with pytest.raises(ProofError, match="rewritten"):
        check_consistency(checkpoints.consistency(first, second), first, second, signer.verifier)
