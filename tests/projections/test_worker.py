"""The worker as users run it: killed with SIGKILL mid-way it resumes with nothing lost and
nothing applied twice; a rebuild gives the same rows; racing runners apply each event once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg

from domain.values import Actor, Context, Role
from jointcase.demo import run_demo
from jointcase.storage import chain_signer
from projections.base import BatchRunner
from projections.chain import verify
from tests.pg import settings_env
from tests.projections.conftest import Store

YANGGAO = "140221"


def record_seizures(store: Store, cases: int, per_case: int) -> None:
    start = datetime(2026, 4, 1, tzinfo=UTC)
    for c in range(cases):
        ctx = Context(Actor("w", YANGGAO, Role.OFFICER), start + timedelta(minutes=c), f"c{c}")
        case = store.app.open_case(ctx, case_type="smuggled", title=f"bulk {c}")
        for i in range(per_case):
            store.app.record_seizure(
                case.id,
                ctx,
                brand=f"b{i}",
                sticks=200,
                value="45.50",
                price_basis="national",
                seized_at=start,
            )


def table_rows(store: Store) -> dict[str, list[tuple]]:
    """Every row of every view's tables (in a fixed order), and the tables' indexes."""
    tables = [table for view in store.views.all() for table in view.tables]
    with psycopg.connect(store.db.conninfo()) as conn:
        out = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
        out["indexes"] = conn.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE tablename = ANY(%s) ORDER BY 1, 2",
            (tables,),
        ).fetchall()
    return out


def assert_views_match_the_log(store: Store) -> None:
    with psycopg.connect(store.db.conninfo()) as conn:
        log = [
            r[0] for r in conn.execute("SELECT notification_id FROM jointcase_events ORDER BY 1")
        ]
        audited = [r[0] for r in conn.execute("SELECT position FROM audit_events ORDER BY 1")]
        sums = conn.execute(
            "SELECT sum(seizures), sum(total_sticks), sum(total_value) FROM case_search"
        ).fetchone()
        seizures = conn.execute(
            "SELECT count(*) FROM jointcase_events WHERE topic LIKE '%%SeizureRecorded'"
        ).fetchone()
    assert audited == log  # every event exactly once, in log order
    assert sums[0] == seizures[0]
    assert verify(store.db.conninfo(), chain_signer(store.settings, store.db).verifier).ok


def positions(store: Store) -> dict[str, int]:
    return {v.name: v.position() for v in store.views.all()}


def test_a_worker_killed_mid_way_resumes_without_losing_or_repeating_events(store: Store) -> None:
    run_demo(store.app, say=lambda _: None)
    record_seizures(store, cases=20, per_case=150)
    head = store.app.recorder.max_notification_id()
    env = settings_env(store.settings) | {"JOINTCASE_WORKER_PAGE_SIZE": "25"}
    command = [sys.executable, "-m", "jointcase", "worker"]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while store.views.audit.position() < head // 3:
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        killed_at = positions(store)
        assert 0 < min(killed_at.values()) < head, killed_at
    finally:
        if worker.poll() is None:
            worker.kill()
    # More is recorded while no worker runs, then a new worker takes over.
    record_seizures(store, cases=2, per_case=20)
    head = store.app.recorder.max_notification_id()
    worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while min(positions(store).values()) < head:
            assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else ""
            assert time.monotonic() < deadline, positions(store)
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output.decode()
    assert "worker stopped" in output.decode()
    assert_views_match_the_log(store)


def test_a_rebuilt_view_is_row_for_row_equal_to_the_incremental_one(store: Store) -> None:
    run_demo(store.app, say=lambda _: None)
    runner = store.runner()
    runner.page_size = 7  # incremental: many small batches, interleaved with writes
    runner.catch_up()
    record_seizures(store, cases=3, per_case=40)
    run_demo(store.app, say=lambda _: None)
    runner.catch_up()
    before = table_rows(store)
    env = settings_env(store.settings)
    result = subprocess.run(
        [sys.executable, "-m", "jointcase", "projections", "rebuild"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "rebuilt" in result.stdout
    after = table_rows(store)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], name
    assert len(before["indexes"]) > 30  # the query indexes, dropped during the rebuild, are back
    assert_views_match_the_log(store)


def test_a_rebuild_killed_half_way_leaves_no_reader_unset(store: Store) -> None:
    """A rebuild sets the readers of earlier events once, at its end; killed before that, the
    worker that carries on sets them at its next batch, and the trail equals the incremental
    one (who reads each event included)."""
    run_demo(store.app, say=lambda _: None)
    record_seizures(store, cases=3, per_case=40)
    run_demo(store.app, say=lambda _: None)
    runner = store.runner()
    runner.page_size = 7
    runner.catch_up()
    before = table_rows(store)
    head = store.app.recorder.max_notification_id()
    audit = store.views.audit
    audit.reset()
    audit.rebuilding = True  # what BatchRunner.rebuild sets, then killed before its end
    BatchRunner(store.app, [audit], page_size=50).catch_up(until=head - 40)
    audit.rebuilding = False
    pending = table_rows(store)["audit_recompute"]
    assert pending  # the demo changes who reads some cases and leads: there is work left
    BatchRunner(store.app, [audit], page_size=50).catch_up()  # the worker, as usual
    after = table_rows(store)
    assert after["audit_recompute"] == []
    assert after["audit_events"] == before["audit_events"]


def test_two_runners_racing_apply_each_event_exactly_once(store: Store) -> None:
    run_demo(store.app, say=lambda _: None)
    record_seizures(store, cases=5, per_case=60)
    other_views = store.fresh_views()
    runners = [
        BatchRunner(store.app, store.views.all(), page_size=13),
        BatchRunner(store.app, other_views.all(), page_size=17),
    ]
    threads = [threading.Thread(target=r.catch_up) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runners[0].catch_up()
    other_views.close()
    assert_views_match_the_log(store)
    incremental = table_rows(store)
    for view in store.views.all():
        view.reset()
    store.runner().catch_up()
    assert table_rows(store) == incremental


def test_a_nul_character_in_recorded_text_does_not_stop_the_views(store: Store) -> None:
    """Defence in depth: the API refuses U+0000, but events recorded by other means must not
    stop every view for good."""
    ctx = Context(Actor("w", YANGGAO, Role.OFFICER), datetime(2026, 4, 1, tzinfo=UTC), "nul")
    lead = store.app.register_lead(
        ctx, summary="bad\x00byte", source="online", place_county=YANGGAO
    )
    case = store.app.open_case(
        ctx, case_type="other", title="title\x00with nul", lead_ids=[lead.id]
    )
    store.app.close_case(case.id, "unfounded", "reason\x00here", ctx)
    store.runner().catch_up()
    assert_views_match_the_log(store)
    titles = [r["title"] for r in store.views.case_search.query("SELECT title FROM case_search")]
    assert titles == ["title\ufffdwith nul"]
