"""Backup and restore: export the log, import it into an empty database, verify, rebuild."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg

from jointcase.demo import run_demo
from tests.pg import scratch_database, settings_env
from tests.projections.conftest import Store
from tests.projections.test_worker import table_rows


def test_an_exported_log_imports_into_an_empty_database_with_the_same_chain_and_views(
    store: Store, tmp_path
) -> None:
    run_demo(store.app, say=lambda _: None)
    store.runner().catch_up()
    from datetime import UTC, datetime

    from jointcase.checkpoints import Checkpoints
    from jointcase.storage import chain_signer

    kept = Checkpoints(store.db.conninfo(), store.db.schema or "public")
    issued = kept.issue(chain_signer(store.settings, store.db), datetime.now(UTC))
    assert issued is not None
    dump = tmp_path / "events.jsonl"
    run = [sys.executable, "-m", "jointcase"]
    exported = subprocess.run(
        [*run, "export", "-o", str(dump)],
        env=settings_env(store.settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    lines = dump.read_bytes().splitlines()
    header = json.loads(lines[0])
    assert header["events"] == len(lines) - 1 and header["chain_head"]
    assert [c["tree_size"] for c in header["checkpoints"]] == [issued.tree_size]
    assert b"138-0000-1234" not in dump.read_bytes()  # the demo informant's phone stays sealed
    with scratch_database("jointcase_restore") as target:
        env = settings_env(target)
        env["JOINTCASE_INFORMANT_KEY"] = store.settings.informant_key.get_secret_value()
        env["JOINTCASE_CHAIN_KEY"] = store.settings.chain_key.get_secret_value()
        imported = subprocess.run(
            [*run, "import", str(dump)], env=env, capture_output=True, text=True, timeout=120
        )
        assert imported.returncode == 0, imported.stderr + imported.stdout
        assert f"head {header['chain_head']}" in imported.stdout
        assert "1 signed checkpoint(s) restored and checked" in imported.stdout
        again = subprocess.run(
            [*run, "import", str(dump)], env=env, capture_output=True, text=True, timeout=120
        )
        assert again.returncode == 1 and "empty" in again.stderr
        from jointcase.storage import build_app, library_env, resolve_database
        from projections.registry import build_views
        from tests.projections.conftest import Store as TargetStore

        db = resolve_database(target)
        target.chain_key = store.settings.chain_key
        restored_checkpoint = Checkpoints(db.conninfo(), db.schema or "public").checkpoint()
        assert restored_checkpoint == issued
        restored = TargetStore(
            target, db, build_app(target, db=db), build_views(library_env(target, db))
        )
        try:
            assert table_rows(restored) == table_rows(store)
            with psycopg.connect(db.conninfo()) as conn:
                positions = [
                    r[0]
                    for r in conn.execute("SELECT notification_id FROM jointcase_events ORDER BY 1")
                ]
            assert positions == [json.loads(line)["position"] for line in lines[1:]]
            # The restored log keeps working: new events follow the imported positions.
            from datetime import UTC, datetime

            from domain.values import Actor, Context, Role

            ctx = Context(Actor("x", "140221", Role.OFFICER), datetime.now(UTC), "after-import")
            written = restored.app.register_lead(
                ctx, summary="s", source="online", place_county="140221"
            )
            assert written.position > positions[-1]
            assert {u.code for u in restored.app.list_jurisdictions()} >= {"140221", "150924"}
        finally:
            restored.views.close()
            restored.app.close()


def test_a_file_that_is_not_an_export_is_refused(store: Store, tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"hello": 1}\n')
    result = subprocess.run(
        [sys.executable, "-m", "jointcase", "import", str(bad)],
        env=settings_env(store.settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "not a jointcase-event-log file" in result.stderr


def test_a_checkpoint_altered_in_the_file_is_caught_at_import(store: Store, tmp_path) -> None:
    from datetime import UTC, datetime

    from jointcase.checkpoints import Checkpoints
    from jointcase.storage import chain_signer

    run_demo(store.app, say=lambda _: None)
    Checkpoints(store.db.conninfo(), store.db.schema or "public").issue(
        chain_signer(store.settings, store.db), datetime.now(UTC)
    )
    dump = tmp_path / "events.jsonl"
    run = [sys.executable, "-m", "jointcase"]
    exported = subprocess.run(
        [*run, "export", "-o", str(dump)],
        env=settings_env(store.settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    lines = dump.read_bytes().splitlines()
    header = json.loads(lines[0])
    latest = header["checkpoints"][-1]
    latest["root"] = "00" * 32  # a history rewritten, with its checkpoint "adjusted" to match
    dump.write_bytes(b"\n".join([json.dumps(header).encode(), *lines[1:]]) + b"\n")
    with scratch_database("jointcase_restore_bad") as target:
        env = settings_env(target)
        env["JOINTCASE_INFORMANT_KEY"] = store.settings.informant_key.get_secret_value()
        env["JOINTCASE_CHAIN_KEY"] = store.settings.chain_key.get_secret_value()
        imported = subprocess.run(
            [*run, "import", str(dump)], env=env, capture_output=True, text=True, timeout=120
        )
        assert imported.returncode == 1
        assert "checkpoint" in imported.stderr and "does not check" in imported.stderr
