"""Each API process keeps the tokens it has checked in memory, and a revocation or rotation made
anywhere (another process, the command line, a hand edit) still takes effect at once in every
one: two app instances on one database, as two `jointcase serve` workers would be."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import build_services, close_services, create_app
from api.deps import Services
from jointcase.officers import FENCE, Officer, OfficerStore
from jointcase.settings import Settings
from jointcase.storage import open_pool, resolve_database, token_pepper
from jointcase.token_cache import TokenCache
from tests.api.conftest import XINGHE
from tests.api.world import assert_problem


@dataclass
class Instance:
    services: Services
    client: TestClient

    @property
    def cache(self) -> TokenCache:
        assert self.services.tokens is not None
        return self.services.tokens

    def workspace(self, token: str):
        return self.client.get("/v1/workspace", headers={"Authorization": f"Bearer {token}"})


def wait_usable(cache: TokenCache) -> None:
    deadline = time.monotonic() + 10
    while not cache.usable():
        assert time.monotonic() < deadline, "the token cache never started listening"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def pair(api_settings: Settings) -> Iterator[tuple[Instance, Instance]]:
    instances = []
    for _ in range(2):
        services = build_services(api_settings, run_projections=False)
        instances.append(
            Instance(
                services, TestClient(create_app(services=services), raise_server_exceptions=False)
            )
        )
    for instance in instances:
        wait_usable(instance.cache)
    yield instances[0], instances[1]
    for instance in instances:
        close_services(instance.services)


def cached_in(instance: Instance, token: str) -> Officer:
    """Makes `instance` check the token, then shows it answers it from memory."""
    assert instance.workspace(token).status_code == 200
    officer = instance.cache.get(token)
    assert officer is not None, "the token was not kept"
    return officer


def test_revoked_in_one_instance_the_next_request_in_the_other_is_refused(pair) -> None:
    a, b = pair
    officer, token = a.services.officers.add(XINGHE, "officer", "revoked elsewhere")
    cached_in(b, token)
    a.services.officers.revoke(officer.officer_id)
    assert_problem(b.workspace(token), 401, "not-authenticated")
    assert b.cache.get(token) is None


def test_rotated_over_http_in_one_instance_the_old_token_is_refused_in_the_other(pair) -> None:
    a, b = pair
    _, old = a.services.officers.add(XINGHE, "officer", "rotates elsewhere")
    cached_in(b, old)
    rotated = a.client.post("/v1/officers/me/token", headers={"Authorization": f"Bearer {old}"})
    assert rotated.status_code == 201, rotated.text
    assert_problem(b.workspace(old), 401, "not-authenticated")
    assert b.workspace(rotated.json()["token"]).status_code == 200


def test_revoked_from_a_process_without_a_cache_like_the_command_line(
    pair, api_settings: Settings
) -> None:
    _, b = pair
    db = resolve_database(api_settings)
    cli = OfficerStore(open_pool(db, size=1), token_pepper(api_settings, db))
    try:
        officer, token = cli.add(XINGHE, "officer", "revoked by the command line")
        cached_in(b, token)
        cli.revoke(officer.officer_id)  # what `jointcase officers revoke ID` runs
    finally:
        cli.pool.close()
    assert_problem(b.workspace(token), 401, "not-authenticated")


def test_an_expiry_edited_by_hand_is_heard(pair) -> None:
    a, b = pair
    officer, token = a.services.officers.add(XINGHE, "officer", "expired by hand")
    cached_in(b, token)
    with a.services.officers.pool.connection() as conn:
        conn.execute(
            "UPDATE jointcase_officers SET token_issued_at = token_issued_at - interval '91 days'"
            " WHERE officer_id = %s",
            (officer.officer_id,),
        )
    a.services.officers.await_caches()
    assert_problem(b.workspace(token), 401, "not-authenticated")


def test_a_lookup_that_raced_a_revocation_is_not_kept(pair, monkeypatch) -> None:
    a, b = pair
    officer, token = a.services.officers.add(XINGHE, "officer", "revoked mid-lookup")
    read = b.services.officers.authenticate

    def read_then_revoked_elsewhere(t: str, now=None):
        found = read(t, now)  # still valid when read...
        a.services.officers.revoke(officer.officer_id)  # ...revoked before it is kept
        return found

    monkeypatch.setattr(b.services.officers, "authenticate", read_then_revoked_elsewhere)
    assert b.workspace(token).status_code == 200  # this request began before the revocation
    monkeypatch.undo()
    assert b.cache.get(token) is None
    assert_problem(b.workspace(token), 401, "not-authenticated")


def test_a_cache_that_lost_its_connection_stops_answering_and_revocation_still_holds(
    pair, api_settings: Settings
) -> None:
    a, b = pair
    officer, token = a.services.officers.add(XINGHE, "officer", "revoked while cut off")
    cached_in(b, token)
    with psycopg.connect(resolve_database(api_settings).conninfo(), autocommit=True) as conn:
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'jointcase-token-cache' AND datname = current_database()"
        ).fetchall()
    assert killed
    deadline = time.monotonic() + FENCE + 1
    while b.cache.usable() and b.cache.get(token) is not None:
        assert time.monotonic() < deadline, "a cache that cannot hear kept answering"
        time.sleep(0.01)
    started = time.monotonic()
    a.services.officers.revoke(officer.officer_id)
    assert time.monotonic() - started < FENCE + 5  # a lost cache holds a revocation back briefly
    assert_problem(b.workspace(token), 401, "not-authenticated")
    wait_usable(b.cache)  # and it comes back, empty
    assert_problem(b.workspace(token), 401, "not-authenticated")


def test_a_cache_whose_lease_was_removed_stops_answering_and_registers_again(pair) -> None:
    a, b = pair
    _, token = a.services.officers.add(XINGHE, "officer", "lease removed")
    cached_in(b, token)
    with a.services.officers.pool.connection() as conn:
        conn.execute("DELETE FROM jointcase_token_caches")  # no revocation would wait for them
    deadline = time.monotonic() + FENCE + 1
    while b.cache.get(token) is not None:
        assert time.monotonic() < deadline, "a cache without a lease kept answering"
        time.sleep(0.01)
    wait_usable(b.cache)
    deadline = time.monotonic() + 10
    while True:  # both register again, each with a new lease
        with a.services.officers.pool.connection() as conn:
            leases = conn.execute("SELECT count(*) FROM jointcase_token_caches").fetchone()
        if leases is not None and leases[0] >= 2:
            break
        assert time.monotonic() < deadline, "the caches did not register again"
        time.sleep(0.05)


def test_with_the_cache_off_every_request_looks_its_token_up(api_settings: Settings) -> None:
    settings = api_settings.model_copy(update={"token_cache_seconds": 0})
    services = build_services(settings, run_projections=False)
    try:
        assert services.tokens is None
        client = TestClient(create_app(services=services), raise_server_exceptions=False)
        officer, token = services.officers.add(XINGHE, "officer", "no cache")
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/workspace", headers=headers).status_code == 200
        services.officers.revoke(officer.officer_id)
        assert_problem(client.get("/v1/workspace", headers=headers), 401, "not-authenticated")
    finally:
        close_services(services)
