"""The committee's routes in the OpenAPI document: each declares the shape it answers with and
its errors as problem documents (built without a database)."""

from __future__ import annotations

import pytest

from api.app import create_app

DOCUMENT = create_app().openapi()
COMMITTEE_PATHS = [
    path
    for path in DOCUMENT["paths"]
    if path.startswith(
        (
            "/v1/rewards",
            "/v1/policies",
            "/v1/findings",
            "/v1/joint-",
            "/v1/price-inspections",
            "/v1/bulletins",
            "/v1/contributions",
        )
    )
    or path.endswith("/contributions")
]
OPERATIONS = [
    (path, method, operation)
    for path in COMMITTEE_PATHS
    for method, operation in DOCUMENT["paths"][path].items()
]


def test_every_committee_resource_is_in_the_document() -> None:
    assert len(OPERATIONS) == 26  # as many as before the split


@pytest.mark.parametrize(
    ("path", "method", "operation"), OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS]
)
def test_a_committee_route_declares_its_answer_and_its_problems(
    path: str, method: str, operation: dict
) -> None:
    success = next(s for s in operation["responses"] if s.startswith("2"))
    schema = operation["responses"][success]["content"]["application/json"]["schema"]
    assert "$ref" in schema, f"{method} {path} answers with an undeclared shape"
    errors = {s: r for s, r in operation["responses"].items() if not s.startswith("2")}
    assert "401" in errors
    for status, response in errors.items():
        assert list(response["content"]) == ["application/problem+json"], (method, path, status)


def test_the_bulletin_is_declared_as_json_and_as_html() -> None:
    answer = DOCUMENT["paths"]["/v1/bulletins/{county}/{year}/{quarter}"]["get"]["responses"]
    assert set(answer["200"]["content"]) == {"application/json", "text/html"}
