"""The sign-in throttle behind the TLS proxy: the client address comes from X-Forwarded-For only
when the direct peer is a trusted proxy (JOINTCASE_TRUSTED_PROXIES), else it is the peer."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from jointcase.settings import Settings
from jointcase.signin import FREE_PER_CLIENT
from tests.console.conftest import PASSWORD, YANGGAO, Person, sign_in

PROXY = "172.30.70.10"


def behind(services, settings, trusted: str, peer: str) -> TestClient:
    app = create_app(
        services=dataclasses.replace(
            services, settings=settings.model_copy(update={"trusted_proxies": trusted})
        )
    )
    return TestClient(
        app, raise_server_exceptions=False, follow_redirects=False, client=(peer, 4000)
    )


def recorded_clients(services, login: str) -> list[str]:
    with services.signins.pool.connection() as conn:
        rows = conn.execute(
            "SELECT client FROM jointcase_signin_failures WHERE login = %s ORDER BY at", (login,)
        ).fetchall()
    return [r[0] for r in rows]


def attempt(client: TestClient, login: str, forwarded: str | None, password: str = "wrong one!"):
    person = Person(login, "", YANGGAO, "officer")
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    client.headers.update(headers)
    try:
        return sign_in(client, person, password=password)
    finally:
        client.headers.pop("X-Forwarded-For", None)


def test_a_forged_forwarded_for_from_an_untrusted_peer_does_not_change_the_throttle_key(
    console_services, console_settings
):
    client = behind(console_services, console_settings, PROXY, "198.51.100.7")
    for i in range(FREE_PER_CLIENT):
        assert attempt(client, f"forger-{i}", f"203.0.113.{i}").status_code == 401
    assert set(recorded_clients(console_services, "forger-3")) == {"198.51.100.7"}
    # a new forged address each time changes nothing: the peer itself has used its attempts
    assert attempt(client, "forger-last", "192.0.2.200").status_code == 429


def test_by_default_no_proxy_is_trusted_not_even_the_local_host(console_services, console_settings):
    client = behind(console_services, console_settings, "", "127.0.0.1")
    assert attempt(client, "local-forger", "203.0.113.99").status_code == 401
    assert recorded_clients(console_services, "local-forger") == ["127.0.0.1"]


def test_behind_a_trusted_proxy_each_client_has_its_own_throttle(
    console_services, console_settings
):
    officer, _ = console_services.officers.add(YANGGAO, "officer", "behind the proxy")
    console_services.signins.set_password(officer.officer_id, "proxied-user", PASSWORD)
    proxy = behind(console_services, console_settings, f"{PROXY},10.0.0.0/8", PROXY)
    # the leftmost hop was written by the client itself; the rightmost untrusted one is real
    assert attempt(proxy, "proxied-a", "6.6.6.6, 203.0.113.50, 10.1.2.3").status_code == 401
    assert recorded_clients(console_services, "proxied-a") == ["203.0.113.50"]
    for i in range(FREE_PER_CLIENT):
        assert attempt(proxy, f"proxied-b-{i}", "203.0.113.51").status_code == 401
    assert attempt(proxy, "proxied-b-last", "203.0.113.51").status_code == 429
    # another person behind the same proxy is not locked out
    answer = attempt(proxy, "proxied-user", "203.0.113.52", password=PASSWORD)
    assert answer.status_code == 303


def test_a_trusted_proxy_setting_must_be_addresses():
    assert Settings(trusted_proxies="172.30.70.10, 10.0.0.0/8").trusted_proxy_list() == [
        "172.30.70.10",
        "10.0.0.0/8",
    ]
    with pytest.raises(ValidationError, match="not an IP address"):
        Settings(trusted_proxies="caddy")
