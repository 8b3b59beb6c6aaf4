"""Fixtures for the console's tests: one scratch database, its services, and people who sign in
with a login name and a password (an officer, an auditor, a committee member and an admin in
every participating county)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import build_services, close_services, create_app
from api.deps import Services
from jointcase.settings import Settings
from jointcase.storage import init_database
from tests.pg import scratch_database

XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN = (
    "150924",
    "140221",
    "140222",
    "130725",
    "130728",
    "130708",
)
COUNTIES = (XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN)
ROLES = ("officer", "auditor", "committee", "admin")
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Person:
    login: str
    officer_id: str
    county: str
    role: str


@pytest.fixture(scope="session")
def console_settings() -> Iterator[Settings]:
    with scratch_database("jointcase_console") as settings:
        settings.token_pepper = SecretStr("console-tests-pepper-0123456789abcdef012345")
        settings.wait_timeout = 2
        app, _ = init_database(settings)
        app.close()
        yield settings


@pytest.fixture(scope="session")
def console_services(console_settings: Settings) -> Iterator[Services]:
    services = build_services(console_settings, run_projections=True)
    yield services
    close_services(services)


@pytest.fixture(scope="session")
def people(console_services: Services) -> dict[tuple[str, str], Person]:
    """A person of every role in every county, keyed (role, county); all share PASSWORD."""
    signins = console_services.signins
    assert signins is not None
    made = {}
    for role in ROLES:
        for county in COUNTIES:
            officer, _ = console_services.officers.add(county, role, f"{role} {county}")
            login = f"{role}-{county}"
            signins.set_password(officer.officer_id, login, PASSWORD)
            made[role, county] = Person(login, officer.officer_id, county, role)
    return made


@pytest.fixture(scope="session")
def console_app(console_services: Services) -> FastAPI:
    return create_app(services=console_services)


def new_client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, person: Person, password: str = PASSWORD, code: str = ""):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "csrf": csrf_of(page.text),
            "login": person.login,
            "password": password,
            "code": code,
            "next": "",
        },
    )


@pytest.fixture
def client_for(console_app: FastAPI, people: dict[tuple[str, str], Person]):
    """A signed-in browser-like client for (role, county)."""

    def make(role: str, county: str) -> TestClient:
        client = new_client(console_app)
        answer = sign_in(client, people[role, county])
        assert answer.status_code == 303, answer.text
        return client

    return make
