"""A log written before the chain: `db init` chains and signs it, recording where, and the
recorder refuses to start a chain on top of unchained events."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest
from eventsourcing.persistence import ProgrammingError

from jointcase.chain import ChainedRecorder
from jointcase.demo import run_demo
from jointcase.storage import build_app, chain_signer, init_database
from projections.chain import verify
from tests.pg import settings_env
from tests.projections.conftest import Store
from tests.projections.test_audit_chain import write_one


def test_a_log_written_before_the_chain_is_chained_and_signed_by_db_init(store: Store) -> None:
    run_demo(store.app, say=lambda _: None)
    with psycopg.connect(store.db.conninfo()) as conn:
        conn.execute("TRUNCATE jointcase_chain, jointcase_chain_backfill")  # as before the chain
        first, last = conn.execute(
            "SELECT min(notification_id), max(notification_id) FROM jointcase_events"
        ).fetchone()
    verifier = chain_signer(store.settings, store.db).verifier
    assert not verify(store.db.conninfo(), verifier).ok
    fresh = build_app(store.settings, db=store.db)  # a process started after the upgrade
    try:
        with pytest.raises(ProgrammingError, match="db init"):
            write_one(Store(store.settings, store.db, fresh, store.views))
    finally:
        fresh.close()
    again, _ = init_database(store.settings, seed=False)
    again.close()
    result = verify(store.db.conninfo(), verifier)
    assert result.ok and result.head_position == last and result.signed_position == last
    with psycopg.connect(store.db.conninfo()) as conn:
        backfill = conn.execute(
            "SELECT first_position, last_position, key_id FROM jointcase_chain_backfill"
        ).fetchall()
    assert backfill == [(first, last, verifier.key_id)]
    [backfilled] = result.stretches
    assert backfilled.backfilled and backfilled.key_id == verifier.key_id
    assert (backfilled.first_position, backfilled.last_position) == (first, last)
    assert backfilled.events == result.checked
    position = write_one(store)
    after = verify(store.db.conninfo(), verifier)
    assert after.head_position == position
    assert after.as_dict()["backfilled"][0]["last_position"] == last
    assert after.as_dict()["chained_at_write"] == [
        {"first_position": position, "last_position": position, "events": 1}
    ]
    cli = subprocess.run(
        [sys.executable, "-m", "jointcase", "audit", "verify"],
        env=settings_env(store.settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    assert f"chained later by the backfill: positions {first} to {last}" in cli.stdout
    assert f"chained when written: positions {position} to {position} (1 event)" in cli.stdout


def test_a_write_whose_chain_cannot_be_written_is_not_recorded(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = write_one(store)
    recorder = store.app.recorder
    assert isinstance(recorder, ChainedRecorder) and recorder.signer is not None

    def broken(position: int, link: bytes) -> bytes:
        raise RuntimeError("no signature today")

    monkeypatch.setattr(recorder.signer, "sign_link", broken)
    with pytest.raises(Exception):  # whatever the driver makes of it
        write_one(store)
    monkeypatch.undo()
    verifier = chain_signer(store.settings, store.db).verifier
    result = verify(store.db.conninfo(), verifier)
    assert result.ok and result.head_position == before
    assert write_one(store) > before
