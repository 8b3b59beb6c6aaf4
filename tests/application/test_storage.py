"""Use cases on real PostgreSQL: what is stored, what is refused, races, time travel, secrets."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from datetime import timedelta
from uuid import UUID, uuid4

import psycopg
import pytest

from domain.case import Case
from domain.errors import (
    ConcurrencyConflict,
    NotFound,
    PermissionDenied,
    ReferralToOwnCounty,
    UnknownJurisdiction,
)
from domain.lead import Lead
from domain.values import Actor, Context, Role
from jointcase.settings import Settings
from jointcase.storage import (
    ConfigurationError,
    Database,
    build_app,
    informant_cipher,
    init_database,
    resolve_database,
)
from service.app import JointCaseApp
from tests.conftest import HUAIAN, TIANZHEN, XINGHE, YANGGAO
from tests.pg import scratch_database


def max_position(app: JointCaseApp) -> int:
    return app.recorder.max_notification_id() or 0


def stored_events(settings: Settings, originator_id=None) -> list[tuple]:
    db = resolve_database(settings)
    with psycopg.connect(db.conninfo()) as conn:
        if originator_id is None:
            return conn.execute("SELECT topic, state FROM jointcase_events").fetchall()
        return conn.execute(
            "SELECT topic, state FROM jointcase_events WHERE originator_id = %s ORDER BY originator_version",
            (originator_id,),
        ).fetchall()


def test_db_init_seeds_the_six_default_units(app: JointCaseApp) -> None:
    codes = [u.code for u in app.list_jurisdictions()]
    assert {"150924", "140221", "140222", "130725", "130728", "130708"} <= set(codes)


def test_a_lead_is_stored_and_reloaded_with_every_event(
    app: JointCaseApp, pg_settings: Settings, ctx
) -> None:
    lead = app.register_lead(
        ctx(XINGHE), summary="van with fake cartons", source="tip_off", place_county=YANGGAO
    )
    app.refer_lead(lead.id, YANGGAO, "route in Yanggao", ctx(XINGHE))
    app.accept_referral(lead.id, ctx(YANGGAO))
    written = app.give_feedback(lead.id, "watching the depot", False, ctx(YANGGAO))

    reloaded = app.get_lead(lead.id)
    assert reloaded.version == 4 == written.version
    assert reloaded.responsible_county == YANGGAO
    assert reloaded.feedback[0].content == "watching the depot"
    topics = [t for t, _ in stored_events(pg_settings, lead.id)]
    assert [t.rsplit(".", 1)[-1] for t in topics] == [
        "Registered",
        "Referred",
        "ReferralAccepted",
        "FeedbackGiven",
    ]


def test_every_event_records_actor_time_and_correlation_id(app: JointCaseApp, ctx) -> None:
    context = ctx(TIANZHEN, officer="zhao")
    lead = app.register_lead(context, summary="s", source="online", place_county=TIANZHEN)
    (event,) = list(app.events.get(lead.id))
    assert event.actor == Actor("zhao", TIANZHEN, Role.OFFICER)
    assert event.timestamp == context.at
    assert event.correlation_id == context.correlation_id


def test_a_refused_command_records_nothing(app: JointCaseApp, ctx) -> None:
    lead = app.register_lead(ctx(XINGHE), summary="s", source="tip_off", place_county=XINGHE)
    before = max_position(app)
    with pytest.raises(ReferralToOwnCounty):
        app.refer_lead(lead.id, XINGHE, "to myself", ctx(XINGHE))
    with pytest.raises(UnknownJurisdiction):
        app.refer_lead(lead.id, "999999", "nowhere", ctx(XINGHE))
    with pytest.raises(PermissionDenied):
        app.refer_lead(lead.id, YANGGAO, "auditors only read", ctx(XINGHE, role="auditor"))
    assert max_position(app) == before
    assert app.get_lead(lead.id).version == 1


def test_a_stale_expected_version_is_refused_as_a_conflict(app: JointCaseApp, ctx) -> None:
    lead = app.register_lead(ctx(XINGHE), summary="s", source="tip_off", place_county=XINGHE)
    app.share_lead(lead.id, [YANGGAO], "fyi", ctx(XINGHE), expected_version=1)
    with pytest.raises(ConcurrencyConflict):
        app.share_lead(lead.id, [TIANZHEN], "fyi", ctx(XINGHE), expected_version=1)
    assert app.get_lead(lead.id).version == 2


def test_two_writers_racing_on_one_case_one_wins_and_nothing_is_lost(
    app: JointCaseApp, ctx
) -> None:
    case = app.open_case(ctx(YANGGAO), case_type="smuggled", title="race")
    version = app.get_case(case.id).version
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def write(i: int) -> None:
        context = ctx(YANGGAO)
        barrier.wait()
        try:
            app.record_seizure(
                case.id,
                context,
                brand=f"brand-{i}",
                sticks=200,
                value="90",
                price_basis="provincial",
                seized_at=context.at,
                expected_version=version,
            )
            outcomes.append("ok")
        except ConcurrencyConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(outcomes) == {"ok": 1, "conflict": 7}
    stored = app.get_case(case.id)
    assert stored.version == version + 1
    assert stored.seizure_count() == 1


def recorded_seizures(app: JointCaseApp, case_id: UUID) -> list[Case.SeizureRecorded]:
    """The seizures stored in the case's history (the case itself keeps only ids and totals)."""
    return [e for e in app.events.get(case_id) if isinstance(e, Case.SeizureRecorded)]


def test_racing_writers_without_a_version_all_land_exactly_once(app: JointCaseApp, ctx) -> None:
    """Without an expected version, a write that loses a race is re-run by the write path: every
    writer gets through at the first call, and each write is stored exactly once."""
    case = app.open_case(ctx(YANGGAO), case_type="smuggled", title="race 2")
    barrier = threading.Barrier(6)
    ok: list[str] = []
    errors: list[BaseException] = []

    def write(i: int) -> None:
        barrier.wait()
        context = ctx(YANGGAO)
        try:
            app.record_seizure(
                case.id,
                context,
                brand=f"w{i}",
                sticks=200,
                value="90",
                price_basis="provincial",
                seized_at=context.at,
            )
        except BaseException as error:
            errors.append(error)
            return
        ok.append(f"w{i}")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    brands = sorted(s.brand for s in recorded_seizures(app, case.id))
    assert brands == sorted(ok) == [f"w{i}" for i in range(6)]


def test_a_writer_that_gave_a_version_still_gets_a_conflict_when_another_write_lands_first(
    app: JointCaseApp, ctx
) -> None:
    case = app.open_case(ctx(YANGGAO), case_type="smuggled", title="race 3")
    seized = ctx(YANGGAO)
    app.record_seizure(
        case.id,
        seized,
        brand="a",
        sticks=200,
        value="1",
        price_basis="provincial",
        seized_at=seized.at,
    )
    late = ctx(YANGGAO)
    with pytest.raises(ConcurrencyConflict):
        app.record_seizure(
            case.id,
            late,
            brand="b",
            sticks=200,
            value="1",
            price_basis="provincial",
            seized_at=late.at,
            expected_version=case.version,
        )
    assert [s.brand for s in recorded_seizures(app, case.id)] == ["a"]


def _open_cases(settings: Settings, county: str, n: int, start, barrier) -> list[str]:
    app = build_app(settings)
    barrier.wait()
    numbers = []
    for i in range(n):
        context = Context(Actor(f"p{i}", county, Role.OFFICER), start + timedelta(seconds=i), "c")
        numbers.append(
            app.open_case(context, case_type="other", title=f"case {i}").details["number"]
        )
    app.close()
    return numbers


def test_case_numbers_are_unique_and_gapless_when_processes_open_cases_together(
    pg_settings: Settings, clock
) -> None:
    # A county/year of its own (2031), so other tests' cases do not interfere.
    start = clock.now.replace(year=2031)
    ctx_mp = multiprocessing.get_context("spawn")
    with ctx_mp.Manager() as manager:
        barrier = manager.Barrier(4)
        with ctx_mp.Pool(4) as pool:
            results = pool.starmap(
                _open_cases, [(pg_settings, HUAIAN, 10, start, barrier) for _ in range(4)]
            )
    numbers = [n for chunk in results for n in chunk]
    assert len(numbers) == 40
    assert sorted(numbers) == [f"{HUAIAN}-2031-{i:04d}" for i in range(1, 41)]


def test_time_travel_reads_a_lead_at_a_version_and_at_a_moment(app: JointCaseApp, ctx) -> None:
    first = ctx(XINGHE)
    lead = app.register_lead(first, summary="s", source="tip_off", place_county=XINGHE)
    second = ctx(XINGHE)
    app.refer_lead(lead.id, YANGGAO, "r", second)
    app.accept_referral(lead.id, ctx(YANGGAO))

    assert app.get_lead(lead.id, version=1).referrals == []
    assert app.get_lead(lead.id, version=2).referrals[0].status == "pending"
    assert app.get_lead(lead.id, as_of=second.at).referrals[0].status == "pending"
    assert app.get_lead(lead.id, as_of=second.at - timedelta(seconds=1)).version == 1
    assert app.get_lead(lead.id).responsible_county == YANGGAO
    with pytest.raises(NotFound):
        app.get_lead(lead.id, as_of=first.at - timedelta(seconds=1))
    with pytest.raises(NotFound):
        app.get_lead(lead.id, version=9)


def test_time_travel_on_a_case_with_snapshots_gives_the_state_at_each_version(
    app: JointCaseApp, ctx
) -> None:
    case = app.open_case(ctx(YANGGAO), case_type="counterfeit", title="long case")
    for i in range(120):
        context = ctx(YANGGAO)
        app.record_seizure(
            case.id,
            context,
            brand=f"b{i}",
            sticks=200,
            value="90",
            price_basis="national",
            seized_at=context.at,
        )
    assert app.get_case(case.id).seizure_count() == 120
    assert app.get_case(case.id, version=61).seizure_count() == 60
    assert app.get_case(case.id, version=100).seizure_totals().sticks == 99 * 200
    assert app.get_case(case.id, version=100).seizure_totals().value == 99 * 90


def test_a_cross_county_merge_and_its_reversal_are_stored_on_both_cases(
    app: JointCaseApp, ctx
) -> None:
    survivor = app.open_case(ctx(YANGGAO), case_type="counterfeit", title="network")
    absorbed = app.open_case(ctx(TIANZHEN), case_type="counterfeit", title="retailer")
    # a county proposes a merge only into a case it may see (here: it was asked to assist)
    app.request_assistance(survivor.id, TIANZHEN, "same supplier?", ctx(YANGGAO))
    first = app.merge_cases(absorbed.id, survivor.id, "same supplier", ctx(TIANZHEN))
    assert first.details["merged"] is False and first.details["awaiting"] == [YANGGAO]
    second = app.merge_cases(absorbed.id, survivor.id, "same supplier", ctx(YANGGAO))
    assert second.details["merged"] is True

    kept = app.get_case(survivor.id)
    gone = app.get_case(absorbed.id)
    assert kept.number == survivor.details["number"]
    assert gone.merged_into == survivor.id and gone.status == "merged"
    history = [type(e).__name__ for e in app.case_history(survivor.id)]
    assert history.count("Opened") == 2 and "MergedInto" in history

    app.unmerge_case(absorbed.id, "different supplier after all", ctx(YANGGAO))
    assert app.get_case(absorbed.id).status == "open"
    assert app.get_case(survivor.id).absorbed == {}
    history = [type(e).__name__ for e in app.case_history(survivor.id)]
    assert history[-2:] == ["MergeReversed", "AbsorbedCaseReleased"] or set(history[-2:]) == {
        "MergeReversed",
        "AbsorbedCaseReleased",
    }
    # the released case's later events are its own: not in the survivor's history
    app.close_case(absorbed.id, "penalty", "fined", ctx(TIANZHEN))
    assert "Closed" not in [type(e).__name__ for e in app.case_history(survivor.id)]
    assert "Closed" in [type(e).__name__ for e in app.case_history(absorbed.id)]


def test_informant_identity_is_never_stored_in_plaintext(
    app: JointCaseApp, pg_settings, ctx
) -> None:
    secret_name = "Zhang Weiguo"
    secret_phone = "13912345678"
    lead = app.register_lead(
        ctx(XINGHE),
        summary="tip about a warehouse",
        source="tip_off",
        place_county=XINGHE,
        informant=f"{secret_name} {secret_phone}",
    )
    identity, _ = app.reveal_informant(lead.id, "call back the informant", ctx(XINGHE))
    assert identity == f"{secret_name} {secret_phone}"
    rows = stored_events(pg_settings)
    blob = b"".join(bytes(state) for _, state in rows)
    assert secret_phone.encode() not in blob
    assert secret_name.encode() not in blob
    assert app.get_lead(lead.id).informant_ref.startswith("INF-")
    assert "informant_ciphertext" not in app.get_lead(lead.id).public_state()


def test_each_read_of_an_informant_identity_is_recorded(app: JointCaseApp, ctx) -> None:
    lead = app.register_lead(
        ctx(XINGHE), summary="s", source="tip_off", place_county=XINGHE, informant="Li Si"
    )
    app.reveal_informant(lead.id, "verify", ctx(XINGHE, officer="reader-1"))
    _, written = app.reveal_informant(lead.id, "verify again", ctx(XINGHE, officer="reader-2"))
    viewed = [e for e in app.events.get(written.id) if type(e).__name__ == "IdentityViewed"]
    assert [e.actor.officer_id for e in viewed] == ["reader-1", "reader-2"]
    with pytest.raises(NotFound):  # a county that may not see the lead is told it does not exist
        app.reveal_informant(lead.id, "curious", ctx(YANGGAO))
    with pytest.raises(PermissionDenied):
        app.reveal_informant(lead.id, "audit", ctx(XINGHE, role="auditor"))


def test_a_server_deployment_refuses_to_start_without_an_informant_key() -> None:
    server = Database("db.example", 5432, "u", "", "jointcase")
    with pytest.raises(ConfigurationError, match="JOINTCASE_INFORMANT_KEY"):
        informant_cipher(Settings(database_url="postgresql://u@db.example/jointcase"), server)
    with pytest.raises(ConfigurationError, match="example"):
        informant_cipher(Settings(informant_key="change-me"), server)


def test_the_embedded_default_generates_its_key_once_and_keeps_it(tmp_path) -> None:
    embedded = Database("/tmp", 5432, "postgres", "", "jointcase", embedded=True)
    settings = Settings(data_dir=tmp_path)
    first = informant_cipher(settings, embedded)
    second = informant_cipher(settings, embedded)
    sealed, _ = first.seal("Wang Wu", lead_id := uuid4())
    assert second.open(sealed, lead_id) == "Wang Wu"
    assert (tmp_path / "informant.key").stat().st_mode & 0o077 == 0


def _init(settings: Settings, barrier) -> int:
    barrier.wait()
    _, added = init_database(settings)
    return added


def test_db_init_run_by_several_processes_at_once_creates_tables_once() -> None:
    with scratch_database("jointcase_init") as settings:
        ctx_mp = multiprocessing.get_context("spawn")
        with ctx_mp.Manager() as manager:
            barrier = manager.Barrier(4)
            with ctx_mp.Pool(4) as pool:
                added = pool.starmap(_init, [(settings, barrier)] * 4)
        assert sorted(added) == [0, 0, 0, 6]
        app = build_app(settings)
        assert len(app.list_jurisdictions()) == 6
        app.close()


def test_the_demo_records_a_scenario_across_the_six_units(pg_settings: Settings) -> None:
    from jointcase.demo import run_demo

    app = build_app(pg_settings)
    result = run_demo(app, say=lambda _: None)
    network = app.get_case(result.case_ids[0])
    seizures = recorded_seizures(app, network.id)
    app.close()
    assert network.police is not None and network.police.accepted_on is not None
    assert {h.status for h in network.co_handlers.values()} == {"joined", "declined"}
    assert len(network.absorbed) == 1
    assert {s.actor.county for s in seizures} == {YANGGAO, XINGHE, TIANZHEN}
    assert isinstance(network, Case) and not isinstance(network, Lead)
