"""Session fixtures for the HTTP API tests: one scratch database, its services, a TestClient, and
an officer of every role in every participating county."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import build_services, close_services, create_app
from api.deps import Services
from domain.values import Role
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
ROLES = tuple(r.value for r in Role)


@dataclass
class Api:
    """The client plus a bearer token per (role, county)."""

    client: TestClient
    services: Services
    tokens: dict[tuple[str, str], str]

    def auth(self, role: str, county: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role, county]}", **headers}

    def get(self, role: str, county: str, path: str, /, **params: Any):
        """GET with the query written in ``path`` (``?x=y``) and ``params`` both sent (the
        client would otherwise replace the path's query with ``params``, even an empty one)."""
        path, _, query = path.partition("?")
        merged = [*parse_qsl(query, keep_blank_values=True), *params.items()]
        return self.client.get(path, params=merged, headers=self.auth(role, county))

    def post(self, role: str, county: str, path: str, body: dict | None = None, **headers: str):
        return self.client.post(path, json=body or {}, headers=self.auth(role, county, **headers))


@pytest.fixture(scope="session")
def api_settings() -> Iterator[Settings]:
    with scratch_database("jointcase_api") as settings:
        settings.token_pepper = SecretStr("api-tests-pepper-0123456789abcdef0123456789")
        settings.wait_timeout = 0.2  # a `wait_for=` the views cannot reach answers 503 quickly
        app, _ = init_database(settings)
        app.close()
        yield settings


@pytest.fixture(scope="session")
def api_services(api_settings: Settings) -> Iterator[Services]:
    services = build_services(api_settings, run_projections=True)
    yield services
    close_services(services)


@pytest.fixture(scope="session")
def api_tokens(api_services: Services) -> dict[tuple[str, str], str]:
    """A token for every role in every county, keyed (role, county)."""
    return {
        (role, county): api_services.officers.add(county, role, f"{role} of {county}")[1]
        for role in ROLES
        for county in COUNTIES
    }


@pytest.fixture(scope="session")
def api_app(api_services: Services) -> FastAPI:
    return create_app(services=api_services)


@pytest.fixture(scope="session")
def api_client(api_app: FastAPI) -> TestClient:
    # Not entered as a context manager: the app already has its services, and a lifespan held
    # open for the whole session would overlap the lifespans of the other modules' apps (each
    # registers its metrics collector in the process-wide Prometheus registry).
    return TestClient(api_app, raise_server_exceptions=False)


@pytest.fixture(scope="session")
def api(
    api_client: TestClient, api_services: Services, api_tokens: dict[tuple[str, str], str]
) -> Api:
    return Api(api_client, api_services, api_tokens)
