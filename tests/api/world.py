"""The world the route tests share: an API on a scratch database with its read models kept up
to date in-process, an officer token per county plus an auditor, an admin and a liaison, and the
helpers that build records and check problem documents."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import build_services, close_services, create_app
from api.deps import Services
from jointcase.storage import init_database, resolve_database
from tests.pg import scratch_database

XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN = (
    "150924",
    "140221",
    "140222",
    "130725",
    "130728",
    "130708",
)


@dataclass
class World:
    client: TestClient
    services: Services
    tokens: dict[str, str]

    def as_(self, who: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **headers}

    def post(self, who: str, path: str, body: dict | None = None, **headers: str):
        return self.client.post(path, json=body or {}, headers=self.as_(who, **headers))

    def get(self, who: str, path: str, **params):
        # the query written in the path is sent too (the client would replace it with params)
        path, _, query = path.partition("?")
        merged = [*parse_qsl(query, keep_blank_values=True), *params.items()]
        return self.client.get(path, params=merged, headers=self.as_(who))


def make_world() -> Iterator[World]:
    """A module's world (use as a module-scoped fixture)."""
    with scratch_database("jointcase_routes") as settings:
        settings.token_pepper = SecretStr("routes-test-pepper-0123456789abcdef")
        init_database(settings)
        services = build_services(settings, run_projections=True)  # histories read the audit view
        tokens = {}
        for county in (XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN):
            tokens[county] = services.officers.add(county, "officer", f"officer {county}")[1]
        tokens["auditor"] = services.officers.add(XINGHE, "auditor", "auditor")[1]
        tokens["admin"] = services.officers.add(XINGHE, "admin", "admin")[1]
        tokens["liaison"] = services.officers.add(XINGHE, "liaison", "liaison")[1]
        with TestClient(create_app(services=services)) as client:
            yield World(client, services, tokens)
        close_services(services)
        resolve_database(settings)


def new_lead(w: World, county: str = XINGHE, **extra) -> str:
    body = {"summary": "van with fake cartons", "source": "tip_off", "place_county": YANGGAO}
    body.update(extra)
    r = w.post(county, "/v1/leads", body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def new_case(w: World, county: str = YANGGAO, **extra) -> dict:
    body = {"case_type": "counterfeit", "title": "network"}
    body.update(extra)
    r = w.post(county, "/v1/cases", body)
    assert r.status_code == 201, r.text
    return r.json()


def assert_problem(r, status: int, rule: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["rule"] == rule
    assert body["detail"] and body["type"].endswith(rule)
    return body
