"""Tamper evidence: alter, remove, insert or reorder stored events with SQL; verify names them."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from jointcase.demo import run_demo
from projections.audit import verify
from tests.pg import settings_env
from tests.projections.conftest import Store


@pytest.fixture
def recorded(store: Store) -> Store:
    run_demo(store.app, say=lambda _: None)
    store.runner().catch_up()
    assert verify(store.db.conninfo()).ok
    return store


def sql(store: Store, statement: str, *params: object) -> None:
    with psycopg.connect(store.db.conninfo()) as conn:
        conn.execute(statement, params)


def event_at(store: Store, index: int) -> tuple[int, str, int]:
    with psycopg.connect(store.db.conninfo()) as conn:
        row = conn.execute(
            "SELECT notification_id, originator_id::text, originator_version FROM jointcase_events"
            " ORDER BY notification_id OFFSET %s LIMIT 1",
            (index,),
        ).fetchone()
    assert row is not None
    return row


def test_an_untouched_log_verifies_and_its_head_can_be_exported(recorded: Store) -> None:
    result = verify(recorded.db.conninfo())
    head = recorded.views.audit.head()
    assert result.ok and result.head_position == recorded.views.audit.position()
    assert head is not None and head["link"] == result.head_link
    earlier = recorded.views.audit.head(position=10)
    assert earlier is not None and earlier["position"] <= 10 and earlier["link"] != head["link"]


def test_an_altered_event_is_named(recorded: Store) -> None:
    position, aggregate_id, version = event_at(recorded, 20)
    sql(
        recorded,
        "UPDATE jointcase_events SET state = convert_to(replace(convert_from(state, 'UTF8'),"
        " '\"', '\"'), 'UTF8') || ' '::bytea WHERE notification_id = %s",
        position,
    )
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None
    assert (finding.kind, finding.position, str(finding.aggregate_id), finding.version) == (
        "altered",
        position,
        aggregate_id,
        version,
    )


def test_a_removed_event_is_named(recorded: Store) -> None:
    position, aggregate_id, _ = event_at(recorded, 15)
    sql(recorded, "DELETE FROM jointcase_events WHERE notification_id = %s", position)
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None
    assert (finding.kind, finding.position, str(finding.aggregate_id)) == (
        "removed",
        position,
        aggregate_id,
    )


def test_an_inserted_event_is_named(recorded: Store) -> None:
    position, aggregate_id, version = event_at(recorded, 12)
    # A forged event slipped between two recorded ones, reusing a real event's bytes.
    sql(
        recorded,
        "UPDATE jointcase_events SET notification_id = notification_id + 1000000"
        " WHERE notification_id > %s",
        position,
    )
    sql(
        recorded,
        "INSERT INTO jointcase_events (originator_id, originator_version, topic, state,"
        " notification_id) SELECT originator_id, originator_version + 100, topic, state, %s"
        " FROM jointcase_events WHERE notification_id = %s",
        position + 1,
        position,
    )
    sql(
        recorded,
        "UPDATE jointcase_events SET notification_id = notification_id - 999999"
        " WHERE notification_id > 1000000",
    )
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None
    assert (finding.kind, finding.position) == ("inserted", position + 1)


def test_an_event_inserted_into_a_gap_is_named_as_inserted(recorded: Store) -> None:
    position, _, _ = event_at(recorded, 25)
    sql(recorded, "DELETE FROM audit_events WHERE position = %s", position)  # make a known gap
    sql(recorded, "DELETE FROM jointcase_events WHERE notification_id = %s", position)
    # Re-chain the audit rows after the gap, as a careful forger would (the events table
    # now has a gap the chain knows), then put a forged event into the gap.
    store = recorded
    from projections.audit import GENESIS, link_of

    with psycopg.connect(store.db.conninfo()) as conn:
        rows = conn.execute(
            "SELECT position, digest FROM audit_events ORDER BY position"
        ).fetchall()
        previous = GENESIS
        for pos, digest in rows:
            previous = link_of(previous, pos, bytes(digest))
            conn.execute("UPDATE audit_events SET link = %s WHERE position = %s", (previous, pos))
    assert verify(store.db.conninfo()).ok
    sql(
        store,
        "INSERT INTO jointcase_events (originator_id, originator_version, topic, state,"
        " notification_id) SELECT originator_id, originator_version + 100, topic, state, %s"
        " FROM jointcase_events WHERE notification_id = %s",
        position,
        position - 1,
    )
    finding = verify(store.db.conninfo()).finding
    assert finding is not None and (finding.kind, finding.position) == ("inserted", position)


def test_reordered_events_are_named(recorded: Store) -> None:
    first, aggregate_id, _ = event_at(recorded, 30)
    second, _, _ = event_at(recorded, 31)
    sql(
        recorded,
        "UPDATE jointcase_events SET notification_id = -1 WHERE notification_id = %s",
        first,
    )
    sql(
        recorded,
        "UPDATE jointcase_events SET notification_id = %s WHERE notification_id = %s",
        first,
        second,
    )
    sql(
        recorded,
        "UPDATE jointcase_events SET notification_id = %s WHERE notification_id = -1",
        second,
    )
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None
    assert (finding.kind, finding.position) == ("reordered", first)


def test_a_removed_event_whose_successors_were_renumbered_is_named(recorded: Store) -> None:
    position, aggregate_id, _ = event_at(recorded, 18)
    sql(recorded, "DELETE FROM jointcase_events WHERE notification_id = %s", position)
    sql(
        recorded,
        "UPDATE jointcase_events SET notification_id = notification_id + 1000000"
        " WHERE notification_id > %s",
        position,
    )
    sql(
        recorded,
        "UPDATE jointcase_events SET notification_id = notification_id - 1000001"
        " WHERE notification_id > 1000000",
    )
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None
    assert (finding.kind, finding.position, str(finding.aggregate_id)) == (
        "removed",
        position,
        aggregate_id,
    )


def test_a_rewritten_chain_link_is_named(recorded: Store) -> None:
    position, _, _ = event_at(recorded, 8)
    sql(recorded, "UPDATE audit_events SET link = %s WHERE position = %s", bytes(32), position)
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None and (finding.kind, finding.position) == ("chain-altered", position)


def test_the_cli_verify_exits_non_zero_and_names_the_event(recorded: Store) -> None:
    env = settings_env(recorded.settings)
    command = [sys.executable, "-m", "jointcase", "audit", "verify"]
    ok = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok:")
    position, _, _ = event_at(recorded, 5)
    sql(recorded, "DELETE FROM jointcase_events WHERE notification_id = %s", position)
    bad = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert f"removed at position {position}" in bad.stderr
