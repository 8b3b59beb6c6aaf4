"""Tamper evidence: alter, remove, insert, reorder or append stored events with SQL; verify,
which reads only the events table and the chain the recorder wrote, names them."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from jointcase.demo import run_demo
from jointcase.storage import chain_signer
from projections.chain import Anchor, Verification
from projections.chain import verify as verify_chain
from tests.pg import settings_env
from tests.projections.conftest import Store


def verify(conninfo: str, anchor: Anchor | None = None) -> Verification:
    """The chain checked with the test deployment's key (every store here shares its settings)."""
    return verify_chain(conninfo, _verifiers[conninfo], anchor=anchor)


_verifiers: dict[str, object] = {}


@pytest.fixture
def recorded(store: Store) -> Store:
    _verifiers[store.db.conninfo()] = chain_signer(store.settings, store.db).verifier
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
    assert result.checked == len(table(recorded, "jointcase_events"))
    assert result.signed_position == result.head_position
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
    # A gap the log really has (a save that lost a race consumes a position), then a forged
    # event put into it by SQL.
    with psycopg.connect(recorded.db.conninfo()) as conn:
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('jointcase_events', 'notification_id'),"
            " (SELECT max(notification_id) + 3 FROM jointcase_events))"
        )
    gap = event_at(recorded, len(table(recorded, "jointcase_events")) - 1)[0] + 1
    write_one(recorded)
    assert verify(recorded.db.conninfo()).ok
    sql(
        recorded,
        "INSERT INTO jointcase_events (originator_id, originator_version, topic, state,"
        " notification_id) SELECT originator_id, originator_version + 100, topic, state, %s"
        " FROM jointcase_events WHERE notification_id = %s",
        gap,
        gap - 1,
    )
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None and (finding.kind, finding.position) == ("inserted", gap)


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
    sql(recorded, "UPDATE jointcase_chain SET link = %s WHERE position = %s", bytes(32), position)
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


def table(store: Store, name: str) -> list[tuple[object, ...]]:
    with psycopg.connect(store.db.conninfo()) as conn:
        return conn.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall()


def write_one(store: Store) -> int:
    from datetime import UTC, datetime

    from domain.values import Actor, Context, Role

    ctx = Context(Actor("x", "140221", Role.OFFICER), datetime.now(UTC), "one-more")
    return store.app.register_lead(
        ctx, summary="s", source="online", place_county="140221"
    ).position


def last(store: Store) -> tuple[int, str, int]:
    return event_at(store, len(table(store, "jointcase_events")) - 1)


def test_an_event_appended_with_sql_beyond_the_chain_is_named(recorded: Store) -> None:
    position, _, _ = last(recorded)
    sql(
        recorded,
        "INSERT INTO jointcase_events (originator_id, originator_version, topic, state)"
        " SELECT originator_id, originator_version + 1, topic, state FROM jointcase_events"
        " WHERE notification_id = %s",
        position,
    )
    result = verify(recorded.db.conninfo())
    assert result.finding is not None and result.finding.kind == "unchained"
    assert result.finding.position > position and result.head_position == position


def test_a_forged_append_with_a_well_formed_link_but_without_the_key_is_named(
    recorded: Store,
) -> None:
    from domain.chain import ChainSigner, digest_of, link_of

    position, aggregate_id, version = last(recorded)
    (head,) = [r for r in table(recorded, "jointcase_chain") if r[0] == position]
    with psycopg.connect(recorded.db.conninfo()) as conn:
        forged = conn.execute(
            "INSERT INTO jointcase_events (originator_id, originator_version, topic, state)"
            " SELECT originator_id, originator_version + 1, topic, state FROM jointcase_events"
            " WHERE notification_id = %s RETURNING notification_id, originator_id,"
            " originator_version, topic, state",
            (position,),
        ).fetchone()
        assert forged is not None
        digest = digest_of(forged[1], forged[2], forged[3], bytes(forged[4]))
        link = link_of(bytes(head[4]), forged[0], digest)
        other_key = ChainSigner(bytes(32))  # the forger's own key
        for signature in (None, other_key.sign_link(forged[0], link)):
            conn.execute("DELETE FROM jointcase_chain WHERE position = %s", (forged[0],))
            conn.execute(
                "INSERT INTO jointcase_chain VALUES (%s, %s, %s, %s, %s, %s)",
                (forged[0], forged[1], forged[2], digest, link, signature),
            )
            conn.commit()
            result = verify(recorded.db.conninfo())
            assert result.finding is not None
            assert (result.finding.kind, result.finding.position) == ("forged", forged[0])
            assert result.signed_position == position


def test_an_alteration_followed_by_a_rebuild_is_still_named(recorded: Store) -> None:
    position, _, _ = event_at(recorded, 20)
    sql(
        recorded,
        "UPDATE jointcase_events SET state = state || ' '::bytea WHERE notification_id = %s",
        position,
    )
    for view in recorded.views.all():
        view.reset()
    recorded.runner().catch_up()
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None and (finding.kind, finding.position) == ("altered", position)


def test_truncating_the_audit_views_tables_changes_nothing(recorded: Store) -> None:
    before = verify(recorded.db.conninfo())
    sql(recorded, "TRUNCATE audit_events")
    after = verify(recorded.db.conninfo())
    assert after.ok and (after.checked, after.head_link) == (before.checked, before.head_link)
    assert recorded.views.audit.head() == {
        "position": before.head_position,
        "link": before.head_link,
    }


def test_a_deleted_last_event_is_named(recorded: Store) -> None:
    position, aggregate_id, _ = last(recorded)
    sql(recorded, "DELETE FROM jointcase_events WHERE notification_id = %s", position)
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None
    assert (finding.kind, finding.position, str(finding.aggregate_id)) == (
        "removed",
        position,
        aggregate_id,
    )
    assert "last" in finding.detail


def test_a_last_event_deleted_with_its_link_is_named_against_a_kept_anchor(
    recorded: Store,
) -> None:
    kept = verify(recorded.db.conninfo())
    assert kept.head_link is not None
    anchor = Anchor(kept.head_position, bytes.fromhex(kept.head_link))
    sql(recorded, "DELETE FROM jointcase_events WHERE notification_id = %s", kept.head_position)
    sql(recorded, "DELETE FROM jointcase_chain WHERE position = %s", kept.head_position)
    result = verify(recorded.db.conninfo(), anchor=anchor)
    assert result.finding is not None and result.finding.kind == "removed"
    assert result.finding.position == result.head_position + 1 <= kept.head_position


def test_an_event_removed_with_its_link_is_named(recorded: Store) -> None:
    position, _, _ = event_at(recorded, 15)
    previous, _, _ = event_at(recorded, 14)
    sql(recorded, "DELETE FROM jointcase_events WHERE notification_id = %s", position)
    sql(recorded, "DELETE FROM jointcase_chain WHERE position = %s", position)
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None and (finding.kind, finding.position) == ("removed", previous + 1)


def test_the_cli_checks_against_an_anchor_and_a_public_key(recorded: Store) -> None:
    env = settings_env(recorded.settings)
    head = verify(recorded.db.conninfo())
    public = chain_signer(recorded.settings, recorded.db).verifier.text()
    command = [sys.executable, "-m", "jointcase", "audit", "verify", "--public-key", public]
    anchored = [*command, "--anchor", f"{head.head_position}:{head.head_link}"]
    ok = subprocess.run(anchored, env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert f"{head.checked} events verified up to position {head.head_position}" in ok.stdout
    sql(recorded, "DELETE FROM jointcase_events WHERE notification_id = %s", head.head_position)
    sql(recorded, "DELETE FROM jointcase_chain WHERE position = %s", head.head_position)
    assert subprocess.run(command, env=env, capture_output=True, timeout=60).returncode == 0
    bad = subprocess.run(anchored, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "removed" in bad.stderr


def test_an_event_slipped_in_with_a_link_of_its_own_is_named(recorded: Store) -> None:
    from domain.chain import digest_of, link_of

    with psycopg.connect(recorded.db.conninfo()) as conn:  # a real gap, then one more event
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('jointcase_events', 'notification_id'),"
            " (SELECT max(notification_id) + 3 FROM jointcase_events))"
        )
    gap = last(recorded)[0] + 1
    write_one(recorded)
    with psycopg.connect(recorded.db.conninfo()) as conn:
        forged = conn.execute(
            "INSERT INTO jointcase_events (originator_id, originator_version, topic, state,"
            " notification_id) SELECT originator_id, originator_version + 100, topic, state, %s"
            " FROM jointcase_events WHERE notification_id = %s RETURNING originator_id,"
            " originator_version, topic, state",
            (gap, gap - 1),
        ).fetchone()
        assert forged is not None
        previous = conn.execute(
            "SELECT link FROM jointcase_chain WHERE position = %s", (gap - 1,)
        ).fetchone()
        assert previous is not None
        digest = digest_of(forged[0], forged[1], forged[2], bytes(forged[3]))
        conn.execute(
            "INSERT INTO jointcase_chain VALUES (%s, %s, %s, %s, %s, NULL)",
            (gap, forged[0], forged[1], digest, link_of(bytes(previous[0]), gap, digest)),
        )
    finding = verify(recorded.db.conninfo()).finding
    assert finding is not None and (finding.kind, finding.position) == ("inserted", gap)
